/**
 * Hostile input on the OpenClaw side of the socket: wrong-typed and oversized connect params, a
 * secret in bad input (never echoed, never logged), a socket reset right after `agent` was sent
 * (the run still ends once, and the retry with the same idempotency key gets its result without
 * a second model call), and garbage after the handshake. The gateway keeps serving throughout.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { startGateway, type RunningGateway } from "../helpers/gateway.ts";
import { until } from "../helpers/wait.ts";
import { openRaw } from "../server/raw-ws.ts";
import { ocConnect } from "../devices/oc-device.ts";

const model = new FakeModelServer();
const TOKEN = "oc-hostile-gateway-token-0123456789";
const SECRET = "sk-hostile-SECRET-must-never-be-echoed-42";
let gw: RunningGateway;

before(async () => {
  await model.start();
  gw = await startGateway({
    config: { gateway: { auth: { token: TOKEN } }, models: { primary: "fake/echo-1", providers: { fake: { kind: "openai", baseUrl: model.openaiUrl } } } },
  });
});
after(async () => {
  await gw?.stop();
  await model.close();
});

/** Opens a socket and sends this connect params object; the answer and the close. */
async function rawConnect(params: unknown) {
  const c = await openRaw(gw.port);
  await c.waitFrame((f) => f.event === "connect.challenge");
  const res = await c.request("connect", params);
  return { res, closed: await c.closed };
}

const cli = { id: "cli", version: "2026.9.6", platform: "linux", mode: "cli" };

test("wrong-typed and oversized connect params are refused by path, with close 1008, and no secret is echoed or logged", async () => {
  const cases: unknown[] = [
    { minProtocol: 4, maxProtocol: 4, client: "cli" },
    { minProtocol: 4, maxProtocol: 4, client: cli, scopes: 5 },
    { minProtocol: 4, maxProtocol: 4, client: cli, auth: { token: SECRET, extra: SECRET } },
    { minProtocol: 4, maxProtocol: 4, client: cli, auth: { token: SECRET.repeat(200) } },
    { minProtocol: 4, maxProtocol: 4, client: cli, device: { id: SECRET, publicKey: "x", signature: "y", signedAt: "now", nonce: "n" } },
    { minProtocol: 4, maxProtocol: 4, client: { ...cli, displayName: "x".repeat(10_000) } },
    { minProtocol: 4, maxProtocol: 4, client: cli, permissions: { a: "yes" } },
    { minProtocol: 4, maxProtocol: 4, client: { ...cli, mode: SECRET } },
  ];
  for (const params of cases) {
    const { res, closed } = await rawConnect(params);
    assert.equal(res.error?.code, "INVALID_REQUEST", JSON.stringify(params).slice(0, 200));
    // A client block that is not an object names no OpenClaw client: protocol 1 refuses it, in its own words.
    assert.match(String(res.error?.message), /^(invalid connect params: at \/|connect params: client)/);
    assert.equal(closed.code, 1008);
    assert.doesNotMatch(JSON.stringify(res) + closed.reason, /SECRET/);
  }
  // A wrong secret: refused in OpenClaw's words, not echoed.
  const wrong = await rawConnect({ minProtocol: 4, maxProtocol: 4, client: cli, auth: { token: SECRET } });
  assert.equal((wrong.res.error?.details as { code?: string } | undefined)?.code, "AUTH_TOKEN_MISMATCH");
  assert.doesNotMatch(JSON.stringify(wrong.res), /SECRET/);
  const log = fs.readFileSync(path.join(gw.stateDir, "logs", "gateway.log"), "utf8");
  assert.doesNotMatch(log, /SECRET/, "the log holds no secret a client sent");
  // The gateway still serves a proper client.
  const ok = await ocConnect(gw.port, { client: { id: "cli", mode: "cli" }, role: "operator", scopes: ["operator.read"], auth: { token: TOKEN } });
  assert.equal(ok.res.ok, true);
  ok.client.ws.close();
});

test("a socket reset right after `agent` is sent: the run ends once, and a retry of its key gets the result with no second model call", async () => {
  const first = await ocConnect(gw.port, { client: { id: "cli", mode: "cli" }, role: "operator", scopes: ["operator.write"], auth: { token: TOKEN } });
  assert.equal(first.res.ok, true);
  const before = model.requests.length;
  first.client.ws.send(JSON.stringify({ type: "req", id: "a1", method: "agent", params: { message: "reset after send", idempotencyKey: "hostile-reset-1" } }));
  first.client.ws.terminate();
  await until("the run's model call", () => model.requests.length === before + 1, 10_000);
  const again = await ocConnect(gw.port, { client: { id: "cli", mode: "cli" }, role: "operator", scopes: ["operator.write"], auth: { token: TOKEN } });
  again.client.ws.send(JSON.stringify({ type: "req", id: "a2", method: "agent", params: { message: "reset after send", idempotencyKey: "hostile-reset-1" } }));
  const result = await again.client.waitFrame((f) => f.type === "res" && f.id === "a2" && f.payload?.status !== "accepted", 15_000);
  assert.equal(result.payload.status, "ok");
  assert.equal(result.payload.result.payloads[0].text, "echo: reset after send");
  assert.equal(model.requests.length, before + 1, "one model call for one idempotency key");
  again.client.ws.close();
});

test("garbage after the handshake gets an answer or a close, never a crash", async () => {
  const c = await ocConnect(gw.port, { client: { id: "cli", mode: "cli" }, role: "operator", scopes: ["operator.admin"], auth: { token: TOKEN } });
  const ask = (method: string, params: unknown) => c.client.request(method, params);
  assert.match(String((await ask("chat.send", { message: 5, idempotencyKey: "x" })).error?.message), /invalid chat\.send params/);
  assert.match(String((await ask("chat.send", { message: "x".repeat(70_000), idempotencyKey: "big" })).error?.message), /at most 65536 bytes/);
  assert.match(String((await ask("chat.history", { sessionKey: "agent:nobody:main" })).error?.message), /cannot route session key/);
  assert.match(
    String((await ask("cron.add", { name: "x", schedule: { kind: "every", everyMs: -5 }, payload: { kind: "agentTurn", message: "m" } })).error?.message),
    /./,
  );
  assert.equal((await ask("device.pair.approve", { requestId: "nope" })).error?.message, "unknown requestId");
  assert.equal((await ask("__proto__", {})).error?.message, "unknown method: __proto__");
  assert.equal((await ask("health", null)).ok, true);
  c.client.ws.close();
});
