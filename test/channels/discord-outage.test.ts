/**
 * What a Discord outage does to the rest of the gateway, and what it loses: through a real gateway
 * process serving Discord, Telegram and web chat at once (fake Discord, fake Telegram, fake model).
 * A zombie Discord connection is seen within two heartbeat intervals and resumed while the other
 * channels go on answering; a forced fresh session with 50 messages written in the gap answers
 * each of them once (read back over REST); a flood of 429s with lost answers among them costs no
 * reply and doubles none.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { connectGateway, type GatewayConnection } from "../../src/client/gateway-client.ts";
import type { EventFrame } from "../../src/protocol/frames.ts";
import { FakeDiscord } from "../helpers/fake-discord.ts";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { FakeTelegram } from "../helpers/fake-telegram.ts";
import { httpGet, startGateway, tmpDir, type RunningGateway } from "../helpers/gateway.ts";
import { eventually, sleep } from "./telegram-support.ts";

const HEARTBEAT_MS = 1000;
const model = new FakeModelServer();
const tg = new FakeTelegram();
const fakes: FakeDiscord[] = [];
const running: RunningGateway[] = [];
const clients: GatewayConnection[] = [];
before(async () => {
  await model.start();
  await tg.start();
});
after(async () => {
  for (const c of clients) await c.close();
  for (const g of running) await g.stop();
  for (const f of fakes) await f.close();
  await tg.close();
  await model.close();
});

async function discord(): Promise<FakeDiscord> {
  const f = new FakeDiscord({ heartbeatIntervalMs: HEARTBEAT_MS, identifyIntervalMs: 0 });
  await f.start();
  fakes.push(f);
  return f;
}

/** A gateway with every channel on: Discord and Telegram users given, web chat always there. */
async function gateway(f: FakeDiscord, discordUsers: string[], telegramUsers: number[]): Promise<RunningGateway> {
  const config = {
    models: { primary: "fake/echo-1", providers: { fake: { kind: "openai", baseUrl: model.openaiUrl } } },
    // Every channel's direct messages get sessions of their own.
    session: { dmScope: "per-channel-peer" },
    channels: {
      discord: { apiRoot: f.apiRoot, allowFrom: discordUsers },
      telegram: { botToken: tg.token, apiRoot: tg.apiRoot, allowFrom: telegramUsers.map(String), pollTimeoutSeconds: 5 },
    },
  };
  const g = await startGateway({
    config,
    env: { DISCORD_BOT_TOKEN: f.token, TELEGRAM_BOT_TOKEN: undefined, ONEBRAIN_LEASE_DIR: tmpDir("onebrain-lease-") },
  });
  running.push(g);
  return g;
}

async function channelState(g: RunningGateway, id: string): Promise<string | undefined> {
  const channels = (await httpGet(g.port, "/api/status")).body.channels as Array<{ id: string; state: string }>;
  return channels.find((c) => c.id === id)?.state;
}

/** Final answers in the web chat's session (the connection also sees the other channels' runs). */
const finals = (c: GatewayConnection) =>
  c.events.filter((e: EventFrame) => {
    const p = e.payload as { state: string; sessionKey: string };
    return e.event === "chat" && p.state === "final" && p.sessionKey.includes(":webchat:");
  }).length;

test(
  "a zombie Discord connection is seen within two heartbeat intervals and resumed, while Telegram and web chat go on answering",
  { timeout: 60_000 },
  async (t) => {
    model.reset();
    model.behaviour = { kind: "reply", delayMs: 5 };
    const f = await discord();
    const ada = f.user("ada");
    const dm = f.dm(ada);
    // Telegram paces replies to about one a second per chat: four chats keep the test short.
    const tgUsers = [41_001, 41_002, 41_003, 41_004];
    const g = await gateway(f, [ada], tgUsers);
    await eventually(() => f.liveSessions === 1, 10_000, "discord connected");
    await eventually(() => tg.calls.some((c) => c.method === "getUpdates"), 10_000, "telegram polling");
    const web = await connectGateway({ url: `ws://127.0.0.1:${g.port}`, clientId: "outage-test", mode: "webchat" });
    clients.push(web);

    const connectionsBefore = f.connections.length;
    const zombieAt = Date.now();
    f.zombie(true);
    // Meanwhile, every 150 ms, a Telegram user and the web chat each say something.
    let detectedAt = 0;
    let reconnectedAt = 0;
    let answeredMeanwhile = { telegram: 0, web: 0 };
    const tgAnswered = () => tgUsers.reduce((n, u) => n + tg.sentTo(u).length, 0);
    const watch = (async () => {
      // The channel gives up on the silent socket by closing it; then it connects again.
      while (f.gateway.sockets.size > 0) await sleep(5);
      detectedAt = Date.now();
      answeredMeanwhile = { telegram: tgAnswered(), web: finals(web) };
      while (f.connections.length === connectionsBefore) await sleep(5);
      reconnectedAt = Date.now();
      f.zombie(false);
    })();
    f.userSays(dm, ada, "said while the connection is a zombie");
    let said = 0;
    while (!reconnectedAt || said < 10) {
      tg.userSays(tgUsers[said % tgUsers.length]!, `telegram ${said}`);
      await web.request("chat.send", { text: `web ${said}`, idempotencyKey: `outage-web-${said}` });
      said++;
      await sleep(150);
    }
    await watch;
    const detectMs = detectedAt - zombieAt;
    assert.ok(detectMs <= 2 * HEARTBEAT_MS + 200, `the zombie was given up after ${detectMs} ms (heartbeat ${HEARTBEAT_MS} ms)`);
    assert.ok(
      answeredMeanwhile.telegram > 0 && answeredMeanwhile.web > 0,
      `Telegram and web chat answered during the zombie: ${JSON.stringify(answeredMeanwhile)}`,
    );
    t.diagnostic(
      `zombie given up after ${detectMs} ms, reconnected after ${reconnectedAt - zombieAt} ms (heartbeat ${HEARTBEAT_MS} ms); ` +
        `answered meanwhile: ${JSON.stringify(answeredMeanwhile)}`,
    );

    await eventually(() => tgAnswered() === said && finals(web) === said, 15_000, "telegram and web chat answered").catch((err: Error) => {
      throw new Error(`${err.message}: ${said} said each; telegram answered ${tgAnswered()}, web chat ${finals(web)}`);
    });
    await eventually(() => f.botMessages(dm).length === 1, 10_000, "the DM written to the zombie answered");
    await sleep(500);
    assert.equal(f.botMessages(dm).length, 1, "once");
    assert.equal(tgAnswered(), said, "each Telegram message answered once");
    assert.equal(finals(web), said, "each web chat message answered once");
    assert.ok(f.resumes >= 1, "the Discord session was resumed, not started anew");
    assert.equal(await channelState(g, "discord"), "connected");
    assert.equal(await channelState(g, "telegram"), "connected");
  },
);

test("a forced fresh session with 50 messages written in the gap: each is answered once, read back over REST", { timeout: 90_000 }, async () => {
  model.reset();
  model.behaviour = { kind: "reply", delayMs: 5 };
  const f = await discord();
  const users = Array.from({ length: 5 }, (_, i) => f.user(`u${i}`));
  const dms = users.map((u) => f.dm(u));
  const guild = f.guild("home");
  const room = f.textChannel(guild, "general");
  const g = await gateway(f, users, []);
  await eventually(() => f.liveSessions === 1, 10_000, "discord connected");
  // Each conversation is seen once before the gap, so the channel knows where to read back.
  users.forEach((u, i) => f.userSays(dms[i]!, u, `hello from ${u}`));
  f.userSays(room, users[0]!, "hello room", { mentionBot: true });
  await eventually(() => dms.every((d) => f.botMessages(d).length === 1) && f.botMessages(room).length === 1, 15_000, "first answers");
  const identifies = f.identifies;

  // The session ends for good; nothing said now reaches a Gateway socket of the old session.
  f.invalidateSessions(false);
  const gap: Array<{ channel: string; id: string }> = [];
  for (let i = 0; i < 50; i++) {
    const u = i % 6 === 5 ? 0 : i % 6;
    const channel = i % 6 === 5 ? room : dms[u]!;
    const m = f.userSays(channel, users[u]!, `gap message ${i}`, { mentionBot: channel === room });
    gap.push({ channel, id: m.id });
  }
  const answered = (m: { channel: string; id: string }) => f.botMessages(m.channel).filter((b) => b.message_reference?.message_id === m.id).length;
  await eventually(() => gap.every((m) => answered(m) >= 1), 45_000, "the gap's messages answered");
  await sleep(1000);
  assert.deepEqual(
    gap.filter((m) => answered(m) !== 1),
    [],
    "each gap message answered exactly once",
  );
  assert.ok(f.identifies > identifies, "a fresh session was started");
  assert.equal(f.undelivered(), 0, "the channel saw every message");
  assert.equal(f.maxLiveSessions, 1, "never two sessions at once");
  assert.equal(await channelState(g, "discord"), "connected");
});

test(
  "a 429 flood (a global limit, then 30 refusals with retry_after) with lost answers among them: each of 40 messages is answered exactly once",
  { timeout: 90_000 },
  async (t) => {
    model.reset();
    model.behaviour = { kind: "reply", delayMs: 5 };
    const f = await discord();
    const users = Array.from({ length: 8 }, (_, i) => f.user(`f${i}`));
    const dms = users.map((u) => f.dm(u));
    await gateway(f, users, []);
    await eventually(() => f.liveSessions === 1, 10_000, "discord connected");
    const sends = () => f.requests.filter((r) => r.method === "POST" && /^\/channels\/\d+\/messages$/.test(r.path)).length;
    f.rateLimit("POST /channels/:id/messages", { retryAfterS: 1, global: true });
    f.rateLimit("POST /channels/:id/messages", { retryAfterS: 0.5, count: 30 });
    f.loseAnswers(4, (r) => r.method === "POST" && /^\/channels\/\d+\/messages$/.test(r.path));
    const said = Array.from({ length: 40 }, (_, i) => ({ channel: dms[i % 8]!, id: f.userSays(dms[i % 8]!, users[i % 8]!, `flood ${i}`).id }));
    const answers = (m: { channel: string; id: string }) => f.botMessages(m.channel).filter((b) => b.message_reference?.message_id === m.id).length;
    await eventually(() => said.every((m) => answers(m) >= 1), 60_000, "every message answered");
    await sleep(1000);
    assert.deepEqual(
      said.filter((m) => answers(m) !== 1),
      [],
      "each answered exactly once",
    );
    t.diagnostic(`${sends()} send requests for 40 replies (31 refused with 429, 4 answers lost)`);
  },
);
