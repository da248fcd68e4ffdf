/**
 * The canvas host in a real gateway process, over loopback: both ports, the gateway's auth and
 * the capability path, hostile paths on the wire, the failure limit, the live-reload socket's
 * rules, a rotated secret, the host turned off or its port taken, and a clean stop.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { startGateway, writeConfig, type RunningGateway } from "../helpers/gateway.ts";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { connectGateway } from "../../src/client/gateway-client.ts";
import { canvasInfo, raw, reloadSocket, until, upgradeStatus } from "./support.ts";

const TOKEN = "canvas-test-token-0123456789";
const running: RunningGateway[] = [];
const fake = new FakeModelServer();
before(() => fake.start());
after(async () => {
  for (const g of running) await g.stop();
  await fake.close();
});

/** A gateway with a token, a canvas page, and a secret file beside the canvas root. */
async function gateway(config: Record<string, unknown> = {}): Promise<RunningGateway & { root: string }> {
  const g = await startGateway({ config: { gateway: { auth: { token: TOKEN } }, ...config } });
  running.push(g);
  const root = path.join(g.stateDir, "workspace", "canvas");
  fs.mkdirSync(root, { recursive: true });
  fs.writeFileSync(path.join(root, "index.html"), "<html><body><h1>canvas</h1></body></html>");
  fs.writeFileSync(path.join(root, "data.json"), '{"a":1}');
  fs.writeFileSync(path.join(g.stateDir, "workspace", "secret.txt"), "TOP SECRET");
  return { ...g, root };
}

const bearer = { authorization: `Bearer ${TOKEN}` };

test("serves the canvas on both ports only with the gateway's auth: 401 without, 200 with the header or the capability path", async () => {
  const g = await gateway();
  const info = await canvasInfo(g.port, TOKEN);
  assert.equal(info.enabled, true);
  assert.equal(info.listening, true);
  assert.equal(info.port, g.port + 4);
  assert.match(info.path!, /^\/__canvas__\/c\/[A-Za-z0-9_-]{32}\/$/);
  assert.equal(info.urls!.gateway, `http://127.0.0.1:${g.port}${info.path}`);
  assert.equal(info.urls!.canvas, `http://127.0.0.1:${g.port + 4}${info.path!.replace("/__canvas__", "")}`);

  for (const [port, p] of [
    [g.port, "/__canvas__/"],
    [g.port + 4, "/"],
  ] as const) {
    const none = await raw(port, p);
    assert.equal(none.status, 401, `${port}${p}`);
    assert.equal(JSON.parse(none.body).error.code, "AUTH_REQUIRED");
    assert.equal(none.headers["www-authenticate"], 'Bearer realm="onebrain"');
    const wrong = await raw(port, p, { authorization: "Bearer nope" });
    assert.equal(JSON.parse(wrong.body).error.code, "AUTH_FAILED");
    const ok = await raw(port, p, bearer);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers["content-type"], "text/html; charset=utf-8");
    assert.match(ok.body, /<h1>canvas<\/h1><script data-onebrain-canvas-reload>/);
  }
  const viaCap = await raw(g.port, `${info.path}data.json`);
  assert.equal(viaCap.status, 200);
  assert.equal(viaCap.body, '{"a":1}');
  assert.equal(viaCap.headers["content-type"], "application/json; charset=utf-8");
  assert.match(String(viaCap.headers["content-security-policy"]), /^sandbox allow-scripts/, "the gateway's origin is the console's: pages are sandboxed");
  assert.equal(viaCap.headers["referrer-policy"], "no-referrer");
  const onCanvasPort = await raw(g.port + 4, new URL(info.urls!.canvas!).pathname);
  assert.equal(onCanvasPort.status, 200);
  assert.equal(onCanvasPort.headers["content-security-policy"], undefined, "the canvas port is an origin of its own");
  const wrongCap = await raw(g.port, `/__canvas__/c/${"A".repeat(32)}/`);
  assert.equal(wrongCap.status, 401);
  assert.equal(JSON.parse(wrongCap.body).error.code, "AUTH_FAILED");
  assert.equal((await raw(g.port, "/__canvas__/c/short/")).status, 401);
});

test("answers HEAD without a body, revalidates with the ETag (304), redirects a bare directory, and 404s a missing file with a code", async () => {
  const g = await gateway();
  const head = await raw(g.port, "/__canvas__/data.json", bearer, "HEAD");
  assert.equal(head.status, 200);
  assert.equal(head.body, "");
  assert.equal(head.headers["content-length"], "7");
  const etag = head.headers.etag!;
  assert.ok(etag);
  assert.equal((await raw(g.port, "/__canvas__/data.json", { ...bearer, "if-none-match": etag })).status, 304);
  fs.writeFileSync(path.join(g.root, "data.json"), '{"a":2}');
  assert.equal((await raw(g.port, "/__canvas__/data.json", { ...bearer, "if-none-match": etag })).status, 200, "a changed file is sent again");
  const bare = await raw(g.port, "/__canvas__", bearer);
  assert.equal(bare.status, 301);
  assert.equal(bare.headers.location, "/__canvas__/");
  fs.mkdirSync(path.join(g.root, "sub"));
  fs.writeFileSync(path.join(g.root, "sub", "index.html"), "sub");
  assert.equal((await raw(g.port, "/__canvas__/sub", bearer)).headers.location, "/__canvas__/sub/");
  const missing = await raw(g.port, "/__canvas__/nope.html", bearer);
  assert.equal(missing.status, 404);
  assert.equal(JSON.parse(missing.body).error.code, "NOT_FOUND");
  assert.equal((await raw(g.port, "/__canvas__/x", bearer, "POST")).status, 405);
});

test("hostile paths on the wire never reach a file outside the root and never cause a 500", async () => {
  const g = await gateway();
  fs.symlinkSync(path.join(g.stateDir, "workspace", "secret.txt"), path.join(g.root, "link.txt"));
  fs.symlinkSync("/etc", path.join(g.root, "etc"));
  const { path: capPath } = await canvasInfo(g.port, TOKEN);
  const paths = [
    "/__canvas__/../workspace/secret.txt",
    "/__canvas__/%2e%2e/secret.txt",
    "/__canvas__/%2e%2e%2fsecret.txt",
    "/__canvas__/..%2Fsecret.txt",
    "/__canvas__/link.txt",
    "/__canvas__/etc/passwd",
    "/__canvas__/a%00.html",
    "/__canvas__/%",
    `/__canvas__/${"x/".repeat(3000)}`,
    `${capPath}../secret.txt`,
    `${capPath}%2e%2e/%2e%2e/onebrain.json`,
    "/__canvas__/.%2e/onebrain.json",
    "/__canvas__/c/../../onebrain.json",
  ];
  for (const p of paths) {
    const r = await raw(g.port, p, bearer);
    assert.ok([400, 401, 404].includes(r.status), `${p.slice(0, 60)}: ${r.status} ${r.body.slice(0, 200)}`);
    assert.ok(!r.body.includes("TOP SECRET") && !r.body.includes("root:") && !r.body.includes(TOKEN), p.slice(0, 60));
  }
  // An absolute-form target is routed by its path, and the Host it names is the one checked.
  const absolute = await raw(g.port, `http://127.0.0.1:${g.port}/__canvas__/../onebrain.json`, bearer);
  assert.ok([400, 404].includes(absolute.status), String(absolute.status));
});

test("wrong capabilities count toward the per-address failure limit, as wrong tokens do", async () => {
  const g = await gateway({ gateway: { auth: { token: TOKEN }, authFailuresPerMinute: 2 } });
  const bad = `/__canvas__/c/${"B".repeat(32)}/`;
  assert.equal((await raw(g.port, bad)).status, 401);
  assert.equal((await raw(g.port, bad)).status, 401);
  const limited = await raw(g.port, bad);
  assert.equal(limited.status, 429);
  assert.ok(Number(limited.headers["retry-after"]) >= 1);
  assert.equal((await raw(g.port, "/__canvas__/", bearer)).status, 429, "the address is limited for the header too");
});

test("without auth a local client reads the canvas as it reads the gateway, and a foreign Host is refused (421)", async () => {
  const g = await startGateway();
  running.push(g);
  fs.mkdirSync(path.join(g.stateDir, "workspace", "canvas"), { recursive: true });
  fs.writeFileSync(path.join(g.stateDir, "workspace", "canvas", "index.html"), "open");
  assert.equal((await raw(g.port, "/__canvas__/")).status, 200);
  assert.equal((await raw(g.port + 4, "/")).status, 200);
  assert.equal((await raw(g.port + 4, "/", { host: "evil.example" })).status, 421);
  assert.equal((await raw(g.port, "/__canvas__/", { "x-forwarded-for": "203.0.113.9" })).status, 401, "a proxied request is never local");
});

test("the live-reload socket follows the same rules and says reload when a file changes", async () => {
  const g = await gateway();
  const info = await canvasInfo(g.port, TOKEN);
  const base = `ws://127.0.0.1:${g.port}`;
  assert.equal(await upgradeStatus(`${base}/__canvas__/__reload`), 401);
  assert.equal(await upgradeStatus(`${base}/__canvas__/c/${"C".repeat(32)}/__reload`), 401);
  assert.equal(await upgradeStatus(`${base}${info.path}__reload`, {}, "http://evil.example"), 403);
  assert.equal(await upgradeStatus(`${base}${info.path}nope`), 404);
  assert.equal(await upgradeStatus(`${base}/__canvas__/__reload`, bearer), 101);
  // A sandboxed canvas page sends Origin: null; the canvas port's own origin is fine too.
  const s = await reloadSocket(`${base}${info.path}__reload`, {}, "null");
  const t = await reloadSocket(`ws://127.0.0.1:${g.port + 4}/c/${info.path!.split("/")[3]}/__reload`, {}, `http://127.0.0.1:${g.port + 4}`);
  assert.equal((await canvasInfo(g.port, TOKEN)).reloadClients, 2);
  fs.writeFileSync(path.join(g.root, "index.html"), "<h1>new</h1>");
  await until(() => s.messages.length > 0 && t.messages.length > 0);
  assert.deepEqual(JSON.parse(s.messages[0]!), { type: "reload" });
  s.ws.close();
  t.ws.close();
  await until(() => s.ws.readyState === s.ws.CLOSED && t.ws.readyState === t.ws.CLOSED);
  const plain = await raw(g.port, `${info.path}__reload`);
  assert.equal(plain.status, 426);
});

test("a rotated token revokes the capability URLs handed out before", async () => {
  const g = await gateway();
  const before = await canvasInfo(g.port, TOKEN);
  assert.equal((await raw(g.port, before.path!)).status, 200);
  const next = `${TOKEN}-rotated`;
  writeConfig(g.stateDir, { gateway: { auth: { token: next } } });
  g.kill("SIGHUP");
  await g.waitFor("config reloaded");
  assert.equal((await raw(g.port, before.path!)).status, 401);
  const after = await canvasInfo(g.port, next);
  assert.notEqual(after.path, before.path);
  assert.equal((await raw(g.port, after.path!)).status, 200);
  assert.equal(fs.statSync(path.join(g.stateDir, "canvas.key")).mode & 0o777, 0o600);
});

test("with canvasHost.enabled false nothing is served, the canvas port stays free, and canvas.info says so", async () => {
  const g = await gateway({ canvasHost: { enabled: false } });
  const off = await raw(g.port, "/__canvas__/", bearer);
  assert.equal(off.status, 404);
  assert.match(JSON.parse(off.body).error.message, /canvasHost\.enabled is false/);
  await assert.rejects(raw(g.port + 4, "/", bearer), /ECONNREFUSED/);
  const info = await canvasInfo(g.port, TOKEN);
  assert.deepEqual([info.enabled, info.listening, info.path, info.urls], [false, false, null, null]);
});

test("a canvas port taken by another process does not stop the gateway: the canvas is still under /__canvas__/ and canvas.info names the problem", async () => {
  const { freePort } = await import("../helpers/gateway.ts");
  const port = await freePort();
  const squatter = net.createServer().listen({ port: port + 4, host: "127.0.0.1", exclusive: true });
  await new Promise((r) => squatter.once("listening", r));
  try {
    const g = await startGateway({ port, config: { gateway: { auth: { token: TOKEN } } } });
    running.push(g);
    assert.match(g.stderr() + g.stdout(), /canvas port \d+ is not available/);
    const info = await canvasInfo(g.port, TOKEN);
    assert.equal(info.listening, false);
    assert.equal(info.urls!.canvas, null);
    assert.match(info.portProblem!, new RegExp(`127\\.0\\.0\\.1:${port + 4}`));
    fs.mkdirSync(path.join(g.stateDir, "workspace", "canvas"), { recursive: true });
    fs.writeFileSync(path.join(g.stateDir, "workspace", "canvas", "index.html"), "still here");
    assert.equal((await raw(g.port, info.path!)).body.startsWith("still here"), true);
  } finally {
    squatter.close();
  }
});

test("a stop closes the live-reload sockets (1001) and the canvas port, and exits 0", async () => {
  const g = await gateway();
  const info = await canvasInfo(g.port, TOKEN);
  const s = await reloadSocket(`ws://127.0.0.1:${g.port}${info.path}__reload`);
  const r = await g.stop();
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await s.closed, 1001);
  await assert.rejects(raw(g.port + 4, "/"), /ECONNREFUSED/);
});

test("the agent's canvas tool, called by a scripted model in a gateway run, writes a page the capability URL serves", async () => {
  fake.reset();
  const g = await gateway({ models: { primary: "fake/echo-1", providers: { fake: { kind: "openai", baseUrl: fake.openaiUrl } } } });
  fake.respond = (req) =>
    req.body.messages.some((m: { role: string }) => m.role === "tool")
      ? { kind: "reply", text: "shown" }
      : { kind: "tools", calls: [{ name: "canvas", input: { action: "write", path: "report/index.html", content: "<h1>Sales</h1>" } }] };
  const c = await connectGateway({ url: `ws://127.0.0.1:${g.port}`, token: TOKEN, clientId: "canvas-tool-test" });
  await c.request("chat.send", { text: "show me the sales", idempotencyKey: "canvas-1" });
  await until(() => c.events.some((e) => e.event === "chat" && (e.payload as { state: string }).state === "final"));
  await c.close();
  const toolResult = fake.requests.at(-1)!.body.messages.find((m: { role: string }) => m.role === "tool") as { content: string };
  const url = /(http:\/\/127\.0\.0\.1:\d+\/__canvas__\/c\/[A-Za-z0-9_-]{32}\/report\/index\.html)/.exec(toolResult.content)?.[1];
  assert.ok(url, toolResult.content);
  const page = await raw(g.port, new URL(url).pathname);
  assert.equal(page.status, 200);
  assert.match(page.body, /^<h1>Sales<\/h1><script/);
  assert.equal(fs.readFileSync(path.join(g.root, "report", "index.html"), "utf8"), "<h1>Sales</h1>");
});

test("a root that cannot be a directory is a coded 500 that names it and the key to fix, not a dropped request", async () => {
  const g = await gateway({ canvasHost: { root: "onebrain.json" } });
  const r = await raw(g.port, "/__canvas__/", bearer);
  assert.equal(r.status, 500);
  const error = JSON.parse(r.body).error as { code: string; message: string };
  assert.equal(error.code, "STATE_DIR_UNUSABLE");
  assert.match(error.message, /The canvas root .*onebrain\.json is not a directory: set canvasHost\.root to a directory/);
  assert.equal((await raw(g.port, "/healthz")).status, 200, "the gateway goes on");
});
