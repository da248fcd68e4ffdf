/**
 * The WebSocket server against a real gateway process: handshake, heartbeat, deadlines, limits,
 * malformed input (never a crash) and the v1 methods.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { WebSocket } from "ws";
import { connectGateway } from "../../src/client/gateway-client.ts";
import { httpGet, startGateway, type RunningGateway } from "../helpers/gateway.ts";
import { eventually, openRaw, type RawClient } from "./raw-ws.ts";
import { METHODS } from "../../src/protocol/methods.ts";

const TOKEN = "tok-ws-3b9d0c7e1f2a";
const PING_MS = 200;
const HANDSHAKE_MS = 300;
const PRE_AUTH_MAX = 1024;

let gw: RunningGateway;
before(async () => {
  gw = await startGateway({
    config: { gateway: { auth: { token: TOKEN }, ws: { pingIntervalMs: PING_MS, handshakeTimeoutMs: HANDSHAKE_MS, preAuthMaxPayload: PRE_AUTH_MAX } } },
  });
});
after(async () => {
  const kill = setTimeout(() => gw.kill("SIGKILL"), 3000);
  await gw.stop();
  clearTimeout(kill);
});

const url = () => `ws://127.0.0.1:${gw.port}/`;

async function connected(): Promise<RawClient> {
  const c = await openRaw(gw.port);
  const res = await c.connect({ token: TOKEN });
  assert.equal(res.ok, true, JSON.stringify(res.error));
  return c;
}

async function assertStillServing(): Promise<void> {
  assert.equal(gw.child.exitCode, null, "the gateway process is alive");
  assert.equal((await httpGet(gw.port, "/readyz")).status, 200);
}

test("the server speaks first with connect.challenge, and connect is answered with hello-ok", async () => {
  const c = await openRaw(gw.port);
  const challenge = await c.waitFrame(() => true);
  assert.equal(challenge.type, "event");
  assert.equal(challenge.event, "connect.challenge");
  assert.equal(challenge.seq, 0);
  assert.match(challenge.payload.nonce, /^[0-9a-f]{32}$/);
  assert.ok(Math.abs(challenge.payload.ts - Date.now()) < 10_000, "ts is the server's clock in ms");

  const res = await c.connect({ token: TOKEN });
  assert.equal(res.ok, true);
  const hello = res.payload;
  assert.equal(hello.type, "hello-ok");
  assert.equal(hello.protocol, 1);
  assert.match(hello.server.version, /^\d+\.\d+\.\d+/);
  assert.match(hello.server.connId, /^[0-9a-f-]{36}$/);
  for (const m of ["health", "status", "logs.tail"]) assert.ok(hello.features.methods.includes(m), `methods has ${m}`);
  for (const e of ["connect.challenge", "tick", "shutdown"]) assert.ok(hello.features.events.includes(e), `events has ${e}`);
  assert.deepEqual(hello.policy, { maxPayload: 1024 * 1024, maxBufferedBytes: 8 * 1024 * 1024, tickIntervalMs: PING_MS });

  const other = await openRaw(gw.port);
  const otherHello = (await other.connect({ token: TOKEN })).payload;
  assert.notEqual(otherHello.server.connId, hello.server.connId);
  assert.notEqual(other.frames[0]!.payload.nonce, challenge.payload.nonce);
  c.ws.close();
  other.ws.close();
});

test("a request before connect gets NOT_CONNECTED and the socket is closed", async () => {
  const c = await openRaw(gw.port);
  const res = await c.request("health");
  assert.equal(res.error?.code, "NOT_CONNECTED");
  assert.equal((await c.closed).code, 1008);
});

test("a client whose protocol range excludes 1 gets PROTOCOL_UNSUPPORTED and close 4003", async () => {
  const c = await openRaw(gw.port);
  const res = await c.connect({ token: TOKEN }, { min: 2, max: 3 });
  assert.equal(res.error?.code, "PROTOCOL_UNSUPPORTED");
  assert.equal((await c.closed).code, 4003);
});

test("a client that stops answering pings is terminated within two intervals, while one that answers stays", async () => {
  const zombie = await openRaw(gw.port, { autoPong: false });
  assert.equal((await zombie.connect({ token: TOKEN })).ok, true);
  const healthy = await connectGateway({ url: url(), token: TOKEN });
  const since = Date.now();
  const end = await zombie.closed;
  const elapsed = Date.now() - since;
  assert.equal(end.code, 1006, "the zombie is terminated, not closed politely");
  assert.ok(elapsed < 3 * PING_MS + 500, `terminated after ${elapsed} ms; two intervals are ${2 * PING_MS} ms`);

  await sleep(4 * PING_MS);
  assert.equal(healthy.ws.readyState, WebSocket.OPEN, "a client that answers pings is never terminated");
  const ticks = healthy.events.filter((e) => e.event === "tick");
  assert.ok(ticks.length >= 3, `expected ticks every ${PING_MS} ms, got ${ticks.length}`);
  assert.deepEqual(
    ticks.map((e) => e.seq),
    ticks.map((e) => e.seq!).sort((a, b) => a - b),
    "seq counts up",
  );
  await healthy.close();
});

test("a socket that never sends connect is closed with 4002 after the handshake deadline", async () => {
  const c = await openRaw(gw.port);
  const since = Date.now();
  const end = await c.closed;
  assert.equal(end.code, 4002);
  assert.ok(Date.now() - since >= HANDSHAKE_MS - 50, "not before the deadline");
});

test("a first frame over preAuthMaxPayload closes the socket with 1009, and the limit lifts after connect", async () => {
  const big = await openRaw(gw.port);
  big.ws.send(JSON.stringify({ type: "req", id: "1", method: "connect", params: { pad: "x".repeat(2 * PRE_AUTH_MAX) } }));
  assert.equal((await big.closed).code, 1009);
  await assertStillServing();

  const c = await connected();
  const res = await c.request("health", { pad: "x".repeat(4 * PRE_AUTH_MAX) });
  assert.equal(res.ok, true, "after connect the limit is maxPayload");
  c.ws.close();
});

test("malformed frames close the socket with the matching code and never crash the gateway", async () => {
  const cases: Array<[string, boolean, (c: RawClient) => void, number]> = [
    ["non-JSON text before connect", false, (c) => c.ws.send("hello?"), 1007],
    ["non-JSON text after connect", true, (c) => c.ws.send("{not json"), 1007],
    ["a binary frame", true, (c) => c.ws.send(Buffer.from([1, 2, 3])), 1003],
    ["JSON without type or id", true, (c) => c.ws.send(JSON.stringify({ hello: "world" })), 1002],
    ["JSON null", true, (c) => c.ws.send("null"), 1002],
    ["a bad req frame with an id, before connect", false, (c) => c.ws.send(JSON.stringify({ id: "1", method: 7 })), 1002],
    ["deeply nested JSON", true, (c) => c.ws.send(`${"[".repeat(200_000)}${"]".repeat(200_000)}`), 1002],
  ];
  for (const [name, auth, send, code] of cases) {
    const c = auth ? await connected() : await openRaw(gw.port);
    send(c);
    assert.equal((await c.closed).code, code, name);
  }
  await assertStillServing();
});

test("a bad frame with an id after connect is answered INVALID_REQUEST and the socket stays open", async () => {
  const c = await connected();
  c.ws.send(JSON.stringify({ type: "req", id: "bad-1", method: "health", extra: true }));
  assert.equal((await c.waitFrame((f) => f.id === "bad-1")).error?.code, "INVALID_REQUEST");
  c.ws.send(JSON.stringify({ type: "request", id: "bad-2" }));
  assert.equal((await c.waitFrame((f) => f.id === "bad-2")).error?.code, "INVALID_REQUEST");
  assert.equal((await c.request("logs.tail", { limit: "ten" })).error?.code, "INVALID_REQUEST");
  const unknown = await c.request("agents.list");
  assert.equal(unknown.error?.code, "UNKNOWN_METHOD");
  assert.deepEqual(unknown.error?.details, { methods: METHODS });
  assert.equal((await c.request("connect")).error?.code, "ALREADY_CONNECTED");
  assert.equal((await c.request("health")).ok, true, "the socket still works");
  assert.equal(c.ws.readyState, WebSocket.OPEN);
  c.ws.close();
  await assertStillServing();
});

test("health, status and logs.tail answer with the gateway's own facts and no secret", async () => {
  const c = await connectGateway({ url: url(), token: TOKEN });
  const health = await c.request<{ ok: boolean; ready: boolean; failing: string[] }>("health");
  assert.equal(health.ok, true);
  assert.equal(health.ready, true);
  assert.deepEqual(health.failing, []);

  const status = await c.request<any>("status");
  assert.equal(status.pid, gw.pid);
  assert.equal(status.stateDir, gw.stateDir);
  assert.equal(status.ports.base, gw.port);
  assert.ok(status.connections >= 1);
  assert.ok(!JSON.stringify(status).includes(TOKEN), "status must not contain the token");

  const first = await c.request<{ lines: string[]; cursor: number }>("logs.tail");
  assert.ok(first.lines.some((l) => JSON.parse(l).msg === "gateway listening"));
  assert.ok(first.cursor > 0);
  const marker = await connectGateway({ url: url(), token: TOKEN, clientId: "tail-marker" });
  await marker.close();
  let later: { lines: string[]; cursor: number } = { lines: [], cursor: 0 };
  await eventually(async () => {
    later = await c.request("logs.tail", { cursor: first.cursor });
    return later.lines.some((l) => JSON.parse(l).clientId === "tail-marker");
  }, "the new client shows up in the log");
  assert.ok(!later.lines.some((l) => JSON.parse(l).msg === "gateway listening"), "a cursor returns only newer lines");
  assert.ok(later.cursor > first.cursor);
  await c.close();
});
