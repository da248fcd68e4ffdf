/**
 * Chats Telegram refuses for good: a user who blocked the bot or deleted their account, a group
 * that kicked the bot, a chat that does not exist. Telegram answers such a send 403 (or 400 "chat
 * not found") every time, so the reply fails at its first attempt, with the reason in words in
 * the outbox and in status, and is never tried again. A group upgraded to a supergroup (400 with
 * `migrate_to_chat_id`) is not refused: the reply goes to the new chat, once.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { failedReplies } from "../../src/brain/outbox-admin.ts";
import { FakeTelegram } from "../helpers/fake-telegram.ts";
import { eventually, sleep, telegramBrain, type TelegramBrain } from "./telegram-support.ts";

const fake = new FakeTelegram();
before(() => fake.start());
after(() => fake.close());

const outbox = (b: TelegramBrain) =>
  b.store.prepare("SELECT state, attempts, target, last_error AS error FROM outbox ORDER BY id").all() as Array<{
    state: string;
    attempts: number;
    target: string;
    error: string | null;
  }>;
const sendsTo = (chat: number) => fake.calls.filter((c) => c.method === "sendMessage" && Number(c.params.chat_id) === chat).length;

const cases = [
  { why: "blocked", chat: 5101, words: /the user blocked the bot/ },
  { why: "deactivated", chat: 5102, words: /the user's Telegram account is deleted/ },
] as const;

for (const c of cases) {
  test(`a user who ${c.why === "blocked" ? "blocked the bot" : "deleted their account"}: the reply fails at its first attempt, in words, and is not retried`, async () => {
    const b = await telegramBrain(fake, { settings: { allowFrom: [String(c.chat)] }, maxDeliveryAttempts: 8 });
    try {
      await eventually(() => b.state().state === "connected", 5000, "connected");
      // The user writes, then leaves before the reply: it meets the refusal.
      fake.userSays(c.chat, "hello?");
      fake.chatGone(c.chat, c.why);
      await eventually(() => outbox(b)[0]?.state === "failed", 5000, "failed");
      const row = outbox(b)[0]!;
      assert.equal(row.attempts, 1, "failed at the first attempt");
      assert.match(row.error!, c.words);
      assert.match(row.error!, /Telegram refuses every message to this chat/);
      const status = failedReplies(b.store);
      assert.equal(status.count, 1);
      assert.match(status.newest!.error!, c.words);
      await sleep(1500); // longer than the first backoffs: no retry comes
      assert.equal(sendsTo(c.chat), 1, "Telegram was asked once");
    } finally {
      await b.stop();
    }
  });
}

test("a group that kicked the bot, and a chat that does not exist: each reply fails at once, in words", async () => {
  const group = -5201;
  const b = await telegramBrain(fake, { settings: { allowFrom: ["1001"], groups: { requireMention: false, allow: [] } }, maxDeliveryAttempts: 8 });
  try {
    await eventually(() => b.state().state === "connected", 5000, "connected");
    fake.userSays(group, "anyone?", { chatType: "group" });
    fake.chatGone(group, "kicked");
    await eventually(() => outbox(b)[0]?.state === "failed", 5000, "failed");
    assert.equal(outbox(b)[0]!.attempts, 1);
    assert.match(outbox(b)[0]!.error!, /the bot was removed from the group/);
    assert.equal(sendsTo(group), 1);
    // A chat that is gone (deleted): 400 "chat not found", as permanent.
    const gone = 5299;
    fake.userSays(gone, "one more", { from: { id: 1001 } });
    fake.chatGone(gone, "not-found");
    await eventually(() => outbox(b)[1]?.state === "failed", 5000, "the second failed");
    assert.equal(outbox(b)[1]!.attempts, 1);
    assert.match(outbox(b)[1]!.error!, /the chat does not exist, or the bot is not in it/);
    assert.equal(sendsTo(gone), 1);
  } finally {
    await b.stop();
  }
});
