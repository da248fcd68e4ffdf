/**
 * Discord's sending side against the fake Discord's REST API (real HTTP on 127.0.0.1, through
 * @discordjs/rest as the channel sets it up): threaded parts, the nonce that makes a retry land
 * once, a lost answer settled by reading the channel, rate limits and refusals as the core needs
 * them, mentions, typing.
 */
import http from "node:http";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { ChannelRateLimitedError, type PartialDeliveryError } from "../../src/channels/channel.ts";
import { createRest } from "../../src/channels/discord/rest.ts";
import { FakeDiscord } from "../helpers/fake-discord.ts";
import { para, reply, sender as senderOn } from "./discord-send-support.ts";

const fake = new FakeDiscord();
const sender = (o: Parameters<typeof senderOn>[1] = {}) => senderOn(fake, o);

before(() => fake.start());
after(() => fake.close());

test("a two-part reply is threaded under the message it answers, each part reported with a rising floor", async () => {
  const s = sender();
  const user = fake.user("ana");
  const dm = fake.dm(user);
  const asked = fake.userSays(dm, user, "hello");
  s.noteSeen(dm, asked.id);
  const progress: Array<[number, number | undefined]> = [];
  const done = await s.deliver(reply(dm, asked.id, `${para("a")}\n\n${para("b")}`), AbortSignal.timeout(10_000), {
    partSent: (n, floor) => progress.push([n, floor]),
  });
  const ours = fake.botMessages(dm);
  assert.deepEqual(
    ours.map((m) => m.content),
    [para("a"), para("b")],
  );
  assert.equal(ours[0]!.message_reference?.message_id, asked.id);
  assert.equal(ours[1]!.message_reference, undefined);
  assert.equal(done.platformMessageId, ours[0]!.id);
  assert.deepEqual(
    progress.map((p) => p[0]),
    [1, 2],
  );
  assert.ok(progress[0]![1]! <= progress[1]![1]! && done.floor === progress[1]![1]);
});

test("a retry of the same reply within Discord's nonce window gets the messages already made, not new ones", async () => {
  const s = sender();
  const user = fake.user();
  const dm = fake.dm(user);
  const m = reply(dm, null, `${para("c")}\n\n${para("d")}`, "same-key");
  const first = await s.deliver(m, AbortSignal.timeout(10_000));
  const again = await s.deliver(m, AbortSignal.timeout(10_000));
  assert.equal(fake.botMessages(dm).length, 2);
  assert.equal(again.platformMessageId, first.platformMessageId);
});

test("a part whose answer was lost is in doubt, and checkSent finds it in the channel", async () => {
  const s = sender();
  const user = fake.user();
  const dm = fake.dm(user);
  const asked = fake.userSays(dm, user, "question");
  s.noteSeen(dm, asked.id);
  const m = reply(dm, asked.id, "the answer");
  const floor = s.sendFloor(m, null);
  const startedAt = Date.now();
  fake.loseAnswers(1, (r) => r.method === "POST" && r.path.endsWith("/messages"));
  const err = (await s.deliver(m, AbortSignal.timeout(10_000)).then(
    () => assert.fail("delivered"),
    (e: unknown) => e,
  )) as PartialDeliveryError;
  assert.equal(err.inDoubt, true);
  assert.equal(err.partsSent, 0);
  assert.equal(fake.botMessages(dm).length, 1, "Discord carried it out");
  const check = await s.checkSent(
    { idempotencyKey: m.idempotencyKey, target: dm, replyTo: asked.id, text: m.text, part: 0, floor, startedAt },
    AbortSignal.timeout(10_000),
  );
  assert.deepEqual(check.sent && check.platformMessageId, fake.botMessages(dm)[0]!.id);
});

test("checkSent says not sent when no message of ours with the part's text came after the floor", async () => {
  const s = sender();
  const user = fake.user();
  const dm = fake.dm(user);
  await s.deliver(reply(dm, null, "an earlier reply"), AbortSignal.timeout(10_000));
  await new Promise((r) => setTimeout(r, 5)); // a person's next message is never in the same millisecond
  const asked = fake.userSays(dm, user, "next question");
  s.noteSeen(dm, asked.id);
  const m = reply(dm, asked.id, "an earlier reply");
  const check = await s.checkSent(
    { idempotencyKey: m.idempotencyKey, target: dm, replyTo: asked.id, text: m.text, part: 0, floor: s.sendFloor(m, null), startedAt: Date.now() },
    AbortSignal.timeout(10_000),
  );
  assert.equal(check.sent, false);
});

test("a 429 with retry_after comes back as ChannelRateLimitedError with the wait, nothing sent", async () => {
  const s = sender();
  const user = fake.user();
  const dm = fake.dm(user);
  fake.rateLimit("POST /channels/:id/messages", { retryAfterS: 5, count: 1 });
  const err = await s.deliver(reply(dm, null, "hi"), AbortSignal.timeout(10_000)).then(
    () => assert.fail("delivered"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ChannelRateLimitedError, String(err));
  assert.ok(err.retryAfterMs >= 5000 && err.retryAfterMs < 10_000, String(err.retryAfterMs));
  assert.equal(err.partsSent, 0);
  assert.equal(fake.botMessages(dm).length, 0);
});

test("a channel that is gone is refused for good, in plain words", async () => {
  const s = sender();
  const err = (await s.deliver(reply("1172155373532631110", null, "hi"), AbortSignal.timeout(10_000)).then(
    () => assert.fail("delivered"),
    (e: unknown) => e,
  )) as PartialDeliveryError;
  assert.equal(err.permanent, true);
  assert.match(err.message, /no longer exists/);
});

test("typing (with no first delay) is posted at once and again while a run goes on, and stops after it", async () => {
  const s = sender();
  const ch = fake.dm(fake.user());
  const typings = () => fake.requests.filter((r) => r.method === "POST" && r.path.endsWith(`/channels/${ch}/typing`)).length;
  s.typing(ch, true);
  while (typings() < 2) await new Promise((r) => setTimeout(r, 20));
  s.typing(ch, false);
  const n = typings();
  await new Promise((r) => setTimeout(r, 150));
  assert.ok(typings() <= n + 1, "at most one in flight when it stopped");
  s.stop();
});

test("a run that ends before the typing delay posts no typing; a longer one does", async () => {
  const s = sender({ timing: { typingDelayMs: 100 } });
  const quick = fake.dm(fake.user());
  const slow = fake.dm(fake.user());
  const typings = (ch: string) => fake.requests.filter((r) => r.method === "POST" && r.path.endsWith(`/channels/${ch}/typing`)).length;
  s.typing(quick, true);
  s.typing(slow, true);
  await new Promise((r) => setTimeout(r, 20));
  s.typing(quick, false);
  await new Promise((r) => setTimeout(r, 200));
  s.typing(slow, false);
  assert.equal(typings(quick), 0, "a 20 ms run: no typing");
  assert.ok(typings(slow) >= 1, "a 220 ms run: typing");
  s.stop();
});

test("a channel closed to the bot (403 Missing Access) is refused for good, in plain words", async () => {
  const s = sender();
  const guild = fake.guild();
  const ch = fake.textChannel(guild);
  fake.forbid(ch);
  const err = (await s.deliver(reply(ch, null, "hi"), AbortSignal.timeout(10_000)).then(
    () => assert.fail("delivered"),
    (e: unknown) => e,
  )) as PartialDeliveryError;
  assert.equal(err.permanent, true);
  assert.match(err.message, /no access to this channel/);
});

test("a lost answer on the second part counts the first as sent, and the check finds the second by its text", async () => {
  const s = sender();
  const user = fake.user();
  const dm = fake.dm(user);
  const asked = fake.userSays(dm, user, "tell me two things");
  s.noteSeen(dm, asked.id);
  const m = reply(dm, asked.id, `${para("g")}\n\n${para("h")}`);
  let floor: number | null = s.sendFloor(m, null);
  let startedAt = Date.now();
  fake.loseAnswers(1, (r) => r.method === "POST" && r.path.endsWith("/messages") && JSON.stringify(r.body).includes("hhhh"));
  const err = (await s
    .deliver(m, AbortSignal.timeout(10_000), {
      partSent: (_n, f) => {
        floor = f ?? floor;
        startedAt = Date.now();
      },
    })
    .then(
      () => assert.fail("delivered"),
      (e: unknown) => e,
    )) as PartialDeliveryError;
  assert.deepEqual([err.partsSent, err.inDoubt], [1, true]);
  const check = await s.checkSent(
    { idempotencyKey: m.idempotencyKey, target: dm, replyTo: asked.id, text: m.text, part: 1, floor, startedAt },
    AbortSignal.timeout(10_000),
  );
  assert.equal(check.sent && check.platformMessageId, fake.botMessages(dm)[1]!.id);
  // The retry, after the core recorded the check's answer, sends nothing more.
  await s.deliver({ ...m, skipParts: 2 }, AbortSignal.timeout(10_000));
  assert.equal(fake.botMessages(dm).length, 2);
});

test("a 502 leaves the part in doubt and a 503 does not", async () => {
  const s = sender();
  const dm = fake.dm(fake.user());
  fake.failNext("POST /channels/:id/messages", 502);
  const bad = (await s.deliver(reply(dm, null, "x"), AbortSignal.timeout(10_000)).catch((e: unknown) => e)) as PartialDeliveryError;
  assert.deepEqual([bad.inDoubt, bad.permanent], [true, undefined]);
  fake.failNext("POST /channels/:id/messages", 503);
  const busy = (await s.deliver(reply(dm, null, "y"), AbortSignal.timeout(10_000)).catch((e: unknown) => e)) as PartialDeliveryError;
  assert.deepEqual([busy.inDoubt, busy.permanent], [false, undefined]);
});

test("a short rate limit is waited out by the client and the part goes out once", async () => {
  const s = sender();
  const dm = fake.dm(fake.user());
  fake.rateLimit("POST /channels/:id/messages", { retryAfterS: 0.2, count: 1 });
  await s.deliver(reply(dm, null, "after a short wait"), AbortSignal.timeout(10_000));
  assert.equal(fake.botMessages(dm).length, 1);
});

test("a reply's @everyone and role mentions ping nobody under the default, its user mentions do", async () => {
  const s = sender();
  const user = fake.user("bea");
  const dm = fake.dm(user);
  const asked = fake.userSays(dm, user, "ping the team");
  await s.deliver(reply(dm, asked.id, `@everyone <@&123456789012345678> <@${user}> here it is`), AbortSignal.timeout(10_000));
  const sent = fake.requests.findLast((r) => r.method === "POST" && r.path.endsWith(`/channels/${dm}/messages`))!;
  assert.deepEqual((sent.body as { allowed_mentions: unknown }).allowed_mentions, { parse: ["users"], replied_user: true });
  assert.deepEqual(
    fake.botMessages(dm)[0]!.mentions.map((u) => u.id),
    [user],
  );
});

test("REST calls go through the outbound proxy the environment names", async () => {
  const seen: string[] = [];
  const proxy = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers.authorization}`);
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ id: "1", username: "bot" }));
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
  try {
    const port = (proxy.address() as { port: number }).port;
    const rest = createRest({ token: "T.o.k", apiRoot: "http://discord.example/api", env: { HTTP_PROXY: `http://127.0.0.1:${port}` } });
    assert.deepEqual(await rest.get("/users/@me"), { id: "1", username: "bot" });
    assert.deepEqual(seen, ["GET http://discord.example/api/v10/users/@me Bot T.o.k"]);
  } finally {
    proxy.close();
  }
});

test("an answer larger than 8 MiB (a broken proxy, a hostile server) is refused in words, not held in memory", async () => {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    let sent = 0;
    const more = () => {
      while (sent < 64 && res.write(chunk)) sent++;
      if (sent < 64) res.once("drain", more);
      else res.end("{}");
    };
    res.on("error", () => {});
    more();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    const port = (server.address() as { port: number }).port;
    const rest = createRest({ token: "T.o.k", apiRoot: `http://127.0.0.1:${port}/api`, env: {} });
    await assert.rejects(rest.get("/users/@me"), (err: Error) => /larger than 8 MiB: refused/.test(err.message) && !err.message.includes("T.o.k"));
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
