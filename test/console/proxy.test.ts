/**
 * The gateway behind a real nginx, on the wire (no browser): the nginx example of
 * docs/reverse-proxy.md carries the handshake, chat and live logs; the heartbeat keeps an idle
 * socket open through the proxy's read timeout; a proxy without the upgrade headers is told
 * apart from a gateway that is down.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { pause } from "../helpers/browser.ts";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { repoRoot, startGateway, type RunningGateway } from "../helpers/gateway.ts";
import { nginxBinary, startNginx, type RunningNginx } from "../helpers/nginx.ts";
import { bounded, reapAll, track } from "../gateway/support.ts";
import { eventually } from "../server/raw-ws.ts";
import { attempt, connectWeb } from "./web-socket-client.ts";

const token = "tok_proxy_wire_".padEnd(40, "p");
const fake = new FakeModelServer();
let gw: RunningGateway;
/** docs/reverse-proxy.md's location block, as written. */
let docs: RunningNginx;
/** The same without Upgrade/Connection: the classic misconfiguration. */
let noUpgrade: RunningNginx;
const proxies: RunningNginx[] = [];
const HEARTBEAT_MS = 500;

before(async () => {
  assert.ok(nginxBinary(), "nginx is installed (apt-get install nginx-light; .ci/run does it)");
  await fake.start();
  // A fast heartbeat, so the read-timeout tests take seconds, not minutes.
  gw = track(
    await startGateway({
      config: {
        gateway: { auth: { token }, ws: { pingIntervalMs: HEARTBEAT_MS } },
        models: { primary: "fake/echo-1", providers: { fake: { kind: "openai", baseUrl: fake.openaiUrl } } },
      },
    }),
  );
  docs = await startNginx({ upstreamPort: gw.port, fromDocs: true });
  noUpgrade = await startNginx({ upstreamPort: gw.port, upgrade: false });
  proxies.push(docs, noUpgrade);
});

after(async () => {
  for (const p of proxies) await p.stop();
  await gw?.stop();
  await fake.close();
  reapAll();
});

const wsUrl = (p: RunningNginx, id: string) => `ws://127.0.0.1:${p.port}/ws?attempt=${id}`;
const newAttempt = (tag: string) => `${tag}-${process.pid}-${Date.now().toString(36)}`;

test("the docs' nginx example keeps idle sockets longer than the default 30 s heartbeat", () => {
  const doc = fs.readFileSync(path.join(repoRoot, "docs", "reverse-proxy.md"), "utf8");
  for (const directive of ["proxy_read_timeout", "proxy_send_timeout"]) {
    const m = new RegExp(`${directive} (\\d+)s;`).exec(doc);
    assert.ok(m, `${directive} is set in the example`);
    assert.ok(Number(m[1]) > 30, `${directive} ${m[1]}s is longer than gateway.ws.pingIntervalMs (30 s)`);
  }
  assert.match(fs.readFileSync(docs.config, "utf8"), /proxy_set_header Upgrade \$http_upgrade;/, "the test runs the example's location block");
});

test("through the docs' nginx a client completes the handshake and the gateway sees it as proxied", bounded, async () => {
  assert.equal((await fetch(`${docs.url}/healthz`)).status, 200);
  // A proxied request is never local: /readyz keeps its component list from it.
  const direct = (await (await fetch(`http://127.0.0.1:${gw.port}/readyz`)).json()) as { ready: boolean; components?: unknown };
  const proxied = (await (await fetch(`${docs.url}/readyz`)).json()) as { ready: boolean; components?: unknown };
  assert.ok(Array.isArray(direct.components), "a direct local caller sees the components");
  assert.deepEqual(Object.keys(proxied), ["ready"], "a caller through nginx sees only ready");
  const c = await connectWeb(wsUrl(docs, newAttempt("hello")), token);
  try {
    assert.equal(c.hello.type, "hello-ok");
    const health = await c.request<{ ok: boolean; instanceId: string }>("health");
    assert.equal(health.instanceId, c.hello.server.instanceId);
  } finally {
    await c.close();
  }
  await eventually(() => docs.accessLog().some((l) => /^GET \/ws\?attempt=hello-\S+ 101$/.test(l)), "nginx logged the upgrade (101)", 10_000);
});

test("chat.send through nginx streams the reply back as chat events", bounded, async () => {
  fake.reset();
  const c = await connectWeb(wsUrl(docs, newAttempt("chat")), token);
  try {
    const sent = await c.request<{ status: string; sessionKey: string }>("chat.send", { text: "hello through nginx", idempotencyKey: newAttempt("k") });
    assert.equal(sent.status, "accepted");
    const final = await c.waitEvent((e) => e.event === "chat" && e.payload.state === "final", "chat final");
    assert.equal(final.payload.text, "echo: hello through nginx");
    const deltas = c.events.filter((e) => e.event === "chat" && e.payload.state === "delta" && e.payload.runId === final.payload.runId);
    assert.ok(deltas.length > 1, "the reply came in several deltas");
    assert.equal(deltas.map((e) => e.payload.delta).join(""), "echo: hello through nginx");
  } finally {
    await c.close();
  }
});

test("logs.tail with follow through nginx delivers lines written later as log events", bounded, async () => {
  const c = await connectWeb(wsUrl(docs, newAttempt("logs")), token);
  try {
    const tail = await c.request<{ following: boolean; lines: string[] }>("logs.tail", { limit: 5, follow: true });
    assert.equal(tail.following, true);
    // A second connection makes the gateway log a line naming its client id.
    const marker = newAttempt("proxy-log-marker");
    const other = await connectWeb(wsUrl(docs, newAttempt("logs2")), token, marker);
    await other.close();
    const event = await c.waitEvent((e) => e.event === "log" && e.payload.lines.some((l: string) => l.includes(marker)), `log with ${marker}`);
    assert.equal(typeof event.payload.cursor, "number");
  } finally {
    await c.close();
  }
});

test("an idle socket through nginx outlives proxy_read_timeout because the heartbeat is traffic", bounded, async () => {
  // The gateway pings every 500 ms; a 3 s read timeout is never reached.
  const slow = await startNginx({ upstreamPort: gw.port, readTimeout: "3s" });
  proxies.push(slow);
  const c = await connectWeb(wsUrl(slow, newAttempt("idle")), token);
  try {
    let closedEarly = false;
    void c.closed.then(() => (closedEarly = true));
    await pause(7000);
    assert.equal(closedEarly, false, "the socket stayed open over twice the read timeout");
    assert.equal((await c.request<{ instanceId: string }>("health")).instanceId, c.hello.server.instanceId);
  } finally {
    await c.close();
    await slow.stop();
  }
});

test("a proxy read timeout shorter than the heartbeat cuts open sockets (why the docs ask for a longer one)", bounded, async () => {
  const short = await startNginx({ upstreamPort: gw.port, readTimeout: "200ms" });
  proxies.push(short);
  try {
    const ws = new WebSocket(wsUrl(short, newAttempt("cut")));
    const opened = new Promise<boolean>((resolve) => {
      ws.addEventListener("open", () => resolve(true));
      ws.addEventListener("close", () => resolve(false));
    });
    const closed = new Promise<number>((resolve) => ws.addEventListener("close", (e) => resolve(e.code)));
    assert.equal(await opened, true, "the upgrade went through");
    assert.equal(await closed, 1006, "nginx dropped the silent connection without a close frame");
  } finally {
    await short.stop();
  }
});

test("without the upgrade headers the request reaches the gateway as plain HTTP: 426, and ws-check says so", bounded, async () => {
  const id = newAttempt("noupgrade");
  const outcome = await attempt(wsUrl(noUpgrade, id));
  assert.notEqual(outcome, "open");
  await eventually(() => noUpgrade.accessLog().includes(`GET /ws?attempt=${id} 426`), "nginx passed on the gateway's 426", 10_000);

  const check = await fetch(`${noUpgrade.url}/api/ws-check?attempt=${id}`);
  assert.equal(check.status, 200);
  const body = (await check.json()) as { attempt: string; seen: boolean; upgraded: boolean };
  assert.deepEqual([body.attempt, body.seen, body.upgraded], [id, true, false]);

  const plain = await fetch(`${noUpgrade.url}/ws`);
  assert.equal(plain.status, 426);
  assert.match(await plain.text(), /upgrade/i);
});

test("an attempt that never reached the gateway is reported as not seen", bounded, async () => {
  const res = await fetch(`${docs.url}/api/ws-check?attempt=${newAttempt("never")}`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as { seen: boolean };
  assert.equal(body.seen, false);
});

test("with the gateway down nginx answers 502 for the WebSocket and for everything else", bounded, async () => {
  await gw.stop();
  const id = newAttempt("down");
  assert.notEqual(await attempt(wsUrl(docs, id)), "open");
  await eventually(() => docs.accessLog().includes(`GET /ws?attempt=${id} 502`), "nginx answered the WebSocket with 502", 10_000);
  assert.equal((await fetch(`${docs.url}/api/ws-check?attempt=${id}`)).status, 502);
  assert.equal((await fetch(`${docs.url}/healthz`)).status, 502);
});
