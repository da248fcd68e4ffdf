/** The fake Discord's Gateway, frame by frame over a raw WebSocket: close codes, resume replay, op 9, heartbeats. */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import WebSocket from "ws";
import { FakeDiscord } from "../helpers/fake-discord.ts";

const INTENTS = (1 << 0) | (1 << 9) | (1 << 12) | (1 << 15);
const discord = new FakeDiscord({ heartbeatIntervalMs: 400, identifyIntervalMs: 0 });
before(() => discord.start());
after(() => discord.close());

type Frame = { op: number; d: any; s: number | null; t: string | null };

/** A raw socket that keeps every frame and can wait for the next matching one or for the close. */
async function open(url: string) {
  const ws = new WebSocket(`${url}?v=10&encoding=json`);
  const frames: Frame[] = [];
  const waiters: Array<{ pick: (f: Frame) => boolean; resolve: (f: Frame) => void }> = [];
  const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
  ws.on("message", (raw) => {
    const f = JSON.parse((raw as Buffer).toString()) as Frame;
    const w = waiters.find((x) => x.pick(f));
    if (!w) return void frames.push(f);
    waiters.splice(waiters.indexOf(w), 1);
    w.resolve(f);
  });
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  const next = (pick: (f: Frame) => boolean) => {
    const seen = frames.find(pick);
    if (seen) {
      frames.splice(frames.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise<Frame>((resolve) => waiters.push({ pick, resolve }));
  };
  const send = (op: number, d: unknown) => ws.send(JSON.stringify({ op, d }));
  return { ws, frames, next, send, closed };
}

const identify = (token: string, intents = INTENTS) => ({ token, intents, properties: { os: "linux", browser: "t", device: "t" } });

test("HELLO comes first, a heartbeat is acknowledged, and IDENTIFY yields READY then GUILD_CREATE", async () => {
  const g = discord.guild("home");
  discord.textChannel(g);
  const c = await open(discord.gatewayUrl);
  const hello = await c.next(() => true);
  assert.equal(hello.op, 10);
  assert.equal(hello.d.heartbeat_interval, 400);
  c.send(1, null);
  assert.equal((await c.next((f) => f.op === 11)).op, 11);
  c.send(2, identify(discord.token));
  const ready = await c.next((f) => f.t === "READY");
  assert.equal(ready.s, 1);
  assert.equal(ready.d.user.bot, true);
  assert.deepEqual(ready.d.guilds, [{ id: g, unavailable: true }]);
  const gc = await c.next((f) => f.t === "GUILD_CREATE");
  assert.equal(gc.s, 2);
  assert.equal(gc.d.id, g);
  c.ws.terminate();
});

test("a bad token is closed with 4004, a disallowed intent with 4014, unknown intent bits with 4013", async () => {
  const bad = await open(discord.gatewayUrl);
  bad.send(2, identify("bm9wZQ.x.y"));
  assert.equal(await bad.closed, 4004);
  discord.allowMessageContent = false;
  try {
    const privileged = await open(discord.gatewayUrl);
    privileged.send(2, identify(discord.token));
    assert.equal(await privileged.closed, 4014);
  } finally {
    discord.allowMessageContent = true;
  }
  const unknown = await open(discord.gatewayUrl);
  unknown.send(2, identify(discord.token, 1 << 23));
  assert.equal(await unknown.closed, 4013);
});

test("without the message content intent, guild messages arrive empty unless they mention the bot; DMs keep their text", async () => {
  const g = discord.guild();
  const ch = discord.textChannel(g);
  const u = discord.user();
  const c = await open(discord.gatewayUrl);
  c.send(2, identify(discord.token, (1 << 0) | (1 << 9) | (1 << 12)));
  await c.next((f) => f.t === "READY");
  discord.userSays(ch, u, "plain");
  discord.userSays(ch, u, "to you", { mentionBot: true });
  discord.userSays(discord.dm(u), u, "private");
  const got = [];
  for (let i = 0; i < 3; i++) got.push((await c.next((f) => f.t === "MESSAGE_CREATE")).d.content);
  assert.deepEqual(got, ["", `<@${discord.botId}> to you`, "private"]);
  c.ws.terminate();
});

test("RESUME replays every dispatch after the client's seq, then RESUMED; an unknown session gets op 9 d:false", async () => {
  const u = discord.user();
  const dm = discord.dm(u);
  const a = await open(discord.gatewayUrl);
  a.send(2, identify(discord.token));
  const ready = await a.next((f) => f.t === "READY");
  const one = await (discord.userSays(dm, u, "one"), a.next((f) => f.t === "MESSAGE_CREATE"));
  a.ws.terminate();
  await a.closed;
  discord.userSays(dm, u, "two");
  discord.userSays(dm, u, "three");
  const b = await open(ready.d.resume_gateway_url);
  b.send(6, { token: discord.token, session_id: ready.d.session_id, seq: one.s });
  const replayed = [await b.next((f) => f.op === 0), await b.next((f) => f.op === 0), await b.next((f) => f.op === 0)];
  assert.deepEqual(
    replayed.map((f) => f.d?.content ?? f.t),
    ["two", "three", "RESUMED"],
  );
  assert.deepEqual(
    replayed.map((f) => f.s),
    [one.s! + 1, one.s! + 2, one.s! + 3],
  );
  b.ws.terminate();
  const c = await open(ready.d.resume_gateway_url);
  c.send(6, { token: discord.token, session_id: "nope", seq: 1 });
  assert.deepEqual(await c.next((f) => f.op === 9), { op: 9, d: false, s: null, t: null });
  c.ws.terminate();
});

test("refuseResumes answers the next RESUME with op 9 d:false and ends the session", async () => {
  const a = await open(discord.gatewayUrl);
  a.send(2, identify(discord.token));
  const ready = await a.next((f) => f.t === "READY");
  a.ws.terminate();
  discord.refuseResumes(1);
  const b = await open(discord.gatewayUrl);
  b.send(6, { token: discord.token, session_id: ready.d.session_id, seq: ready.s });
  assert.equal((await b.next((f) => f.op === 9)).d, false);
  b.send(6, { token: discord.token, session_id: ready.d.session_id, seq: ready.s });
  assert.equal((await b.next((f) => f.op === 9)).d, false, "the session is gone");
  b.ws.terminate();
});

test("a socket that stops heartbeating is closed with 4009 and its session cannot be resumed", async () => {
  const a = await open(discord.gatewayUrl);
  a.send(2, identify(discord.token));
  const ready = await a.next((f) => f.t === "READY");
  assert.equal(await a.closed, 4009);
  const b = await open(discord.gatewayUrl);
  b.send(6, { token: discord.token, session_id: ready.d.session_id, seq: ready.s });
  assert.equal((await b.next((f) => f.op === 9)).d, false);
  b.ws.terminate();
});

test("a zombied gateway stops acknowledging heartbeats but keeps the socket open", async () => {
  const a = await open(discord.gatewayUrl);
  discord.zombie(true);
  try {
    a.send(1, null);
    a.send(2, identify(discord.token));
    await a.next((f) => f.t === "READY");
    assert.equal(a.frames.filter((f) => f.op === 11).length, 0);
    assert.equal(a.ws.readyState, WebSocket.OPEN);
  } finally {
    discord.zombie(false);
    a.ws.terminate();
  }
});

test("identifying faster than once per interval is answered with op 9 d:false; GET /gateway/bot counts the session starts left", async () => {
  const slow = new FakeDiscord({ identifyIntervalMs: 60_000 });
  await slow.start();
  try {
    const a = await open(slow.gatewayUrl);
    a.send(2, identify(slow.token));
    await a.next((f) => f.t === "READY");
    const b = await open(slow.gatewayUrl);
    b.send(2, identify(slow.token));
    assert.equal((await b.next((f) => f.op === 9)).d, false);
    assert.equal(b.ws.readyState, WebSocket.OPEN, "the socket stays open for a later IDENTIFY");
    const bot: any = await (await fetch(`${slow.apiRoot}/v10/gateway/bot`, { headers: { authorization: `Bot ${slow.token}` } })).json();
    assert.equal(bot.session_start_limit.remaining, 999);
    assert.equal(bot.session_start_limit.max_concurrency, 1);
    assert.equal(bot.url, slow.gatewayUrl);
  } finally {
    await slow.close();
  }
});

test("an IDENTIFY with no session start left ends every session and resets the token, as Discord's docs say", async () => {
  const spent = new FakeDiscord({ identifyIntervalMs: 0, sessionStartLimit: { total: 1, remaining: 1, resetAfterMs: 60_000 } });
  await spent.start();
  try {
    const token = spent.token;
    const a = await open(spent.gatewayUrl);
    a.send(2, identify(token));
    await a.next((f) => f.t === "READY");
    const b = await open(spent.gatewayUrl);
    b.send(2, identify(token));
    assert.deepEqual(await Promise.all([a.closed, b.closed]), [4004, 4004]);
    assert.notEqual(spent.token, token);
    assert.equal(spent.liveSessions, 0);
  } finally {
    await spent.close();
  }
});

test("a session has one socket: a RESUME from a second socket ends the first; a seq beyond the session's closes with 4007", async () => {
  const a = await open(discord.gatewayUrl);
  a.send(2, identify(discord.token));
  const ready = await a.next((f) => f.t === "READY");
  const b = await open(ready.d.resume_gateway_url);
  b.send(6, { token: discord.token, session_id: ready.d.session_id, seq: ready.s });
  await b.next((f) => f.t === "RESUMED");
  await a.closed;
  const c = await open(ready.d.resume_gateway_url);
  c.send(6, { token: discord.token, session_id: ready.d.session_id, seq: 10_000 });
  assert.equal(await c.closed, 4007);
  b.ws.terminate();
});
