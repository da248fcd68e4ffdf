/**
 * The bot's calls besides replies keep under Telegram's flood control too: a typing indicator
 * waits out a chat's 429 instead of being sent on every tick into the flood (which keeps the chat
 * flooded and delays the reply), and a stranger's pairing code waits its turn and gets through
 * after a flood instead of being lost. Counts, not timings: unpaced, a flood of 2.5 s meets a
 * typing tick every 150 ms.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { FakeTelegram } from "../helpers/fake-telegram.ts";
import { eventually, holdReplies, telegramBrain } from "./telegram-support.ts";

const fake = new FakeTelegram();
before(() => fake.start());
after(() => fake.close());

const refusedIn = (chat: number) => fake.flood().refusals.filter((r) => r.chatId === chat).length;
const typingRefusedIn = (chat: number) => fake.flood().actionRefusals.filter((r) => r.chatId === chat).length;

test("a typing indicator in a flooded chat waits out each retry_after: a few refusals, not one per tick", { timeout: 30_000 }, async () => {
  const ada = 7301;
  const b = await telegramBrain(fake, { settings: { allowFrom: [String(ada)] }, timing: { typingIntervalMs: 150 } });
  try {
    await eventually(() => b.state().state === "connected", 5000, "connected");
    const open = holdReplies(b);
    fake.flood().flood(2500, 1, ada);
    fake.userSays(ada, "hello?");
    await eventually(() => fake.actions.some((a) => a.chatId === ada), 15_000, "typing shown once the flood is over");
    open();
    await eventually(() => fake.sentTo(ada).length === 1, 10_000, "the reply");
    // Unpaced: about 17 ticks into a 2.5 s flood; paced: one per retry_after of 1 s.
    assert.ok(typingRefusedIn(ada) >= 1 && typingRefusedIn(ada) <= 4, `typing refused ${typingRefusedIn(ada)} times`);
  } finally {
    await b.stop();
  }
});

test("a stranger's pairing code waits out a flood and arrives once, instead of being lost", { timeout: 30_000 }, async () => {
  const stranger = 7302;
  const b = await telegramBrain(fake, {});
  try {
    await eventually(() => b.state().state === "connected", 5000, "connected");
    fake.flood().flood(1500, 1, stranger);
    fake.userSays(stranger, "let me in");
    await eventually(() => fake.sentTo(stranger).length === 1, 15_000, "the pairing code");
    assert.match(fake.sentTo(stranger)[0]!.plain, /onebrain pairing approve telegram [A-Z0-9]{8}/);
    assert.ok(refusedIn(stranger) >= 1 && refusedIn(stranger) <= 3, `refused ${refusedIn(stranger)} times`);
  } finally {
    await b.stop();
  }
});
