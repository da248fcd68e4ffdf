/** The send pacer on an injected clock: Telegram's per-chat, per-group and global limits, and a platform's "wait". */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SendPacer } from "../../src/channels/pacer.ts";
import { chatPace, TELEGRAM_LIMITS } from "../../src/channels/telegram/pacing.ts";

function clocked() {
  const clock = { now: 1_000_000 };
  const pacer = new SendPacer({ now: () => clock.now });
  return { clock, pace: (chat: string) => chatPace(pacer, chat, TELEGRAM_LIMITS) };
}

test("one chat gets one message a second; another chat is not held back by it", () => {
  const { clock, pace } = clocked();
  assert.equal(pace("1").delayMs(), 0);
  pace("1").take();
  assert.equal(pace("1").delayMs(), 1000);
  assert.equal(pace("2").delayMs(), 0);
  clock.now += 400;
  assert.equal(pace("1").delayMs(), 600);
  clock.now += 600;
  assert.equal(pace("1").delayMs(), 0);
});

test("30 chats at once fill the bot's second: the 31st chat waits for it", () => {
  const { clock, pace } = clocked();
  for (let c = 1; c <= 30; c++) {
    assert.equal(pace(String(c)).delayMs(), 0);
    pace(String(c)).take();
    clock.now += 10;
  }
  assert.equal(pace("31").delayMs(), 1000 - 300);
});

test("a group gets 20 messages in any minute, however they are spread", () => {
  const { clock, pace } = clocked();
  const group = pace("-100123");
  const first = clock.now;
  for (let i = 0; i < 20; i++) {
    assert.equal(group.delayMs(), 0, `message ${i + 1}`);
    group.take();
    clock.now += 1000;
  }
  assert.equal(group.delayMs(), first + 60_000 - clock.now, "the 21st waits until the first is a minute old");
  assert.equal(pace("5").delayMs(), 0, "a private chat is not a group");
});

test("a platform's retry_after blocks that chat for as long as it asks", () => {
  const { clock, pace } = clocked();
  pace("7").block(30_000);
  assert.equal(pace("7").delayMs(), 30_000);
  assert.equal(pace("8").delayMs(), 0);
  clock.now += 29_999;
  assert.equal(pace("7").delayMs(), 1);
  clock.now += 1;
  assert.equal(pace("7").delayMs(), 0);
});
