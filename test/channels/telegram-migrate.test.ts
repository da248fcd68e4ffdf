/**
 * A basic group upgraded to a supergroup: Telegram refuses sends to the old chat id with a 400
 * carrying `parameters.migrate_to_chat_id`. The reply goes to the new chat (once, not retried at
 * the old id), later replies of that conversation go straight there, and a send in doubt after
 * the move is looked for in the new chat, so it is never sent twice.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { FakeTelegram } from "../helpers/fake-telegram.ts";
import { eventually, holdReplies, telegramBrain, type TelegramBrain } from "./telegram-support.ts";

const fake = new FakeTelegram();
before(() => fake.start());
after(() => fake.close());

const settings = { allowFrom: ["1001"], groups: { requireMention: false, allow: [] } };
const outbox = (b: TelegramBrain) => b.store.prepare("SELECT state, attempts FROM outbox ORDER BY id").all() as Array<{ state: string; attempts: number }>;
const callsTo = (method: string, chat: number) => fake.calls.filter((c) => c.method === method && Number(c.params.chat_id) === chat).length;

test("replies to a group upgraded meanwhile go to the supergroup: the first after one refusal, the next one straight there", async () => {
  const [group, supergroup] = [-6101, -1006101];
  const b = await telegramBrain(fake, { settings, maxDeliveryAttempts: 2 });
  try {
    await eventually(() => b.state().state === "connected", 5000, "connected");
    const open = holdReplies(b);
    fake.userSays(group, "first", { chatType: "group" });
    fake.userSays(group, "second", { chatType: "group" });
    await eventually(() => b.agent.calls.length === 1, 5000, "the agent is writing");
    fake.upgradeGroup(group, supergroup, { held: true });
    open();
    await eventually(() => outbox(b).length === 2 && outbox(b).every((r) => r.state === "delivered"), 10_000, "both delivered");
    assert.deepEqual(
      fake.sentTo(supergroup).map((m) => m.plain),
      ["echo: User-6101: first", "echo: User-6101: second"],
    );
    assert.equal(fake.sentTo(group).length, 0);
    assert.equal(callsTo("sendMessage", group), 1, "the old id was refused once; the second reply went straight to the new chat");
    assert.deepEqual(
      outbox(b).map((r) => r.attempts),
      [1, 1],
      "the move is not a failed attempt: each reply was delivered at its first",
    );
  } finally {
    await b.stop();
  }
});

test("a send in doubt after the move is looked for in the supergroup and not sent again", async () => {
  const [group, supergroup] = [-6201, -1006201];
  const b = await telegramBrain(fake, { settings });
  try {
    await eventually(() => b.state().state === "connected", 5000, "connected");
    const open = holdReplies(b);
    fake.userSays(group, "are you there?", { chatType: "group" });
    await eventually(() => b.agent.calls.length === 1, 5000, "the agent is writing");
    fake.upgradeGroup(group, supergroup, { held: true });
    // The resend to the new chat arrives, but its answer is lost: the part is in doubt.
    fake.failNext("sendMessage", { loseAnswer: true, match: (p) => Number(p.chat_id) === supergroup });
    open();
    await eventually(() => outbox(b)[0]?.state === "delivered", 15_000, "delivered");
    assert.deepEqual(
      fake.sentTo(supergroup).map((m) => m.plain),
      ["echo: User-6201: are you there?"],
      "once",
    );
    assert.ok(callsTo("editMessageReplyMarkup", supergroup) >= 1, "looked for in the new chat");
    assert.equal(callsTo("editMessageReplyMarkup", group), 0, "not in the old one");
  } finally {
    await b.stop();
  }
});
