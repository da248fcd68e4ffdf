/**
 * A platform that asks to wait (ChannelRateLimitedError) is waited out as often as it asks: no
 * attempt cap while it keeps asking, the cap still applies to real failures, and the
 * conversation's later replies do not overtake the one waiting.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ChannelRateLimitedError, type OutboundMessage } from "../../src/channels/channel.ts";
import { harness, msg, RecordingChannel, until } from "./harness.ts";

/** Asks to wait `limited` times (retry after 20 ms), then fails `failNext` times, before it delivers. */
class LimitedChannel extends RecordingChannel {
  limited = 0;
  /** Only replies with this text are asked to wait (null: all). */
  only: string | null = null;
  tries: string[] = [];
  override async deliver(m: OutboundMessage): Promise<{ platformMessageId?: string }> {
    this.tries.push(m.text);
    if (this.limited > 0 && (this.only === null || m.text === this.only)) {
      this.limited--;
      throw new ChannelRateLimitedError("429 Too Many Requests: retry after 0.02", 20);
    }
    return super.deliver(m);
  }
}

const rows = (h: ReturnType<typeof harness>) =>
  h.store.prepare("SELECT state, attempts, last_error AS error FROM outbox ORDER BY id").all() as Array<{ state: string; attempts: number; error: string }>;

test("a reply asked to wait ten times (more than the cap of 4 attempts) is delivered, and the waits do not count", async () => {
  const channel = new LimitedChannel();
  channel.limited = 10;
  const h = harness({ channel });
  h.brain.start();
  await h.brain.ingest("test", "a1", { messages: [msg("1", "hi")] });
  await until(() => channel.delivered.length === 1, 5000);
  await until(() => rows(h)[0]?.state === "delivered");
  assert.equal(channel.tries.length, 11);
  assert.equal(rows(h)[0]!.attempts, 1);
  await h.brain.stop(0);
});

test("the cap still ends real failures, even after waits", async () => {
  const channel = new LimitedChannel();
  channel.limited = 3;
  channel.failNext = 100;
  const h = harness({ channel });
  h.brain.start();
  await h.brain.ingest("test", "a1", { messages: [msg("1", "hi")] });
  await until(() => rows(h)[0]?.state === "failed", 15_000);
  assert.equal(rows(h)[0]!.attempts, 4);
  assert.match(rows(h)[0]!.error, /platform unavailable/);
  await h.brain.stop(0);
});

test("while a reply waits as asked, the conversation's later replies wait behind it", async () => {
  const channel = new LimitedChannel();
  channel.limited = 5;
  channel.only = "echo: first";
  const h = harness({ channel });
  h.brain.start();
  await h.brain.ingest("test", "a1", { messages: [msg("1", "first")] });
  await until(() => channel.tries.length >= 1);
  await h.brain.ingest("test", "a1", { messages: [msg("2", "second")] });
  await until(() => channel.delivered.length === 2, 5000);
  assert.deepEqual(
    channel.delivered.map((m) => m.text),
    ["echo: first", "echo: second"],
  );
  await h.brain.stop(0);
});
