/**
 * Retrying a failed reply keeps it exactly-once: a reply that failed with a part in doubt is,
 * once retried, looked for on the platform first (found: not sent again), and a delivered reply
 * cannot be retried at all.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { OutboundMessage, PartialDeliveryError, SendCheck } from "../../src/channels/channel.ts";
import { listOutbox, retryOutbox } from "../../src/brain/outbox-admin.ts";
import { harness, msg, RecordingChannel, until } from "./harness.ts";

/** A platform without idempotency whose first send gets no answer, and which cannot tell whether it arrived until `reachable`. */
class DoubtfulChannel extends RecordingChannel {
  override readonly idempotentDelivery = false;
  sends = 0;
  checks = 0;
  reachable = false;
  override async deliver(m: OutboundMessage): Promise<{ platformMessageId?: string }> {
    if ((m.skipParts ?? 0) >= 1) return {}; // the one part went out before
    this.sends++;
    throw Object.assign(new Error("network error calling sendMessage: ECONNRESET"), { partsSent: 0, inDoubt: true }) as PartialDeliveryError;
  }
  async checkSent(): Promise<SendCheck> {
    this.checks++;
    if (!this.reachable) throw new Error("the platform cannot tell now");
    return { sent: true, platformMessageId: "m-1" };
  }
}

test("a reply that failed with a part in doubt is looked for after `retry`, found, and not sent a second time", async () => {
  const channel = new DoubtfulChannel();
  const h = harness({ channel });
  h.brain.start();
  await h.brain.ingest("test", "a1", { messages: [msg("1", "hi")] });
  await until(() => listOutbox(h.store)[0]?.state === "failed", 15_000);
  const failed = listOutbox(h.store, { state: "failed" })[0]!;
  assert.equal(failed.inDoubt, true);
  assert.equal(channel.sends, 1);

  channel.reachable = true;
  const r = retryOutbox(h.store, failed.id);
  assert.ok(r.ok && r.reply.state === "pending" && r.reply.attempts === 0 && r.reply.inDoubt);
  void h.brain.deliver();
  await until(() => listOutbox(h.store)[0]?.state === "delivered", 5000);
  assert.equal(channel.sends, 1, "found on the platform: not sent again");
  assert.ok(channel.checks >= 2);

  const again = retryOutbox(h.store, failed.id);
  assert.equal(again.ok, false);
  assert.equal(!again.ok && again.reason, "delivered");
  await h.brain.stop(0);
});

/** A platform that refuses the conversation for good (a user who blocked the bot), in the channel contract's words. */
class RefusingChannel extends RecordingChannel {
  sends = 0;
  override async deliver(): Promise<{ platformMessageId?: string }> {
    this.sends++;
    throw Object.assign(new Error("the platform refuses every message to this conversation: the user blocked the bot"), {
      partsSent: 0,
      permanent: true,
    }) as PartialDeliveryError;
  }
}

test("a channel's permanent refusal fails the reply at its first attempt, with the channel's words, whatever the attempt cap", async () => {
  const channel = new RefusingChannel();
  const h = harness({ channel, maxDeliveryAttempts: 8 });
  h.brain.start();
  await h.brain.ingest("test", "a1", { messages: [msg("1", "hi")] });
  await until(() => listOutbox(h.store)[0]?.state === "failed", 5000);
  const failed = listOutbox(h.store, { state: "failed" })[0]!;
  assert.equal(failed.attempts, 1);
  assert.match(failed.lastError!, /the user blocked the bot/);
  assert.equal(channel.sends, 1);
  await h.brain.stop(0);
});
