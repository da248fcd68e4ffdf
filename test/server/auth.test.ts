/**
 * Gateway auth against real gateway processes: HTTP bearer auth, WebSocket auth with the
 * per-address failure limit, Origin checks, proxied requests, secret rotation and password mode.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { connectGateway } from "../../src/client/gateway-client.ts";
import { httpGet, startGateway, tmpDir, writeConfig } from "../helpers/gateway.ts";
import { gatewayFor, openRaw, upgradeStatus } from "./raw-ws.ts";

const TOKEN = "tok-7f3a9c1e5b2d4e6f";
const OTHER = "tok-0a1b2c3d4e5f6a7b";
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });
const url = (port: number) => `ws://127.0.0.1:${port}/`;

test("a lan gateway with a token answers /api/status only with the token, and never shows it", async (t) => {
  const gw = await gatewayFor(t, { gateway: { bind: "lan", auth: { token: TOKEN } } });
  const anon = await httpGet(gw.port, "/api/status");
  assert.equal(anon.status, 401);
  assert.match(anon.headers.get("www-authenticate") ?? "", /^Bearer realm=/);
  assert.equal(anon.body.error.code, "AUTH_REQUIRED");
  const wrong = await httpGet(gw.port, "/api/status", bearer(OTHER));
  assert.equal(wrong.status, 401);
  assert.equal(wrong.body.error.code, "AUTH_FAILED");
  const ok = await httpGet(gw.port, "/api/status", bearer(TOKEN));
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.body.auth, { mode: "token", tokenSource: "config", passwordSource: null });
  assert.deepEqual(ok.body.bind, { mode: "lan", hosts: ["0.0.0.0"] });
  assert.ok(!JSON.stringify(ok.body).includes(TOKEN), "the status body must not contain the token");
  const health = await httpGet(gw.port, "/healthz");
  assert.equal(health.status, 200);
  assert.deepEqual(health.body, { ok: true, service: "onebrain" });
});

test("a WebSocket connect with a wrong or missing token is answered with an error and closed with 4001", async (t) => {
  const gw = await gatewayFor(t, { gateway: { auth: { token: TOKEN } } });
  for (const [auth, code] of [
    [{ token: OTHER }, "AUTH_FAILED"],
    [undefined, "AUTH_REQUIRED"],
  ] as const) {
    const c = await openRaw(gw.port);
    const res = await c.connect(auth);
    assert.equal(res.ok, false);
    assert.equal(res.error?.code, code);
    assert.equal((await c.closed).code, 4001);
  }
  const good = await connectGateway({ url: url(gw.port), token: TOKEN });
  assert.equal(good.hello.type, "hello-ok");
  await good.close();
});

test("after authFailuresPerMinute failures an address is refused even with the right token", async (t) => {
  const gw = await gatewayFor(t, { gateway: { auth: { token: TOKEN }, authFailuresPerMinute: 3 } });
  const early = await openRaw(gw.port); // upgraded before the limit is reached
  for (let i = 0; i < 3; i++) {
    const c = await openRaw(gw.port);
    assert.equal((await c.connect({ token: OTHER })).error?.code, "AUTH_FAILED");
    await c.closed;
  }
  const refused = await openRaw(gw.port).then(
    () => assert.fail("the upgrade should be refused"),
    (err: { status?: number; headers?: Record<string, string> }) => err,
  );
  assert.equal(refused.status, 429);
  assert.ok(Number(refused.headers?.["retry-after"]) > 0, "429 carries Retry-After in seconds");

  const res = await early.connect({ token: TOKEN });
  assert.equal(res.error?.code, "RATE_LIMITED");
  assert.ok((res.error?.retryAfterMs ?? 0) > 0, "RATE_LIMITED carries retryAfterMs");
  assert.equal((await early.closed).code, 4004);

  const http = await httpGet(gw.port, "/api/status", bearer(TOKEN));
  assert.equal(http.status, 429);
  assert.ok(Number(http.headers.get("retry-after")) > 0);
});

test("only the gateway's own loopback origins and allowedOrigins may open the WebSocket", async (t) => {
  const gw = await gatewayFor(t, { gateway: { auth: { token: TOKEN }, allowedOrigins: ["https://app.example"] } });
  const p = gw.port;
  assert.equal(await upgradeStatus(p, { origin: "https://evil.example" }), 403);
  assert.equal(await upgradeStatus(p, { origin: "https://app.example.evil.example" }), 403);
  assert.equal(await upgradeStatus(p, { origin: `http://127.0.0.1:${p + 1}` }), 403, "another local port is another site");
  assert.equal(await upgradeStatus(p, { origin: "null" }), 403);
  assert.equal(await upgradeStatus(p, { origin: `http://127.0.0.1:${p}` }), 101);
  assert.equal(await upgradeStatus(p, { origin: `http://localhost:${p}` }), 101);
  assert.equal(await upgradeStatus(p, { origin: "https://APP.example" }), 101);
  assert.equal(await upgradeStatus(p), 101, "clients without an Origin are not browsers");
  const c = await connectGateway({ url: url(p), token: TOKEN, origin: "https://app.example" });
  await c.close();
});

test("a request carrying a proxy header is never local, so auth mode none refuses it", async (t) => {
  const gw = await gatewayFor(t, {});
  assert.equal((await httpGet(gw.port, "/api/status")).status, 200, "a direct loopback caller is local");
  const proxyHeaders: Record<string, string>[] = [{ "x-forwarded-for": "127.0.0.1" }, { forwarded: "for=127.0.0.1" }, { "x-real-ip": "127.0.0.1" }];
  for (const header of proxyHeaders) {
    const res = await httpGet(gw.port, "/api/status", header);
    assert.equal(res.status, 401, `${Object.keys(header)[0]} makes the request non-local`);
    assert.equal(res.body.error.code, "AUTH_REQUIRED");
  }
  const detailed = await httpGet(gw.port, "/readyz");
  assert.ok(Array.isArray(detailed.body.components));
  const proxied = await httpGet(gw.port, "/readyz", { "x-forwarded-for": "127.0.0.1" });
  assert.equal(proxied.status, 200);
  assert.deepEqual(proxied.body, { ready: true });
  const c = await openRaw(gw.port, { headers: { "x-forwarded-for": "127.0.0.1" } });
  assert.equal((await c.connect()).error?.code, "AUTH_REQUIRED");
  assert.equal((await c.closed).code, 4001);
});

test("X-Forwarded-For from an untrusted peer cannot spread failures over made-up addresses", async (t) => {
  const gw = await gatewayFor(t, { gateway: { auth: { token: TOKEN }, authFailuresPerMinute: 3 } });
  for (const ip of ["198.51.100.1", "198.51.100.2", "198.51.100.3"]) {
    const c = await openRaw(gw.port, { headers: { "x-forwarded-for": ip } });
    assert.equal((await c.connect({ token: OTHER })).error?.code, "AUTH_FAILED");
    await c.closed;
  }
  assert.equal(await upgradeStatus(gw.port, { headers: { "x-forwarded-for": "198.51.100.4" } }), 429);
  assert.equal(await upgradeStatus(gw.port), 429, "the failures were counted against the real peer");
});

test("a reload that brings a malformed trusted proxy entry is refused with its key path and the gateway keeps running", async (t) => {
  const gw = await gatewayFor(t, { gateway: { auth: { token: TOKEN } } });
  writeConfig(gw.stateDir, { gateway: { auth: { token: TOKEN }, trustedProxies: ["10.0.0.0/33", "10.0.0.1/"] } });
  await gw.waitFor("config reload failed; keeping the running config");
  await gw.waitFor("gateway.trustedProxies.0: expected an IP address or CIDR");
  assert.equal(gw.child.exitCode, null);
  assert.equal((await httpGet(gw.port, "/readyz")).status, 200);
  const c = await connectGateway({ url: url(gw.port), token: TOKEN });
  await c.close();
});

test("anonymous /readyz probes from a remote address do not count as failed logins", async (t) => {
  const gw = await gatewayFor(t, { gateway: { auth: { token: TOKEN }, authFailuresPerMinute: 3 } });
  for (let i = 0; i < 5; i++) {
    const probe = await httpGet(gw.port, "/readyz", { "x-forwarded-for": "203.0.113.5" });
    assert.deepEqual(probe.body, { ready: true });
  }
  const c = await connectGateway({ url: url(gw.port), token: TOKEN });
  await c.close();
  const authed = await httpGet(gw.port, "/readyz", { "x-forwarded-for": "203.0.113.5", ...bearer(TOKEN) });
  assert.ok(Array.isArray(authed.body.components), "an authenticated remote caller sees the components");
});

test("rewriting the config with a new token closes clients of the old one with 4009", async (t) => {
  const gw = await gatewayFor(t, { gateway: { auth: { token: TOKEN } } });
  const old = await connectGateway({ url: url(gw.port), token: TOKEN });
  writeConfig(gw.stateDir, { gateway: { auth: { token: OTHER } } });
  const closed = await Promise.race([old.closed, new Promise<null>((r) => setTimeout(() => r(null), 2000).unref())]);
  assert.ok(closed, "the old client was not closed within 2 s of the rewrite");
  assert.equal(closed.code, 4009);
  await assert.rejects(connectGateway({ url: url(gw.port), token: TOKEN }), { code: "AUTH_FAILED" });
  const fresh = await connectGateway({ url: url(gw.port), token: OTHER });
  assert.equal(fresh.hello.type, "hello-ok");
  await fresh.close();
});

test("SIGHUP reloads a config edit that the file watcher cannot see", async (t) => {
  // The config is a symlink to a file elsewhere, so editing the target makes no event in the watched dir.
  const root = tmpDir();
  const stateDir = path.join(root, "state");
  const real = path.join(root, "elsewhere", "onebrain.json");
  fs.mkdirSync(path.dirname(real), { recursive: true });
  fs.writeFileSync(real, JSON.stringify({ gateway: { auth: { token: TOKEN } } }));
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  fs.symlinkSync(real, path.join(stateDir, "onebrain.json"));
  const gw = await startGateway({ stateDir });
  t.after(() => gw.stop());

  const old = await connectGateway({ url: url(gw.port), token: TOKEN });
  fs.writeFileSync(real, JSON.stringify({ gateway: { auth: { token: OTHER } } }));
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(old.ws.readyState, old.ws.OPEN, "precondition: the watcher alone did not reload");
  gw.kill("SIGHUP");
  assert.equal((await old.closed).code, 4009);
  await gw.waitFor("config reloaded");
  const fresh = await connectGateway({ url: url(gw.port), token: OTHER });
  await fresh.close();
  assert.equal(gw.child.exitCode, null, "SIGHUP must not stop the gateway");
});

test("password mode accepts the password over WebSocket and as Bearer or Basic over HTTP", async (t) => {
  const password = "correct horse battery staple";
  const gw = await gatewayFor(t, { gateway: { auth: { mode: "password", password } } });
  const c = await connectGateway({ url: url(gw.port), password });
  assert.equal(c.hello.type, "hello-ok");
  await c.close();
  await assert.rejects(connectGateway({ url: url(gw.port), password: "wrong horse" }), { code: "AUTH_FAILED" });
  const viaBearer = await httpGet(gw.port, "/api/status", bearer(password));
  assert.equal(viaBearer.status, 200);
  assert.equal(viaBearer.body.auth.mode, "password");
  assert.ok(!JSON.stringify(viaBearer.body).includes(password));
  const basic = `Basic ${Buffer.from(`anyone:${password}`).toString("base64")}`;
  assert.equal((await httpGet(gw.port, "/api/status", { authorization: basic })).status, 200);
});
