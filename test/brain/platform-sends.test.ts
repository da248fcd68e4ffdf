/**
 * Delivery to a platform that cannot dedupe (Telegram): the start of each send is on disk before
 * the send, a crash after it never sends the reply twice, a partly sent long reply resumes after
 * the parts that went out, and the channel is told when a run starts and ends (typing).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import type { DeliveryProgress, OutboundMessage, PartialDeliveryError } from "../../src/channels/channel.ts";
import { harness, msg, RecordingChannel, until } from "./harness.ts";

/** A RecordingChannel whose platform has no idempotency key; it can hang or fail part way, and records typing. */
class PlatformChannel extends RecordingChannel {
  override readonly idempotentDelivery = false;
  hang = false;
  /** Hang while sending this part (1-based) of a reply split on blank lines. */
  hangAtPart: number | null = null;
  parts: string[] = [];
  failAfterParts: number | null = null;
  skips: Array<number | undefined> = [];
  typingLog: Array<[string, boolean]> = [];
  startedOnDisk: boolean[] = [];
  file = "";
  override async deliver(m: OutboundMessage, _signal?: AbortSignal, progress?: DeliveryProgress): Promise<{ platformMessageId?: string }> {
    // What another connection sees is what is committed: the start must already be there.
    const other = new DatabaseSync(this.file, { readOnly: true });
    this.startedOnDisk.push(
      (other.prepare("SELECT send_started_at FROM outbox WHERE idempotency_key = ?").get(m.idempotencyKey) as { send_started_at: number | null })
        .send_started_at !== null,
    );
    other.close();
    this.skips.push(m.skipParts);
    const parts = m.text.split("\n\n");
    for (let i = m.skipParts ?? 0; i < parts.length && this.hangAtPart !== null; i++) {
      if (i + 1 === this.hangAtPart) return new Promise(() => {});
      this.parts.push(parts[i]!);
      progress?.partSent(i + 1);
    }
    if (this.hangAtPart !== null) return {};
    if ((m.skipParts ?? 0) >= parts.length) return {}; // every part went out before
    if (this.hang) return new Promise(() => {});
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error("platform unavailable");
    }
    if (this.failAfterParts !== null) {
      const err = Object.assign(new Error(`sent ${this.failAfterParts} of 3 parts, then the network failed`), {
        partsSent: this.failAfterParts,
      }) as PartialDeliveryError;
      this.failAfterParts = null;
      throw err;
    }
    this.delivered.push(m);
    return { platformMessageId: `tg-${this.delivered.length}` };
  }
  typing(target: string, active: boolean): void {
    this.typingLog.push([target, active]);
  }
}

function platformHarness(file?: string) {
  const channel = new PlatformChannel();
  const h = harness({ channel, ...(file ? { file } : {}) });
  channel.file = h.file;
  return { ...h, channel };
}

test("the start of a send is committed before the send, and the platform's message id is kept", async () => {
  const h = platformHarness();
  h.brain.start();
  await h.brain.ingest("test", "a1", { messages: [msg("1", "hi")] });
  await until(() => h.channel.delivered.length === 1);
  assert.deepEqual(h.channel.startedOnDisk, [true]);
  await until(() => (h.store.db.prepare("SELECT state FROM outbox").get() as { state: string }).state === "delivered");
  assert.equal((h.store.db.prepare("SELECT platform_message_id AS id FROM outbox").get() as { id: string }).id, "tg-1");
});

test("after a crash during a send the reply is taken as delivered and never sent a second time", async () => {
  const first = platformHarness();
  first.channel.hang = true;
  first.brain.start();
  await first.brain.ingest("test", "a1", { messages: [msg("1", "hi")] });
  await until(() => first.channel.startedOnDisk.length === 1);
  // The process dies here: the send had started; nothing else is written.
  first.store.close();

  const second = platformHarness(first.file);
  const { interrupted } = second.brain.start();
  assert.equal(interrupted, 0);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(second.channel.delivered.length, 0, "not sent again");
  await until(() => (second.store.db.prepare("SELECT state FROM outbox").get() as { state: string }).state === "delivered");
  const row = second.store.db.prepare("SELECT last_error FROM outbox").get() as { last_error: string };
  assert.match(row.last_error, /part 1 was being sent when the gateway stopped: taken as delivered/);
});

test("a long reply interrupted while its second part was in flight resumes with the third part only", async () => {
  const first = platformHarness();
  first.agent.script = async () => "one\n\ntwo\n\nthree";
  first.channel.hangAtPart = 2;
  first.brain.start();
  await first.brain.ingest("test", "a1", { messages: [msg("1", "hi")] });
  await until(() => first.channel.parts.length === 1);
  first.store.close(); // crashed with part 2 on the wire

  const second = platformHarness(first.file);
  second.channel.hangAtPart = 99; // no hang: send what is asked, part by part
  second.brain.start();
  await until(() => (second.store.db.prepare("SELECT state FROM outbox").get() as { state: string }).state === "delivered");
  assert.deepEqual(second.channel.parts, ["three"], "part 1 was recorded as sent, part 2 was in flight: only part 3 is sent again");
  assert.deepEqual(second.channel.skips, [2]);
});

test("a failed send is no longer 'started': a crash after the failure retries it instead of dropping it", async () => {
  const first = platformHarness();
  first.channel.failNext = 1;
  first.brain.start();
  await first.brain.ingest("test", "a1", { messages: [msg("1", "hi")] });
  await until(() => (first.store.db.prepare("SELECT attempts FROM outbox").get() as { attempts: number } | undefined)?.attempts === 1);
  await first.brain.stop(0); // its retry timer must not outlive the "crash"
  first.store.close();
  const second = platformHarness(first.file);
  second.brain.start();
  await until(() => second.channel.delivered.length === 1, 8000);
});

test("a long reply that failed after two parts is retried from the third part on", async () => {
  const h = platformHarness();
  h.channel.failAfterParts = 2;
  h.brain.start();
  await h.brain.ingest("test", "a1", { messages: [msg("1", "hi")] });
  await until(() => h.channel.skips.length === 2, 8000);
  assert.deepEqual(h.channel.skips, [undefined, 2]);
});

test("the channel hears when a run for a peer starts and ends", async () => {
  const h = platformHarness();
  h.brain.start();
  await h.brain.ingest("test", "a1", { messages: [msg("1", "hi", "grace")] });
  await until(() => h.channel.delivered.length === 1);
  assert.deepEqual(h.channel.typingLog, [
    ["grace", true],
    ["grace", false],
  ]);
});

test("while a platform is down, each reply waits out its own backoff: a burst of replies does not use up their attempts", async () => {
  const h = platformHarness();
  h.channel.failNext = 1_000;
  h.brain.start();
  await h.brain.ingest("test", "a1", { messages: ["1", "2", "3", "4", "5"].map((id) => msg(id, `q${id}`, `p${id}`)) });
  await until(() => (h.store.db.prepare("SELECT count(*) AS n FROM outbox WHERE attempts >= 1").get() as { n: number }).n === 5);
  // Every finished run starts a delivery pass; without per-reply backoff those passes alone would
  // retry each reply again and again (4 attempts here) within milliseconds.
  await new Promise((r) => setTimeout(r, 1200));
  const rows = h.store.db.prepare("SELECT attempts, state FROM outbox").all() as Array<{ attempts: number; state: string }>;
  assert.ok(
    rows.every((r) => r.state === "pending" && r.attempts <= 3),
    JSON.stringify(rows),
  );
  await h.brain.stop(0);
});
