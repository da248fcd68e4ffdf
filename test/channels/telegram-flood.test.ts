/**
 * Telegram's flood control: a reply refused with 429 waits exactly as long as Telegram asks, as
 * often as it asks (no attempt cap while it keeps asking), and is delivered once; and the bot's
 * own sends keep under Telegram's limits, so a burst never meets a 429 at all. The real channel,
 * store and brain against the fake Bot API, whose flood control answers as Telegram does.
 *
 * The flood of the field report lasted 65 s with `retry_after: 30`. By default it is replayed at
 * the same ratio with `retry_after: 2` (a 4.3 s flood), still longer than the attempt cap's whole
 * backoff; ONEBRAIN_TG_FLOOD_FULL=1 replays it in full (about 95 s) with the gateway's cap of 8.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { scaleLimits, TELEGRAM_LIMITS } from "../../src/channels/telegram/pacing.ts";
import { FakeTelegram } from "../helpers/fake-telegram.ts";
import { TELEGRAM_FLOOD_RULES } from "../helpers/fake-telegram-flood.ts";
import { eventually, telegramBrain, type TelegramBrain } from "./telegram-support.ts";

const FULL = process.env.ONEBRAIN_TG_FLOOD_FULL === "1";
/** Telegram's windows shrunk tenfold on both sides: the same pacing, ten times faster. */
const SCALE = 0.1;
/**
 * The channel keeps 50 % under the shrunk limits here, not its usual 10 %: the fake shares this
 * process's event loop (and the machine runs other tests), so a request can reach it tens of ms
 * late, then the next one on time.
 */
const PACE = scaleLimits(TELEGRAM_LIMITS, SCALE * 1.5);

const fake = new FakeTelegram();
before(() => fake.start());
after(() => fake.close());

let nextChat = 900;
const outbox = (b: TelegramBrain) =>
  b.store.prepare("SELECT state, attempts, last_error AS error FROM outbox ORDER BY id").all() as Array<{
    state: string;
    attempts: number;
    error: string | null;
  }>;

test(
  "a flood longer than the attempt cap's backoff: the reply waits each retry_after out and is delivered once",
  { timeout: FULL ? 180_000 : 60_000 },
  async () => {
    const retryAfter = FULL ? 30 : 2;
    const floodMs = Math.round((retryAfter * 1000 * 65) / 30);
    const ada = ++nextChat;
    const b = await telegramBrain(fake, { settings: { allowFrom: [String(ada)] }, maxDeliveryAttempts: FULL ? 8 : 4 });
    try {
      await eventually(() => b.state().state === "connected", 5000, "connected");
      const refusedBefore = fake.flood().refusals.length;
      fake.flood().flood(floodMs, retryAfter, ada);
      const started = Date.now();
      fake.userSays(ada, "are you there?");
      await eventually(() => outbox(b)[0]?.state === "delivered", floodMs + retryAfter * 3000 + 5000, "delivered after the flood");
      const refusals = fake
        .flood()
        .refusals.slice(refusedBefore)
        .filter((r) => r.chatId === ada);
      assert.deepEqual(
        fake.sentTo(ada).map((m) => m.plain),
        ["echo: are you there?"],
        "on Telegram once",
      );
      // Waited as told: one try per retry_after, never sooner, so a handful of tries for the whole flood.
      assert.ok(refusals.length >= 2 && refusals.length <= Math.ceil(floodMs / (retryAfter * 1000)) + 1, `tries during the flood: ${refusals.length}`);
      for (let i = 1; i < refusals.length; i++)
        assert.ok(
          refusals[i]!.at - refusals[i - 1]!.at >= retryAfter * 1000 - 50,
          `try ${i + 1} came ${refusals[i]!.at - refusals[i - 1]!.at} ms after a retry_after of ${retryAfter} s`,
        );
      assert.ok(fake.sentTo(ada)[0]!.at - started >= floodMs, "not before the flood ended");
      // The waits were the platform's, not failures: none counted against the cap.
      assert.equal(outbox(b)[0]!.attempts, 1);
    } finally {
      await b.stop();
    }
  },
);

test("a 429 from a proxy in front of the Bot API, with only a Retry-After header, is waited out too and not counted", { timeout: 30_000 }, async () => {
  const ada = ++nextChat;
  const b = await telegramBrain(fake, { settings: { allowFrom: [String(ada)] }, maxDeliveryAttempts: 1 });
  try {
    await eventually(() => b.state().state === "connected", 5000, "connected");
    fake.failNext("sendMessage", {
      code: 429,
      raw: "<html><body>429 Too Many Requests</body></html>",
      headers: { "retry-after": "1" },
      match: (p) => Number(p.chat_id) === ada,
    });
    fake.userSays(ada, "anyone?");
    // With a cap of 1 attempt, a 429 counted as a failure would fail the reply at once.
    await eventually(() => outbox(b)[0]?.state === "delivered", 10_000, "delivered");
    const tries = fake.calls.filter((c) => c.method === "sendMessage" && Number(c.params.chat_id) === ada);
    assert.equal(tries.length, 2);
    assert.ok(tries[1]!.at - tries[0]!.at >= 950, `the second try came ${tries[1]!.at - tries[0]!.at} ms after a Retry-After of 1 s`);
    assert.deepEqual(
      fake.sentTo(ada).map((m) => m.plain),
      ["echo: anyone?"],
    );
  } finally {
    await b.stop();
  }
});

test("a burst of 50 replies to one chat goes out at Telegram's pace, in order, without a single 429", { timeout: 60_000 }, async () => {
  const ada = ++nextChat;
  fake.flood().enforce(TELEGRAM_FLOOD_RULES, SCALE);
  const b = await telegramBrain(fake, { settings: { allowFrom: [String(ada)] }, timing: { pace: PACE } });
  try {
    await eventually(() => b.state().state === "connected", 5000, "connected");
    const refusedBefore = fake.flood().refusals.length;
    for (let i = 1; i <= 50; i++) fake.userSays(ada, `q${i}`);
    await eventually(() => outbox(b).filter((r) => r.state === "delivered").length === 50, 30_000, "50 delivered");
    assert.equal(fake.flood().refusals.length - refusedBefore, 0, "no 429");
    assert.deepEqual(
      fake.sentTo(ada).map((m) => m.plain),
      Array.from({ length: 50 }, (_, i) => `echo: q${i + 1}`),
      "each once, in order",
    );
  } finally {
    await b.stop();
    fake.flood().enforce(null);
  }
});

test("the parts of a long reply are paced too: a group's reply in many parts meets no 429", { timeout: 60_000 }, async () => {
  const group = -1_000_000_000 - ++nextChat;
  fake.flood().enforce(TELEGRAM_FLOOD_RULES, SCALE);
  const b = await telegramBrain(fake, { settings: { groups: { requireMention: false, allow: [] }, textChunkLimit: 40 }, timing: { pace: PACE } });
  b.agent.script = async () => Array.from({ length: 25 }, (_, i) => `paragraph ${i + 1} of a long answer`).join("\n\n");
  try {
    await eventually(() => b.state().state === "connected", 5000, "connected");
    const refusedBefore = fake.flood().refusals.length;
    fake.userSays(group, "tell me everything", { chatType: "supergroup" });
    // 25 parts in one group: more than its 20 a minute, so the last ones wait for the window.
    await eventually(() => outbox(b)[0]?.state === "delivered", 30_000, "delivered");
    assert.equal(fake.flood().refusals.length - refusedBefore, 0, "no 429");
    assert.deepEqual(
      fake.sentTo(group).map((m) => m.plain),
      Array.from({ length: 25 }, (_, i) => `paragraph ${i + 1} of a long answer`),
    );
  } finally {
    await b.stop();
    fake.flood().enforce(null);
  }
});
