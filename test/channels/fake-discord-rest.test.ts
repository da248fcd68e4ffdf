/** The fake Discord's REST corners over plain fetch: errors and codes, paging, nonces, interactions, commands and the failure knobs. */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import WebSocket from "ws";
import { FakeDiscord } from "../helpers/fake-discord.ts";

const discord = new FakeDiscord({ identifyIntervalMs: 0 });
before(() => discord.start());
after(() => discord.close());

/** One REST call as a bot would make it; `auth: false` sends no token (interaction endpoints). */
async function call(method: string, path: string, body?: unknown, o: { auth?: boolean; fake?: FakeDiscord } = {}) {
  const fake = o.fake ?? discord;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (o.auth !== false) headers.authorization = `Bot ${fake.token}`;
  const res = await fetch(`${fake.apiRoot}/v10${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

test("every answer carries X-RateLimit headers, and a 429 carries retry_after in its body and Retry-After in its headers", async () => {
  const me = await call("GET", "/users/@me");
  assert.equal(me.body.id, discord.botId);
  assert.equal(me.body.bot, true);
  for (const h of ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "x-ratelimit-reset-after", "x-ratelimit-bucket"])
    assert.ok(me.headers.has(h), h);
  const dm = discord.dm(discord.user());
  discord.rateLimit("POST /channels/:channel_id/messages", { retryAfterS: 1.5 });
  const limited = await call("POST", `/channels/${dm}/messages`, { content: "x" });
  assert.equal(limited.status, 429);
  assert.deepEqual(limited.body, { message: "You are being rate limited.", retry_after: 1.5, global: false });
  assert.equal(limited.headers.get("retry-after"), "2");
  assert.equal(limited.headers.get("x-ratelimit-remaining"), "0");
  assert.equal(limited.headers.get("x-ratelimit-scope"), "user");
  discord.rateLimit("GET /users/@me", { retryAfterS: 0.5, global: true });
  const global = await call("GET", "/users/@me");
  assert.equal(global.headers.get("x-ratelimit-global"), "true");
  assert.equal(global.body.global, true);
  assert.equal(discord.botMessages(dm).length, 0, "a refused create made nothing");
});

test("Discord's error codes: unknown channel 10003, missing access 50001, empty 50006, unknown reply target 50035, bad limit 50035", async () => {
  assert.deepEqual((await call("POST", "/channels/42/messages", { content: "x" })).body, { message: "Unknown Channel", code: 10003 });
  const g = discord.guild();
  const secret = discord.textChannel(g, "secret");
  discord.forbid(secret);
  const denied = await call("POST", `/channels/${secret}/messages`, { content: "x" });
  assert.deepEqual([denied.status, denied.body.code], [403, 50001]);
  const dm = discord.dm(discord.user());
  assert.equal((await call("POST", `/channels/${dm}/messages`, { content: "" })).body.code, 50006);
  const unknown = await call("POST", `/channels/${dm}/messages`, { content: "x", message_reference: { message_id: "1" } });
  assert.equal(unknown.body.code, 50035);
  assert.ok(unknown.body.errors.message_reference);
  const lenient = await call("POST", `/channels/${dm}/messages`, { content: "x", message_reference: { message_id: "1", fail_if_not_exists: false } });
  assert.equal(lenient.status, 200);
  assert.equal(lenient.body.message_reference, undefined, "sent without a reference");
  assert.equal((await call("GET", `/channels/${dm}/messages?limit=101`)).body.code, 50035);
});

test("GET messages pages newest first: after gives the oldest ones past the id, before the newest ones under it, around both sides", async () => {
  const u = discord.user();
  const dm = discord.dm(u);
  const ids = Array.from({ length: 6 }, (_, i) => discord.userSays(dm, u, `m${i}`).id);
  const page = async (q: string) => (await call("GET", `/channels/${dm}/messages?${q}`)).body.map((m: { content: string }) => m.content);
  assert.deepEqual(await page(`after=${ids[1]}&limit=2`), ["m3", "m2"]);
  assert.deepEqual(await page(`before=${ids[4]}&limit=2`), ["m3", "m2"]);
  assert.deepEqual(await page(`around=${ids[3]}&limit=3`), ["m4", "m3", "m2"]);
  assert.deepEqual(await page("limit=100"), ["m5", "m4", "m3", "m2", "m1", "m0"]);
});

test("enforce_nonce returns the earlier message only for the same nonce within the window; without it every create is new", async () => {
  const dm = discord.dm(discord.user());
  const a = await call("POST", `/channels/${dm}/messages`, { content: "a", nonce: "k1", enforce_nonce: true });
  const b = await call("POST", `/channels/${dm}/messages`, { content: "a", nonce: "k1", enforce_nonce: true });
  const c = await call("POST", `/channels/${dm}/messages`, { content: "a", nonce: "k1" });
  assert.equal(b.body.id, a.body.id);
  assert.notEqual(c.body.id, a.body.id);
  assert.equal((await call("POST", `/channels/${dm}/messages`, { content: "a", nonce: "x".repeat(26) })).body.code, 50035);
  const brief = new FakeDiscord({ nonceWindowMs: -1 });
  await brief.start();
  try {
    const dm2 = brief.dm(brief.user());
    const first = await call("POST", `/channels/${dm2}/messages`, { content: "a", nonce: 7, enforce_nonce: true }, { fake: brief });
    const late = await call("POST", `/channels/${dm2}/messages`, { content: "a", nonce: 7, enforce_nonce: true }, { fake: brief });
    assert.notEqual(late.body.id, first.body.id, "past the window the nonce is forgotten");
  } finally {
    await brief.close();
  }
});

test("allowed_mentions decides who is pinged; a reply pings its author only when replied_user is true", async () => {
  const u = discord.user("dora");
  const dm = discord.dm(u);
  const asked = discord.userSays(dm, u, "hi");
  const quiet = await call("POST", `/channels/${dm}/messages`, {
    content: `hello <@${u}>`,
    message_reference: { message_id: asked.id },
    allowed_mentions: { parse: [], replied_user: false },
  });
  assert.deepEqual(quiet.body.mentions, []);
  assert.equal(quiet.body.type, 19);
  assert.equal(quiet.body.referenced_message.id, asked.id);
  const loud = await call("POST", `/channels/${dm}/messages`, { content: `hello <@${u}>`, allowed_mentions: { parse: ["users"] } });
  assert.deepEqual(
    loud.body.mentions.map((m: { id: string }) => m.id),
    [u],
  );
});

test("a slash command is answered by callback (once, 204), then PATCH @original (even as %40original) edits the answer", async () => {
  const put = await call("PUT", `/applications/${discord.applicationId}/commands`, [
    { name: "new", description: "New session" },
    { name: "status", description: "Status" },
  ]);
  assert.equal(put.status, 200);
  assert.deepEqual(
    (await call("GET", `/applications/${discord.applicationId}/commands`)).body.map((c: { name: string }) => c.name),
    ["new", "status"],
  );
  assert.equal(discord.commands().length, 2);
  const u = discord.user();
  const dm = discord.dm(u);
  const i = discord.slash(dm, u, "status");
  const cb = await call("POST", `/interactions/${i.id}/${i.token}/callback`, { type: 5 }, { auth: false });
  assert.equal(cb.status, 204);
  assert.equal((await call("POST", `/interactions/${i.id}/${i.token}/callback`, { type: 5 }, { auth: false })).body.code, 40060);
  assert.equal((await call("POST", `/interactions/1/nope/callback`, { type: 5 }, { auth: false })).body.code, 10062);
  const edit = await call("PATCH", `/webhooks/${discord.applicationId}/${i.token}/messages/%40original`, { content: "all fine" }, { auth: false });
  assert.equal(edit.status, 200);
  assert.equal(edit.body.content, "all fine");
  assert.deepEqual(discord.interactionResponses.at(-1), { id: i.id, type: 5 });
  assert.equal(discord.followUps.at(-1)!.content, "all fine");
  assert.equal(discord.botMessages(dm).at(-1)!.content, "all fine");
});

test("typing answers 204; a lost answer still carries the request out; failNext answers 502 without running it", async () => {
  const dm = discord.dm(discord.user());
  assert.equal((await call("POST", `/channels/${dm}/typing`)).status, 204);
  assert.equal(discord.typing.at(-1)!.channelId, dm);
  discord.loseAnswers(1, (r) => r.method === "POST" && r.path.endsWith("/messages"));
  await assert.rejects(call("POST", `/channels/${dm}/messages`, { content: "lost" }));
  assert.equal(discord.botMessages(dm).at(-1)!.content, "lost", "carried out");
  discord.failNext("POST /channels/:id/messages", 502);
  assert.equal((await call("POST", `/channels/${dm}/messages`, { content: "failed" })).status, 502);
  assert.equal(discord.botMessages(dm).at(-1)!.content, "lost", "not carried out");
});

test("after resetToken, REST answers 401 and live Gateway sockets are closed with 4004", async () => {
  const fake = new FakeDiscord({ identifyIntervalMs: 0 });
  await fake.start();
  try {
    const ws = new WebSocket(`${fake.gatewayUrl}?v=10&encoding=json`);
    const ready = new Promise<void>((resolve) => ws.on("message", (raw) => JSON.parse((raw as Buffer).toString()).t === "READY" && resolve()));
    const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
    await new Promise((resolve) => ws.once("open", resolve));
    ws.send(JSON.stringify({ op: 2, d: { token: fake.token, intents: 1 << 12, properties: {} } }));
    await ready;
    const old = fake.token;
    fake.resetToken();
    assert.equal(await closed, 4004);
    const res = await fetch(`${fake.apiRoot}/v10/users/@me`, { headers: { authorization: `Bot ${old}` } });
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), { message: "401: Unauthorized", code: 0 });
  } finally {
    await fake.close();
  }
});

test("an interaction not answered in time is unknown (404 code 10062)", async () => {
  const late = new FakeDiscord({ interactionAckMs: -1 });
  await late.start();
  try {
    const u = late.user();
    const i = late.slash(late.dm(u), u, "new");
    const cb = await call("POST", `/interactions/${i.id}/${i.token}/callback`, { type: 4, data: { content: "hi" } }, { auth: false, fake: late });
    assert.deepEqual([cb.status, cb.body.code], [404, 10062]);
  } finally {
    await late.close();
  }
});
