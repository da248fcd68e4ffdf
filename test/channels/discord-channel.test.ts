/**
 * Discord through real gateway processes (the built binary) with the fake model and the fake
 * Discord (REST + Gateway WebSocket on 127.0.0.1): DMs and pairing, guild mention rules, the
 * reconnect policy (resume after a drop, op 7, zombie, invalid session + backfill), the Message
 * Content intent refused, slash commands, and two gateways on one token.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { FakeDiscord } from "../helpers/fake-discord.ts";
import { httpGet, runCli, startGateway, tmpDir, type RunningGateway } from "../helpers/gateway.ts";
import { eventually, sleep } from "./telegram-support.ts";

const model = new FakeModelServer();
before(() => model.start());
const running: RunningGateway[] = [];
const fakes: FakeDiscord[] = [];
after(async () => {
  for (const g of running) await g.stop();
  for (const f of fakes) await f.close();
  await model.close();
});

/** A fresh fake Discord (one bot) with a fast heartbeat, so a zombie is seen within seconds. */
async function discord(): Promise<FakeDiscord> {
  const f = new FakeDiscord({ heartbeatIntervalMs: 1000, identifyIntervalMs: 0 });
  await f.start();
  fakes.push(f);
  return f;
}

const leaseDir = tmpDir("onebrain-lease-");

async function gateway(f: FakeDiscord, o: { discord?: Record<string, unknown>; stateDir?: string } = {}): Promise<RunningGateway> {
  const config = {
    models: { primary: "fake/echo-1", providers: { fake: { kind: "openai", baseUrl: model.openaiUrl } } },
    channels: { discord: { apiRoot: f.apiRoot, ...o.discord } },
  };
  const g = await startGateway({ config, env: { DISCORD_BOT_TOKEN: f.token, ONEBRAIN_LEASE_DIR: leaseDir }, ...(o.stateDir ? { stateDir: o.stateDir } : {}) });
  running.push(g);
  return g;
}

async function status(g: RunningGateway): Promise<Record<string, any> | undefined> {
  return ((await httpGet(g.port, "/api/status")).body.channels as Array<Record<string, any>>).find((c) => c.id === "discord");
}

async function until(g: RunningGateway, state: string, ms = 10_000): Promise<Record<string, any>> {
  let s: Record<string, any> | undefined;
  const deadline = Date.now() + ms;
  while ((s = await status(g))?.state !== state) {
    if (Date.now() > deadline) throw new Error(`discord state ${state}: still ${JSON.stringify(s)}`);
    await sleep(50);
  }
  return s!;
}

const texts = (f: FakeDiscord, channelId: string) => f.botMessages(channelId).map((m) => m.content);

test("a stranger's DM gets a pairing code with their id; once approved, each DM is answered once and threaded to it", async () => {
  const f = await discord();
  model.reset();
  const g = await gateway(f);
  const s = await until(g, "connected");
  assert.equal(s.account, f.botId);
  const ada = f.user("ada");
  const dm = f.dm(ada);
  f.userSays(dm, ada, "hello, who are you?");
  await eventually(() => f.botMessages(dm).length === 1, 10_000, "pairing code");
  const code = /approve discord ([A-Z2-9]{8})/.exec(texts(f, dm)[0]!)![1]!;
  assert.match(texts(f, dm)[0]!, new RegExp(`Discord user id is ${ada}`));
  const slash = f.slash(dm, ada, "status");
  await eventually(() => f.interactionResponses.some((r) => r.id === slash.id), 10_000, "slash answered");
  const r = f.interactionResponses.find((x) => x.id === slash.id) as { type: number; data?: { content?: string; flags?: number } };
  assert.deepEqual([r.type, r.data?.flags], [4, 64], "a stranger's slash command is answered at once, seen only by them");
  assert.match(r.data?.content ?? "", new RegExp(`approve discord ${code}`), "with the same code");
  assert.equal(model.requests.length, 0, "nothing reached the model");
  const approved = await runCli(["pairing", "approve", "discord", code, "--json"], g.env);
  assert.equal(approved.code, 0, approved.stderr);

  // The slash command's ephemeral answer is a bot message of the DM too (as on Discord): count the echoes.
  const echoes = () => f.botMessages(dm).filter((m) => m.content.startsWith("echo:"));
  const asked = f.userSays(dm, ada, "now can we talk?");
  await eventually(() => echoes().length === 1, 10_000, "answer");
  await sleep(300);
  const reply = echoes()[0]!;
  assert.equal(reply.content, "echo: now can we talk?");
  assert.equal(reply.message_reference?.message_id, asked.id, "threaded to the message it answers");
  assert.equal(echoes().length, 1, "answered once");
});

test("in a guild the bot answers only when mentioned, with who spoke; a thread is its own conversation", async () => {
  const f = await discord();
  model.reset();
  const g = await gateway(f, { discord: { dmPolicy: "open" } });
  await until(g, "connected");
  const guild = f.guild("g");
  const chan = f.textChannel(guild, "general");
  const bo = f.user("bo");
  f.userSays(chan, bo, "talking among ourselves");
  const asked = f.userSays(chan, bo, "summarise please", { mentionBot: true });
  await eventually(() => f.botMessages(chan).length === 1, 10_000, "guild answer");
  assert.match(texts(f, chan)[0]!, /^echo: \w+: summarise please$/, "the model hears who asks, without the mention");
  assert.equal(f.botMessages(chan)[0]!.message_reference?.message_id, asked.id);
  const thread = f.thread(chan, "side");
  f.userSays(thread, bo, "and in here?", { mentionBot: true });
  await eventually(() => f.botMessages(thread).length === 1, 10_000, "thread answer");
  assert.equal(model.requests.length, 2, "the unaddressed message reached nobody");
});

test("drops, op 7 and a zombie connection are RESUMEd, and a message sent in a gap is answered once", async () => {
  const f = await discord();
  model.reset();
  const g = await gateway(f, { discord: { dmPolicy: "open" } });
  await until(g, "connected");
  const u = f.user("cy");
  const dm = f.dm(u);
  f.dropSockets();
  f.userSays(dm, u, "said during the drop");
  await eventually(() => f.botMessages(dm).length === 1, 15_000, "gap answer");
  f.sendReconnect();
  f.userSays(dm, u, "said during op 7");
  await eventually(() => f.botMessages(dm).length === 2, 15_000, "op 7 answer");
  f.zombie(true);
  await eventually(() => f.resumes >= 3, 15_000, "zombie resumed");
  f.zombie(false);
  f.userSays(dm, u, "after the zombie");
  await eventually(() => f.botMessages(dm).length === 3, 15_000, "after zombie");
  await sleep(500);
  assert.deepEqual(texts(f, dm), ["echo: said during the drop", "echo: said during op 7", "echo: after the zombie"]);
  assert.equal(f.identifies, 1, "every reconnect was a RESUME");
  const s = await status(g);
  assert.equal(s?.state, "connected");
  assert.equal(f.maxLiveSessions, 1);
});

test("after a kill -9 the next gateway RESUMEs from the stored seq: a message sent while it was down is answered once", async () => {
  const f = await discord();
  model.reset();
  const stateDir = path.join(tmpDir(), "killed");
  const g = await gateway(f, { stateDir, discord: { dmPolicy: "open" } });
  await until(g, "connected");
  const u = f.user("ki");
  const dm = f.dm(u);
  f.userSays(dm, u, "before");
  await eventually(() => f.botMessages(dm).length === 1, 10_000, "first answer");
  g.kill("SIGKILL");
  await g.exited;
  f.userSays(dm, u, "while down");
  const again = await gateway(f, { stateDir, discord: { dmPolicy: "open" } });
  await until(again, "connected");
  await eventually(() => f.botMessages(dm).length === 2, 15_000, "answer after the restart");
  await sleep(500);
  assert.deepEqual(texts(f, dm), ["echo: before", "echo: while down"]);
  assert.deepEqual([f.identifies, f.resumes], [1, 1], "the restart resumed the session, no new IDENTIFY");
});

test("an invalid session means a fresh IDENTIFY, and the backfill answers the message sent in the gap", async () => {
  const f = await discord();
  model.reset();
  const g = await gateway(f, { discord: { dmPolicy: "open" } });
  await until(g, "connected");
  const u = f.user("di");
  const dm = f.dm(u);
  f.userSays(dm, u, "first");
  await eventually(() => f.botMessages(dm).length === 1, 10_000, "first answer");
  f.invalidateSessions(false);
  f.userSays(dm, u, "in the gap");
  await eventually(() => f.botMessages(dm).length === 2, 15_000, "gap answer via backfill");
  await sleep(500);
  assert.deepEqual(texts(f, dm), ["echo: first", "echo: in the gap"]);
  assert.equal(f.identifies, 2);
});

test("a refused Message Content intent is `degraded` with what to do; DMs and mentions are still answered, text-less messages reach nobody", async () => {
  const f = await discord();
  f.allowMessageContent = false;
  model.reset();
  const guild = f.guild("club");
  const room = f.textChannel(guild, "general");
  // Even where every message would be answered, the bot now reads only what mentions it.
  const g = await gateway(f, { discord: { dmPolicy: "open", guilds: { [guild]: { requireMention: false } } } });
  const s = await until(g, "degraded");
  assert.match(s.detail, /Privileged Gateway Intents → Message Content Intent/);
  const u = f.user("ed");
  const dm = f.dm(u);
  f.userSays(dm, u, "still there?");
  await eventually(() => f.botMessages(dm).length === 1, 10_000, "DM answer");
  assert.equal(texts(f, dm)[0], "echo: still there?");
  f.userSays(room, u, "unheard: Discord sends this without its text");
  f.userSays(room, u, "heard", { mentionBot: true });
  await eventually(() => f.botMessages(room).length >= 1, 10_000, "mention answered");
  await sleep(500);
  assert.deepEqual(texts(f, room), ["echo: ed: heard"], "the mention is answered (with who spoke); the message without text reaches nobody");
  assert.equal(model.requests.length, 2);
});

test(
  "a Discord outage: retries back off, the channel turns `degraded` in /readyz, status and /metrics while the rest serves, then a message of the outage is answered once",
  { timeout: 60_000 },
  async () => {
    const f = await discord();
    model.reset();
    const g = await gateway(f, { discord: { dmPolicy: "open" } });
    await until(g, "connected");
    const u = f.user("gus");
    const dm = f.dm(u);
    f.userSays(dm, u, "before");
    await eventually(() => f.botMessages(dm).length === 1, 10_000, "first answer");
    const attemptsBefore = f.connections.length;
    const outageAt = Date.now();
    f.outage = true;
    f.dropSockets();
    f.userSays(dm, u, "during the outage");
    // 3 failed connections in a row (backoff ~1 s, 2 s, 4 s with jitter) make it degraded.
    const s = await until(g, "degraded", 20_000);
    assert.match(s.detail, /Discord Gateway connection failed 3 times in a row .*next (RESUME|IDENTIFY) in \d+ s/);
    const ready = await httpGet(g.port, "/readyz");
    assert.equal(ready.status, 200, "degraded still serves: the gateway stays ready");
    const channels = (ready.body.components as Array<{ name: string; ok: boolean; detail?: string }>).find((c) => c.name === "channels");
    assert.match(channels?.detail ?? "", /discord degraded: the Discord Gateway connection failed/);
    const metrics = await httpGet(g.port, "/metrics");
    assert.match(String(metrics.body), /onebrain_channel_state\{channel="discord",account="[^"]+",state="degraded"\} 1/);
    const cli = await runCli(["channels", "status", "--json"], g.env);
    assert.equal(JSON.parse(cli.stdout).channels.find((c: { id: string }) => c.id === "discord").state, "degraded");
    const attempts = f.connections.length - attemptsBefore;
    const seconds = (Date.now() - outageAt) / 1000;
    assert.ok(attempts <= 2 + Math.log2(seconds + 1) * 2, `${attempts} connection attempts in ${seconds.toFixed(1)} s: backed off`);

    f.outage = false;
    await until(g, "connected", 30_000);
    await eventually(() => f.botMessages(dm).length === 2, 15_000, "the outage's message answered");
    await sleep(500);
    assert.deepEqual(texts(f, dm), ["echo: before", "echo: during the outage"]);
  },
);

test("sessions that keep ending never burn the daily IDENTIFY budget: the last 5 are kept and the channel says it waits", { timeout: 60_000 }, async () => {
  const f = new FakeDiscord({ heartbeatIntervalMs: 1000, identifyIntervalMs: 0, sessionStartLimit: { total: 1000, remaining: 7, resetAfterMs: 3_600_000 } });
  await f.start();
  fakes.push(f);
  const g = await gateway(f, { discord: { dmPolicy: "open" } });
  await until(g, "connected");
  assert.equal(f.identifies, 1);
  // Discord ends the session again and again (op 9, not resumable): each needs a fresh IDENTIFY.
  for (let i = 0; i < 4; i++) {
    const before = f.identifies;
    f.invalidateSessions(false);
    await sleep(200);
    if (i < 1) await eventually(() => f.identifies > before, 15_000, "a fresh session");
  }
  const s = await until(g, "degraded", 15_000);
  assert.match(s.detail, /daily session budget is nearly spent \(5 left\): the next IDENTIFY waits 60 min/);
  await sleep(1500);
  assert.equal(f.identifies, 2, "one more session, then the reserve of 5 is kept");
  assert.equal((await httpGet(g.port, "/readyz")).status, 200, "the gateway serves on");
});

test("channels status --probe: state, session age, heartbeat round trip, lease holder and a live GET /users/@me", async () => {
  const f = await discord();
  const g = await gateway(f, { discord: { dmPolicy: "open" } });
  await until(g, "connected");
  await sleep(1500); // a heartbeat and its ACK
  const r = await runCli(["channels", "status", "--probe", "--json"], g.env);
  assert.equal(r.code, 0, r.stderr);
  const d = JSON.parse(r.stdout).channels.find((c: { id: string }) => c.id === "discord");
  assert.equal(d.state, "connected");
  assert.equal(d.account, f.botId);
  assert.ok(d.health.sessionAgeS >= 1, `session age ${d.health.sessionAgeS}`);
  assert.equal(typeof d.health.heartbeatRttMs, "number");
  assert.equal(d.health.leaseHolder, `this gateway (pid ${g.pid})`);
  assert.deepEqual([d.probe.ok, d.probe.identity.id], [true, f.botId]);
  assert.ok(
    f.requests.some((q) => q.method === "GET" && q.path === "/users/@me"),
    "the probe asked Discord",
  );
  assert.ok(!r.stdout.includes(f.token), "no token in the output");
  const text = await runCli(["channels", "status", "--probe"], g.env);
  assert.match(text.stdout, /discord +CONNECTED/);
  assert.match(text.stdout, /session age \d+s, heartbeat rtt \d+ ms/);
  assert.match(text.stdout, /probe +ok in \d+ ms: @onebrain-bot/);
});

test("a token Discord refuses (close 4004) fails the channel with what to do, and it stops retrying", async () => {
  const f = await discord();
  const g = await gateway(f, { discord: { dmPolicy: "open" } });
  await until(g, "connected");
  f.resetToken();
  const s = await until(g, "failed");
  assert.match(s.reason, /refused the bot token .*Developer Portal/);
  const identifies = f.identifies + f.resumes;
  await sleep(1500);
  assert.equal(f.identifies + f.resumes, identifies, "no retries");
  assert.equal((await httpGet(g.port, "/healthz")).status, 200, "the gateway itself keeps running");
});

test("slash /new is acknowledged at once (deferred) and its reply fills the response in", async () => {
  const f = await discord();
  model.reset();
  const g = await gateway(f, { discord: { dmPolicy: "open" } });
  await until(g, "connected");
  await eventually(() => f.commands().length === 2, 10_000, "commands registered");
  const u = f.user("fi");
  const dm = f.dm(u);
  const i = f.slash(dm, u, "new");
  await eventually(() => f.interactionResponses.some((r) => r.id === i.id && r.type === 5), 10_000, "deferred ack");
  await eventually(() => f.followUps.some((x) => x.token === i.token), 10_000, "the reply in the response");
});

test("two gateways with one token: the second is in conflict naming the first, and never opens a second Gateway session", async () => {
  const f = await discord();
  model.reset();
  const first = await gateway(f, { stateDir: path.join(tmpDir(), "first") });
  await until(first, "connected");
  const second = await gateway(f, { stateDir: path.join(tmpDir(), "second") });
  const s = await until(second, "conflict");
  assert.match(s.detail, new RegExp(`^token in use by pid ${first.pid} `));
  await sleep(1000);
  assert.equal(f.maxLiveSessions, 1);
  assert.equal(f.identifies, 1);
});
