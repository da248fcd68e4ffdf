/**
 * The Telegram channel in-process against the fake Bot API: direct messages, pairing, groups,
 * long replies, Markdown with its plain-text fallback, typing. The brain and store are real.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { approvePairing, listPairings } from "../../src/channels/pairing.ts";
import { FakeTelegram } from "../helpers/fake-telegram.ts";
import { eventually, sleep, telegramBrain, type TelegramBrain } from "./telegram-support.ts";

const fake = new FakeTelegram();
before(() => fake.start());
after(() => fake.close());

let nextChat = 100;
/** A fresh private chat id per test, so the fake's shared log stays readable. */
const newUser = () => ++nextChat;

async function withBrain(settings: Parameters<typeof telegramBrain>[1], fn: (b: TelegramBrain) => Promise<void>): Promise<void> {
  const b = await telegramBrain(fake, settings);
  try {
    await fn(b);
  } finally {
    await b.stop();
  }
}

test("answers an allowed user's direct message once, threaded under it, with a typing indicator while the run goes", async () => {
  const ada = newUser();
  await withBrain({ settings: { allowFrom: [String(ada)] } }, async (b) => {
    b.agent.script = async (history) => {
      await sleep(400); // long enough for the typing indicator to repeat
      return `echo: ${history[history.length - 1]!.content}`;
    };
    await eventually(() => b.state().state === "connected", 5000, "connected");
    const u = fake.userSays(ada, "hello there");
    await eventually(() => fake.sentTo(ada).length === 1, 5000, "reply");
    const [reply] = fake.sentTo(ada);
    assert.equal(reply!.plain, "echo: hello there");
    assert.equal(reply!.parseMode, "HTML");
    assert.equal(reply!.replyTo, u.message!.message_id);
    const typing = fake.actions.filter((a) => a.chatId === ada);
    assert.ok(typing.length >= 2, `typing sent at once and repeated while the run went (got ${typing.length})`);
    assert.ok(typing.every((a) => a.action === "typing"));
    const n = typing.length;
    await sleep(400);
    assert.equal(fake.actions.filter((a) => a.chatId === ada).length, n, "typing stops when the run ends");
    await eventually(() => b.store.prepare("SELECT state FROM outbox").get()?.state === "delivered", 5000, "marked delivered");
    const row = b.store.prepare("SELECT state, platform_message_id FROM outbox").get() as { state: string; platform_message_id: string };
    assert.deepEqual({ ...row }, { state: "delivered", platform_message_id: String(reply!.messageId) });
  });
});

test("identifies the bot and clears a webhook once, then long-polls for messages only, from the committed offset", async () => {
  const ada = newUser();
  const token = "7000077:AAOnceTokenxxxxxxxxxxxxxxxxxxxxxxxxxxx";
  fake.addBot(token, "once_bot");
  fake.setWebhook("https://example.invalid/old-hook", token);
  await withBrain({ token, settings: { allowFrom: [String(ada)] } }, async (b) => {
    const u = fake.userSays(ada, "hi", { token });
    await eventually(() => fake.sentTo(ada, token).length === 1, 5000, "reply");
    await eventually(() => fake.calls.filter((c) => c.token === token && c.method === "getUpdates").length >= 3, 8000, "polls");
    const calls = fake.calls.filter((c) => c.token === token);
    assert.deepEqual(
      calls.slice(0, 2).map((c) => c.method),
      ["getMe", "deleteWebhook"],
    );
    // Identified once, before polling; a later getMe only warms a connection for a send (post.ts).
    const firstPoll = calls.findIndex((c) => c.method === "getUpdates");
    assert.equal(calls.slice(0, firstPoll).filter((c) => c.method === "getMe").length, 1, "getMe once before polling");
    assert.equal(calls.filter((c) => c.method === "deleteWebhook").length, 1, "deleteWebhook once");
    const polls = calls.filter((c) => c.method === "getUpdates").map((c) => c.params);
    assert.ok(polls.every((p) => JSON.stringify(p.allowed_updates) === '["message"]'));
    assert.equal(polls[0]!.offset, undefined, "a fresh brain starts without an offset");
    assert.equal(polls[0]!.timeout, 0, "the first poll is short, so the state is connected at once");
    assert.ok(
      polls.slice(2).every((p) => p.offset === u.update_id + 1 && p.timeout === 2),
      JSON.stringify(polls),
    );
    // The offset, and the newest message id of the bot's private chats (for sends in doubt).
    assert.equal(b.store.prepare("SELECT cursor FROM channel_cursors WHERE channel = 'telegram'").get()?.cursor, `${u.update_id + 1}/${u.message!.message_id}`);
  });
});

test("an unknown user gets a pairing code and reaches nobody; after approval their next message is answered", async () => {
  const eve = newUser();
  await withBrain({}, async (b) => {
    fake.userSays(eve, "let me in", { from: { id: eve, first_name: "Eve", username: "eve_t" } });
    await eventually(() => fake.sentTo(eve).length === 1, 5000, "pairing code");
    const code = /approve telegram ([A-Z2-9]{8})/.exec(fake.sentTo(eve)[0]!.plain)?.[1];
    assert.ok(code, fake.sentTo(eve)[0]!.plain);
    fake.userSays(eve, "hello?");
    await eventually(() => fake.unconfirmed() === 0, 5000, "confirmed");
    await sleep(200);
    assert.equal(fake.sentTo(eve).length, 1, "the same code is not sent again within the hour");
    assert.equal(b.agent.calls.length, 0, "nothing reached the agent");
    assert.equal((b.store.prepare("SELECT count(*) AS n FROM inbound").get() as { n: number }).n, 0, "nothing was ingested");
    const [pending] = listPairings(b.store, "telegram");
    assert.equal(pending!.code, code);
    assert.equal(pending!.sender_name, "Eve (@eve_t)");

    assert.ok(approvePairing(b.store, "telegram", code!.toLowerCase(), "test"), "approved (case does not matter)");
    fake.userSays(eve, "now?");
    await eventually(() => fake.sentTo(eve).length === 2, 5000, "answer after approval");
    assert.equal(fake.sentTo(eve)[1]!.plain, "echo: now?");
    assert.equal(b.agent.calls.length, 1, "only the message after approval ran");
  });
});

test("with dmPolicy allowlist a stranger is ignored without a code; @username in allowFrom is allowed", async () => {
  const stranger = newUser();
  const friend = newUser();
  await withBrain({ settings: { dmPolicy: "allowlist", allowFrom: ["@Friend_T"] } }, async (b) => {
    fake.userSays(stranger, "hi");
    fake.userSays(friend, "hi", { from: { id: friend, first_name: "F", username: "friend_t" } });
    await eventually(() => fake.sentTo(friend).length === 1, 5000, "friend answered");
    await sleep(150);
    assert.equal(fake.sentTo(stranger).length, 0);
    assert.equal(b.agent.calls.length, 1);
  });
});

test("groups: only messages that mention the bot or reply to it run, each group has its own session, and the model hears who speaks", async () => {
  const bot = fake.botUser();
  await withBrain({}, async (b) => {
    const g1 = -1001;
    const g2 = -1002;
    fake.userSays(g1, "just chatting among ourselves", { from: { id: 501, first_name: "A" } });
    fake.userSays(g1, `@${bot.username} what is 2+2?`, { from: { id: 501, first_name: "A" } });
    await eventually(() => fake.sentTo(g1).length === 1, 5000, "answer to the mention");
    assert.equal(fake.sentTo(g1)[0]!.plain, "echo: A: what is 2+2?", "the mention is not part of what the model reads; the speaker is");
    fake.userSays(g1, "and 3+3?", { from: { id: 502, first_name: "B" }, replyTo: fake.sentTo(g1)[0]!.messageId });
    await eventually(() => fake.sentTo(g1).length === 2, 5000, "answer to the reply");
    fake.userSays(g2, `hey @${bot.username}`, { from: { id: 501, first_name: "A" } });
    fake.userSays(g2, "@someone_else look", { from: { id: 501, first_name: "A" } });
    await eventually(() => fake.sentTo(g2).length === 1, 5000, "group 2");
    await sleep(150);
    assert.equal(fake.sentTo(g1).length, 2);
    assert.equal(fake.sentTo(g2).length, 1);
    assert.equal(b.agent.calls.length, 3, "unaddressed messages never reached the agent");
    const keys = (b.store.prepare("SELECT DISTINCT session_key AS k FROM inbound ORDER BY k").all() as Array<{ k: string }>).map((r) => r.k);
    assert.deepEqual(keys, [`agent:main:telegram:${b.tg.account}:group:-1001`, `agent:main:telegram:${b.tg.account}:group:-1002`]);
    const second = b.agent.calls[1]!;
    assert.deepEqual(
      second.map((m) => m.content),
      ["A: what is 2+2?", "echo: A: what is 2+2?", "B: and 3+3?"],
      "the reply continues the group's session",
    );
  });
});

test("groups: requireMention false answers everything in allowed groups; groups.allow limits which groups", async () => {
  await withBrain({ settings: { groups: { requireMention: false, allow: ["-2001"] } } }, async (b) => {
    fake.userSays(-2002, "not served here", { from: { id: 7, first_name: "X" } });
    fake.userSays(-2001, "served", { from: { id: 7, first_name: "X" } });
    await eventually(() => fake.sentTo(-2001).length === 1, 5000, "allowed group");
    await sleep(150);
    assert.equal(fake.sentTo(-2002).length, 0);
    assert.equal(b.agent.calls.length, 1);
  });
});

test("a long reply is split on paragraph boundaries, in order, each part within the limit, only the first threaded", async () => {
  const ada = newUser();
  const paragraphs = Array.from({ length: 12 }, (_, i) => `Paragraph ${i + 1}. ` + "lorem ipsum ".repeat(20).trim());
  const long = paragraphs.join("\n\n");
  await withBrain({ settings: { allowFrom: [String(ada)], textChunkLimit: 800 } }, async (b) => {
    b.agent.script = async () => long;
    const u = fake.userSays(ada, "tell me a lot");
    await eventually(() => fake.sentTo(ada).length >= 4 && b.store.prepare("SELECT state FROM outbox").get()?.state === "delivered", 5000, "all parts");
    const parts = fake.sentTo(ada);
    assert.ok(
      parts.every((p) => p.plain.length <= 800),
      `parts within the limit: ${parts.map((p) => p.plain.length).join(", ")}`,
    );
    assert.equal(parts.map((p) => p.plain).join("\n\n"), long, "nothing lost, nothing reordered, cut only between paragraphs");
    assert.ok(
      parts.every((p) => /^Paragraph \d+\./.test(p.plain)),
      "each part starts with a paragraph",
    );
    assert.equal(parts[0]!.replyTo, u.message!.message_id);
    assert.ok(parts.slice(1).every((p) => p.replyTo === undefined));
  });
});

test("Markdown is rendered as Telegram HTML; a part Telegram refuses for its entities arrives once as plain text", async () => {
  const ada = newUser();
  await withBrain({ settings: { allowFrom: [String(ada)] } }, async (b) => {
    b.agent.script = async () => "**Bold** and `code <x>` & *more*";
    fake.userSays(ada, "format please");
    await eventually(() => fake.sentTo(ada).length === 1, 5000, "formatted reply");
    assert.equal(fake.sentTo(ada)[0]!.text, "<b>Bold</b> and <code>code &lt;x&gt;</code> &amp; <i>more</i>");
    assert.equal(fake.sentTo(ada)[0]!.plain, "Bold and code <x> & more");

    b.agent.script = async () => "Text with *stars* that Telegram refuses";
    fake.failNext("sendMessage", {
      code: 400,
      description: "Bad Request: can't parse entities: Can't find end of the entity starting at byte offset 10",
      match: (p) => p.parse_mode === "HTML",
    });
    fake.userSays(ada, "again");
    await eventually(() => fake.sentTo(ada).length === 2, 5000, "plain reply");
    await sleep(200);
    const sent = fake.sentTo(ada);
    assert.equal(sent.length, 2, "the refused part was sent once, as plain text");
    assert.equal(sent[1]!.parseMode, undefined);
    assert.equal(sent[1]!.text, "Text with *stars* that Telegram refuses");
    assert.equal((b.store.prepare("SELECT count(*) AS n FROM outbox WHERE state = 'delivered'").get() as { n: number }).n, 2);
  });
});

test("a delivery that fails midway resumes after the parts that went out (no part twice)", async () => {
  const ada = newUser();
  const long = Array.from({ length: 4 }, (_, i) => `Part ${i + 1} ` + "x".repeat(150)).join("\n\n");
  await withBrain({ settings: { allowFrom: [String(ada)], textChunkLimit: 200 } }, async (b) => {
    b.agent.script = async () => long;
    let calls = 0;
    fake.failNext("sendMessage", { code: 500, description: "Internal Server Error", match: () => ++calls === 3 });
    fake.userSays(ada, "go");
    await eventually(() => b.store.prepare("SELECT state FROM outbox").get()?.state === "delivered", 8000, "delivered after a retry");
    const parts = fake.sentTo(ada).map((p) => p.plain.slice(0, 6));
    assert.deepEqual(parts, ["Part 1", "Part 2", "Part 3", "Part 4"]);
    const row = b.store.prepare("SELECT attempts, parts_sent, last_error FROM outbox").get() as { attempts: number; parts_sent: number; last_error: string };
    assert.equal(row.attempts, 2);
    assert.match(row.last_error, /sent 2 of 4 part\(s\); part 3 failed: 500 Internal Server Error/);
  });
});
