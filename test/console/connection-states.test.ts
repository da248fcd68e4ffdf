/**
 * The console connection's state machine with a scripted socket and a fake clock: the close
 * codes and answers a live gateway rarely produces on demand, and exact timing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Connection } from "../../console/src/link/connection.ts";
import { FakeClock, fakeDeps, flush } from "./fakes.ts";

function setup(location?: { protocol: string; host: string }) {
  const clock = new FakeClock();
  const f = fakeDeps(clock, location);
  const conn = new Connection(f.deps, { clientVersion: "9.9.9", platform: "test" });
  return { clock, conn, ...f };
}

test("dials wss on an https page, only ever the page's own host, with a fresh attempt id each time", async () => {
  const { conn, sockets, clock } = setup({ protocol: "https:", host: "console.example:8443" });
  conn.start();
  sockets[0]!.closeWith(1006);
  await flush();
  clock.advance(1_000);
  assert.equal(sockets.length, 2);
  for (const s of sockets) assert.match(s.url, /^wss:\/\/console\.example:8443\/ws\?attempt=[A-Za-z0-9_-]{22}$/);
  assert.notEqual(sockets[0]!.url, sockets[1]!.url);
  conn.stop();
});

test("answers the challenge with connect: protocol 1, onebrain-console in ui mode, the secret as token and password", () => {
  const { conn, last } = setup();
  conn.start("s3cret");
  last().open();
  last().receive({ type: "event", event: "connect.challenge", payload: { nonce: "n", ts: 1 }, seq: 0 });
  const connect = last().sent[0];
  assert.equal(connect.method, "connect");
  assert.deepEqual(connect.params, {
    minProtocol: 1,
    maxProtocol: 1,
    client: { id: "onebrain-console", version: "9.9.9", platform: "test", mode: "ui" },
    auth: { token: "s3cret", password: "s3cret" },
  });
  conn.stop();
});

test("sends no auth at all when no secret is stored", () => {
  const { conn, last } = setup();
  conn.start(null);
  last().open();
  last().receive({ type: "event", event: "connect.challenge", payload: { nonce: "n", ts: 1 }, seq: 0 });
  assert.equal("auth" in last().sent[0].params, false);
  conn.stop();
});

test("is connected only once the status call has given the fencing epoch", async () => {
  const { conn, last } = setup();
  conn.start();
  last().handshake("inst-1");
  await flush();
  assert.equal(conn.snapshot.state, "connecting");
  last().answerStatus(7);
  await flush();
  assert.equal(conn.snapshot.state, "connected");
  assert.equal(conn.snapshot.epoch, 7);
  conn.stop();
});

test("frames that are not JSON objects (null, arrays, numbers, broken JSON) are ignored and the link stays up", async () => {
  const { conn, last } = setup();
  conn.start();
  last().handshake("inst-1");
  last().answerStatus(3);
  await flush();
  for (const data of ["null", "[]", "42", '"text"', "{broken"]) last().onmessage?.({ data });
  await flush();
  assert.equal(conn.snapshot.state, "connected");
  assert.equal(conn.snapshot.epoch, 3);
  conn.stop();
});

/** Connects to `first`, drops, and reconnects to `second` whose status says epoch 2. */
async function reconnectTo(first: string, second: string) {
  const s = setup();
  s.conn.start();
  s.last().handshake(first);
  s.last().answerStatus(1);
  await flush();
  s.last().closeWith(1006);
  s.clock.advance(1_000);
  s.last().handshake(second);
  s.last().answerStatus(2);
  await flush();
  return s;
}

test("a new fencing epoch from the same instance id counts as replaced", async () => {
  const { conn } = await reconnectTo("inst-1", "inst-1");
  assert.equal(conn.snapshot.state, "replaced");
  assert.equal(conn.snapshot.generation, 2);
  conn.stop();
});

test("the 'replaced' notice gives way to plain connected on its own after 8 s", async () => {
  const { conn, clock } = await reconnectTo("inst-1", "inst-2");
  assert.equal(conn.snapshot.state, "replaced");
  clock.advance(7_900);
  assert.equal(conn.snapshot.state, "replaced");
  clock.advance(100);
  assert.deepEqual([conn.snapshot.state, conn.snapshot.detail, conn.snapshot.generation], ["connected", "", 2]);
  conn.stop();
});

/** Dials with `secret` and has the gateway refuse the connect with `code`; counts calls of forgetSecret. */
function refusedWith(secret: string | null, code: "AUTH_REQUIRED" | "AUTH_FAILED") {
  const counts = { forgotten: 0 };
  const f = fakeDeps(new FakeClock());
  const conn = new Connection({ ...f.deps, forgetSecret: () => counts.forgotten++ });
  conn.start(secret);
  f.last().open();
  f.last().receive({ type: "event", event: "connect.challenge", payload: {}, seq: 0 });
  f.last().receive({ type: "res", id: f.last().sent[0].id, ok: false, error: { code, message: "refused" } });
  f.last().closeWith(4001, "auth");
  return { conn, counts, f };
}

test("a first visit without a secret to a gateway that wants one is sign-in, and nothing is forgotten", () => {
  const { conn, counts } = refusedWith(null, "AUTH_REQUIRED");
  assert.deepEqual([conn.snapshot.state, conn.snapshot.manual, counts.forgotten], ["sign-in", true, 0]);
  conn.stop();
});

test("a refused secret is forgotten (storage and memory): the next attempt sends none", () => {
  const { conn, counts, f } = refusedWith("wrong", "AUTH_FAILED");
  assert.deepEqual([conn.snapshot.state, counts.forgotten], ["auth-failed", 1]);
  conn.retryNow();
  f.last().open();
  f.last().receive({ type: "event", event: "connect.challenge", payload: {}, seq: 0 });
  assert.equal("auth" in f.last().sent[0].params, false, "the refused secret is not sent again");
  conn.stop();
});

test("reconnect delays double from 1 s and stop growing at 30 s", async () => {
  const { conn, last, clock } = setup();
  conn.start();
  last().handshake();
  last().answerStatus(1);
  await flush();
  last().closeWith(1006);
  const delays: number[] = [];
  for (let i = 0; i < 7; i++) {
    delays.push(conn.snapshot.nextRetryAt! - clock.now());
    assert.equal(conn.snapshot.attempt, i + 1);
    clock.advance(delays[i]!);
    last().closeWith(1006); // refused before it opened: the ws-check fetch fails too
    await flush();
    await flush();
  }
  assert.deepEqual(delays, [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  assert.equal(conn.snapshot.state, "reconnecting");
  conn.stop();
});

test("rate limiting waits at least the retryAfterMs the gateway gave", () => {
  const { conn, last, clock } = setup();
  conn.start("wrong");
  last().open();
  last().receive({ type: "event", event: "connect.challenge", payload: {}, seq: 0 });
  last().receive({ type: "res", id: last().sent[0].id, ok: false, error: { code: "RATE_LIMITED", message: "too many", retryAfterMs: 20_000 } });
  last().closeWith(4004, "rate limited");
  assert.equal(conn.snapshot.state, "refused");
  assert.ok(conn.snapshot.nextRetryAt! - clock.now() >= 20_000);
  conn.stop();
});

test("a protocol refusal (4003) waits for the operator instead of retrying", () => {
  const { conn, last, sockets, clock } = setup();
  conn.start();
  last().open();
  last().closeWith(4003, "protocol unsupported");
  assert.equal(conn.snapshot.state, "refused");
  assert.equal(conn.snapshot.manual, true);
  clock.advance(120_000);
  assert.equal(sockets.length, 1);
  conn.stop();
});

test("rotated credentials (4009) ask for the new secret", async () => {
  const { conn, last } = setup();
  conn.start("old");
  last().handshake();
  last().answerStatus(1);
  await flush();
  last().closeWith(4009, "credentials rotated");
  assert.equal(conn.snapshot.state, "auth-failed");
  assert.equal(conn.snapshot.manual, true);
  conn.stop();
});

test("requests in flight when the link drops fail with LINK_DOWN", async () => {
  const { conn, last } = setup();
  conn.start();
  last().handshake();
  last().answerStatus(1);
  await flush();
  const pending = conn.request("sessions.list");
  last().closeWith(1006);
  await assert.rejects(pending, { code: "LINK_DOWN" });
  conn.stop();
});

test("any frame keeps the link alive; 2.5 tick intervals of silence drop it", async () => {
  const { conn, last, clock } = setup();
  conn.start();
  last().handshake("inst-1", 1, 1_000);
  last().answerStatus(1);
  await flush();
  clock.advance(2_000);
  last().receive({ type: "event", event: "tick", payload: { ts: 0 }, seq: 1 });
  clock.advance(2_000);
  assert.equal(conn.snapshot.state, "connected");
  clock.advance(600);
  assert.equal(conn.snapshot.state, "reconnecting");
  assert.match(conn.snapshot.detail, /No word from the gateway for 3 s/);
  assert.equal(last().closedByClient, true);
  conn.stop();
});

test("a ws-check answer that arrives after the operator retried is ignored", async () => {
  const { conn, last, sockets, answerCheck, holdChecks } = setup();
  answerCheck(200, { seen: true, upgraded: false, refused: null });
  const release = holdChecks();
  conn.start();
  last().closeWith(1006);
  conn.retryNow();
  assert.equal(sockets.length, 2);
  release();
  await flush();
  await flush();
  assert.equal(conn.snapshot.state, "connecting");
  conn.stop();
});

test("a link that dies right after its handshake keeps backing off; one that lasted starts again at attempt 1", async () => {
  const { conn, last, clock } = setup();
  conn.start();
  const connectThenDrop = async (upForMs: number) => {
    last().handshake();
    last().answerStatus(1);
    await flush();
    clock.advance(upForMs);
    last().closeWith(1011, "crash");
  };
  await connectThenDrop(100);
  assert.equal(conn.snapshot.attempt, 1);
  clock.advance(1_000);
  await connectThenDrop(100);
  assert.equal(conn.snapshot.attempt, 2);
  assert.equal(conn.snapshot.nextRetryAt! - clock.now(), 2_000);
  clock.advance(2_000);
  await connectThenDrop(60_000);
  assert.equal(conn.snapshot.attempt, 1);
  conn.stop();
});
