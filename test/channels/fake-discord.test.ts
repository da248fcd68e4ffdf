/** The fake Discord speaks the real wire: the official clients (@discordjs/rest, @discordjs/ws) work against it. */
import assert from "node:assert/strict";
import { once } from "node:events";
import { after, before, test } from "node:test";
import { REST } from "@discordjs/rest";
import { WebSocketManager, WebSocketShardEvents } from "@discordjs/ws";
import type { GatewayDispatchPayload } from "discord-api-types/v10";
import { FakeDiscord } from "../helpers/fake-discord.ts";

const GUILDS = 1 << 0;
const GUILD_MESSAGES = 1 << 9;
const DIRECT_MESSAGES = 1 << 12;
const MESSAGE_CONTENT = 1 << 15;

const discord = new FakeDiscord({ heartbeatIntervalMs: 1000, identifyIntervalMs: 0 });
before(() => discord.start());
after(() => discord.close());

const restFor = (fake: FakeDiscord) => new REST({ api: fake.apiRoot, version: "10", retries: 0 }).setToken(fake.token);

/** Resolves with the first dispatch matching `pick`. */
function nextDispatch(m: WebSocketManager, pick: (p: GatewayDispatchPayload) => boolean): Promise<GatewayDispatchPayload> {
  return new Promise((resolve) => {
    const on = (p: GatewayDispatchPayload) => {
      if (!pick(p)) return;
      m.off(WebSocketShardEvents.Dispatch, on);
      resolve(p);
    };
    m.on(WebSocketShardEvents.Dispatch, on);
  });
}

test("@discordjs/rest posts a reply with a nonce, and a second create with the same enforced nonce returns the same message", async () => {
  const rest = restFor(discord);
  const alice = discord.user("alice");
  const dm = discord.dm(alice);
  const asked = discord.userSays(dm, alice, "hello");
  const body = {
    content: "hi alice",
    nonce: "n-1",
    enforce_nonce: true,
    message_reference: { message_id: asked.id, fail_if_not_exists: false },
    allowed_mentions: { parse: ["users"], replied_user: false },
  };
  const first = (await rest.post(`/channels/${dm}/messages`, { body })) as any;
  const again = (await rest.post(`/channels/${dm}/messages`, { body })) as any;
  assert.equal(again.id, first.id);
  assert.equal(first.nonce, "n-1");
  assert.equal(first.message_reference.message_id, asked.id);
  assert.equal(discord.botMessages(dm).length, 1);
  const listed = (await rest.get(`/channels/${dm}/messages`, { query: new URLSearchParams({ after: asked.id, limit: "100" }) })) as any[];
  assert.deepEqual(
    listed.map((m) => m.id),
    [first.id],
  );
  assert.equal("nonce" in listed[0], false, "GET never echoes the nonce");
  assert.deepEqual(
    discord.messages(dm).map((m) => m.id),
    [asked.id, first.id],
  );
});

test("@discordjs/rest waits out a 429 and then succeeds", async () => {
  const rest = restFor(discord);
  const bob = discord.user("bob");
  const dm = discord.dm(bob);
  discord.rateLimit("POST /channels/:id/messages", { retryAfterS: 0.3 });
  const m = (await rest.post(`/channels/${dm}/messages`, { body: { content: "after the wait" } })) as any;
  assert.equal(m.content, "after the wait");
  const posts = discord.requests.filter((r) => r.method === "POST" && r.path === `/channels/${dm}/messages`);
  assert.equal(posts.length, 2, "one refused, one carried out");
  assert.ok(posts[1]!.at - posts[0]!.at >= 250, "the client waited retry_after");
});

test("REST answers Discord's errors: unknown channel, too long content, bad token", async () => {
  const rest = restFor(discord);
  await assert.rejects(rest.post("/channels/1/messages", { body: { content: "x" } }), (e: any) => e.status === 404 && e.code === 10003);
  const dm = discord.dm(discord.user());
  await assert.rejects(rest.post(`/channels/${dm}/messages`, { body: { content: "x".repeat(2001) } }), (e: any) => e.status === 400 && e.code === 50035);
  const bad = new REST({ api: discord.apiRoot, version: "10", retries: 0 }).setToken("bm9wZQ.x.y");
  await assert.rejects(bad.get("/users/@me"), (e: any) => e.status === 401);
});

test("@discordjs/ws gets READY with the fake's gateway, then MESSAGE_CREATE, and resumes on resume_gateway_url after a dropped socket", async () => {
  const pendingBefore = discord.undelivered();
  const manager = new WebSocketManager({ token: discord.token, intents: GUILDS | GUILD_MESSAGES | DIRECT_MESSAGES | MESSAGE_CONTENT, rest: restFor(discord) });
  try {
    const ready = nextDispatch(manager, (p) => p.t === "READY");
    await manager.connect();
    const r = (await ready) as any;
    assert.equal(r.d.user.id, discord.botId);
    assert.match(r.d.resume_gateway_url, /\/gateway-resume$/);
    const carol = discord.user("carol");
    const dm = discord.dm(carol);
    const got = nextDispatch(manager, (p) => p.t === "MESSAGE_CREATE");
    const said = discord.userSays(dm, carol, "ping");
    assert.equal(((await got) as any).d.id, said.id);

    const resumed = once(manager, WebSocketShardEvents.Resumed);
    const missed = nextDispatch(manager, (p) => p.t === "MESSAGE_CREATE");
    discord.dropSockets();
    const whileDown = discord.userSays(dm, carol, "while you were away");
    await resumed;
    assert.equal(((await missed) as any).d.id, whileDown.id, "the buffered dispatch was replayed");
    assert.equal(discord.identifies, 1);
    assert.equal(discord.resumes, 1);
    assert.deepEqual(discord.connections.slice(-2), ["/gateway", "/gateway-resume"], "resumed on resume_gateway_url");

    const again = once(manager, WebSocketShardEvents.Resumed);
    discord.sendReconnect();
    await again;
    assert.equal(discord.resumes, 2, "op 7 made the client resume");
    assert.equal(discord.maxLiveSessions, 1);
    assert.equal(discord.undelivered(), pendingBefore, "every message said during the session reached it");
  } finally {
    await manager.destroy();
  }
});

test("@discordjs/ws identifies anew when its RESUME is refused with op 9 d:false", { timeout: 30_000 }, async () => {
  const fake = new FakeDiscord({ heartbeatIntervalMs: 1000, identifyIntervalMs: 0 });
  await fake.start();
  const manager = new WebSocketManager({ token: fake.token, intents: DIRECT_MESSAGES, rest: restFor(fake) });
  try {
    const ready = nextDispatch(manager, (p) => p.t === "READY");
    await manager.connect();
    await ready;
    const again = nextDispatch(manager, (p) => p.t === "READY");
    fake.refuseResumes(1);
    fake.dropSockets();
    await again;
    assert.equal(fake.identifies, 2);
    assert.equal(fake.resumes, 0);
    assert.equal(fake.maxLiveSessions, 1);
  } finally {
    await manager.destroy();
    await fake.close();
  }
});
