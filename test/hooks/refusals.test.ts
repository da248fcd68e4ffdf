/**
 * Every refusal of a webhook, with its exact status and code, on a real gateway: no token set
 * yet, a wrong or missing token, the gateway's token (it does not open hooks) and the hook token
 * on the gateway's own endpoints and RPC (it opens nothing else), a token in the query even when
 * right, signatures missing or wrong, an oversize body (the gateway serves on), bad JSON, a wrong
 * content type, an unknown mapping or run, the wrong method, hooks turned off (a config edit
 * applies at once), and the failure limiter's 429. A refused delivery stores nothing.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { connectGateway } from "../../src/client/gateway-client.ts";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { runCli, writeConfig, type RunningGateway } from "../helpers/gateway.ts";
import { reapAll } from "../gateway/support.ts";
import { get, hookConfig, hookGateway, post, rawRequest, rows, sign, until } from "./support.ts";

const fake = new FakeModelServer();
const GATEWAY_TOKEN = "gateway-token-for-the-refusal-tests-0123456789";
const SECRET = "mapping-secret-for-tests";
let gw: RunningGateway;
let base = "";
let token = "";
let config: Record<string, unknown> = {};

before(async () => {
  await fake.start();
  config = hookConfig(fake, { gateway: { auth: { token: GATEWAY_TOKEN } } });
  ({ gw, base } = await hookGateway(
    { ...config, hooks: { maxBodyBytes: 4096, mappings: { signed: { message: "signed: {{body.text}}", secret: SECRET } } } },
    { token: false },
  ));
});
after(async () => {
  await gw?.stop();
  await fake.close();
  reapAll();
});

const refused = (a: { status: number; body: any }, status: number, code: string, message?: RegExp) => {
  assert.equal(a.status, status, JSON.stringify(a.body));
  assert.equal(a.body.error.code, code);
  if (message) assert.match(a.body.error.message, message);
};
const stored = () => rows(gw.stateDir, "SELECT count(*) AS n FROM hook_deliveries")[0]!.n as number;

test("with no hook token set, every hook is refused with 503 and the command that makes one", async () => {
  const a = await post(base, "/hooks/agent", { message: "x" }, { token: "obh_anything" });
  refused(a, 503, "HOOK_UNAVAILABLE", /no hook token: run onebrain hooks token/i);
  refused(await get(base, "/hooks/runs/hk_aaaaaaaaaaaaaaaa", "obh_anything"), 503, "HOOK_UNAVAILABLE");
  const made = await runCli(["hooks", "token", "--json"], gw.env);
  token = JSON.parse(made.stdout).token;
  assert.equal((await post(base, "/hooks/agent", { message: "first" }, { token })).status, 202, "the new token works at once");
});

test("a wrong or missing token is 401 with a challenge; the gateway's token does not open hooks", async () => {
  const before = stored();
  const wrong = await post(base, "/hooks/agent", { message: "x" }, { token: "obh_wrong" });
  refused(wrong, 401, "HOOK_UNAUTHORIZED", /Wrong hook token/);
  assert.equal(wrong.headers.get("www-authenticate"), 'Bearer realm="onebrain-hooks"');
  refused(await post(base, "/hooks/agent", { message: "x" }), 401, "HOOK_UNAUTHORIZED", /requires the hook token/);
  refused(await post(base, "/hooks/agent", { message: "x" }, { token: GATEWAY_TOKEN }), 401, "HOOK_UNAUTHORIZED");
  refused(await get(base, "/hooks/runs/hk_aaaaaaaaaaaaaaaa", GATEWAY_TOKEN), 401, "HOOK_UNAUTHORIZED");
  assert.equal(stored(), before);
});

test("the hook token opens neither the gateway's HTTP endpoints nor its RPC", async () => {
  const status = await fetch(`${base}/api/status`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(status.status, 401);
  await assert.rejects(
    connectGateway({ url: `ws://127.0.0.1:${gw.port}`, token, timeoutMs: 3000 }),
    (err: Error & { code?: string }) => err.code === "AUTH_FAILED",
  );
  const ok = await connectGateway({ url: `ws://127.0.0.1:${gw.port}`, token: GATEWAY_TOKEN, timeoutMs: 3000 });
  await ok.closeWithin(200);
});

test("a token in the query string is refused with 400 even when it is right", async () => {
  const before = stored();
  for (const q of [`token=${token}`, `access_token=${token}`]) {
    const a = await post(base, `/hooks/agent?${q}`, { message: "x" }, { token });
    refused(a, 400, "HOOK_INVALID", /Tokens never go in URLs/);
  }
  refused(await get(base, `/hooks/runs/hk_aaaaaaaaaaaaaaaa?token=${token}`, null), 400, "HOOK_INVALID");
  assert.equal(stored(), before);
});

test("a signed mapping wants the token and the signature: a missing or bad signature is 401", async () => {
  const body = JSON.stringify({ text: "deploy done" });
  const before = stored();
  refused(await post(base, "/hooks/signed", body, { token }), 401, "HOOK_UNAUTHORIZED", /has no X-Hub-Signature-256 header/);
  refused(await post(base, "/hooks/signed", body, { token, headers: { "x-hub-signature-256": sign(body, "wrong") } }), 401, "HOOK_UNAUTHORIZED", /wrong/);
  refused(await post(base, "/hooks/signed", body, { token, headers: { "x-hub-signature-256": "sha256=zz" } }), 401, "HOOK_UNAUTHORIZED");
  refused(
    await post(base, "/hooks/signed", body, { headers: { "x-hub-signature-256": sign(body, SECRET) } }),
    401,
    "HOOK_UNAUTHORIZED",
    /requires the hook token/,
  );
  assert.equal(stored(), before);
  const ok = await post(base, "/hooks/signed", body, { token, headers: { "x-hub-signature-256": sign(body, SECRET) } });
  assert.equal(ok.status, 202, JSON.stringify(ok.body));
});

test("an oversize body is 413 whether declared or chunked, nothing is kept, and the gateway serves on", async () => {
  const before = stored();
  const big = Buffer.alloc(5000, "a");
  const head = (framing: string) =>
    `POST /hooks/agent HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n${framing}`;
  const declared = await rawRequest(gw.port, head(`Content-Length: ${big.length}`), big);
  assert.equal(declared.status, 413, declared.text || String(declared.error));
  assert.match(declared.text, /"code":"PAYLOAD_TOO_LARGE"/);
  const chunked = await rawRequest(gw.port, head("Transfer-Encoding: chunked"), Buffer.concat([Buffer.from("1388\r\n"), big, Buffer.from("\r\n0\r\n\r\n")]));
  assert.equal(chunked.status, 413, chunked.text || String(chunked.error));
  assert.equal(stored(), before);
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  assert.equal((await post(base, "/hooks/agent", { message: "after the big one" }, { token })).status, 202);
});

test("bad JSON and bad fields are 400 naming what is wrong; a body that is not JSON is 415", async () => {
  const before = stored();
  refused(await post(base, "/hooks/agent", "{not json", { token }), 400, "HOOK_INVALID", /The body is not JSON/);
  refused(await post(base, "/hooks/agent", { text: "x" }, { token }), 400, "HOOK_INVALID", /Unknown field "text"/);
  refused(await post(base, "/hooks/wake", { text: "x", deliver: { channel: "telegram", target: "1" } }, { token }), 400, "HOOK_INVALID", /"deliver"\.channel/);
  const form = await post(base, "/hooks/agent", "message=x", { token, headers: { "content-type": "application/x-www-form-urlencoded" } });
  refused(form, 415, "UNSUPPORTED_MEDIA_TYPE", /takes a JSON body/);
  assert.equal(stored(), before);
});

test("an unknown mapping or run is 404, the wrong method 405 with Allow, and hooks paths beyond them 404", async () => {
  refused(await post(base, "/hooks/nope", { message: "x" }, { token }), 404, "HOOK_NOT_FOUND", /No hook \/hooks\/nope/);
  refused(await get(base, "/hooks/runs/hk_aaaaaaaaaaaaaaaa", token), 404, "HOOK_NOT_FOUND");
  refused(await get(base, "/hooks/runs/not-an-id", token), 404, "HOOK_NOT_FOUND");
  const getAgent = await fetch(`${base}/hooks/agent`);
  assert.equal(getAgent.status, 405);
  assert.equal(getAgent.headers.get("allow"), "POST");
  assert.equal(((await getAgent.json()) as any).error.code, "METHOD_NOT_ALLOWED");
  const postRun = await fetch(`${base}/hooks/runs/hk_aaaaaaaaaaaaaaaa`, { method: "POST" });
  assert.deepEqual([postRun.status, postRun.headers.get("allow")], [405, "GET, HEAD"]);
  assert.equal((await post(base, "/hooks/agent/extra", { message: "x" }, { token })).status, 404);
  assert.equal((await post(base, "/hooks", { message: "x" }, { token })).status, 404);
});

test("the hooks config applies at once: a mapping added is served, hooks.enabled false answers 404", { timeout: 30_000 }, async () => {
  const hooks = { maxBodyBytes: 4096, mappings: { signed: { message: "signed: {{body.text}}", secret: SECRET }, added: { message: "added: {{body.text}}" } } };
  writeConfig(gw.stateDir, { ...config, hooks });
  const added = await until("the new mapping served", async () => {
    const a = await post(base, "/hooks/added", { text: "hello" }, { token });
    return a.status === 202 ? a : null;
  });
  assert.deepEqual(rows(gw.stateDir, "SELECT text FROM inbound WHERE message_id = ?", added.body.runId), [{ text: "added: hello" }]);
  writeConfig(gw.stateDir, { ...config, hooks: { ...hooks, enabled: false } });
  const off = await until("hooks off", async () => {
    const a = await post(base, "/hooks/agent", { message: "x" }, { token });
    return a.status === 404 ? a : null;
  });
  refused(off, 404, "NOT_FOUND", /hooks\.enabled is false/);
  writeConfig(gw.stateDir, { ...config, hooks });
  await until("hooks on again", async () => (await post(base, "/hooks/agent", { message: "back" }, { token })).status === 202);
});

test("wrong tokens count toward the per-address limit: then 429 with Retry-After, even for the right token", async () => {
  let last = await post(base, "/hooks/agent", { message: "x" }, { token: "obh_wrong" });
  for (let i = 0; i < 12 && last.status !== 429; i++) last = await post(base, "/hooks/agent", { message: "x" }, { token: "obh_wrong" });
  refused(last, 429, "RATE_LIMITED");
  assert.ok(Number(last.headers.get("retry-after")) >= 1);
  refused(await post(base, "/hooks/agent", { message: "x" }, { token }), 429, "RATE_LIMITED");
});
