/** The event counters of /metrics (docs/metrics.md) as the pipeline records them: duplicates, runs, deliveries, failures. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { metrics } from "../../src/metrics/instruments.ts";
import { harness, msg, until } from "./harness.ts";

test("a redelivered message counts as a duplicate, and a reply that never gets through counts every failed attempt and one failed reply", async () => {
  const h = harness();
  const channel = { channel: "test" };
  const before = {
    inbound: metrics.inbound.get(channel),
    dup: metrics.duplicates.get(channel),
    errors: metrics.deliveryErrors.get(channel),
    failed: metrics.failed.get(channel),
    delivered: metrics.delivered.get(channel),
    replies: metrics.runs.get({ outcome: "reply" }),
  };
  h.channel.failNext = 4; // the harness gives up after 4 attempts
  h.brain.start();
  await h.brain.ingest("test", "a1", { messages: [msg("1", "hi")] });
  await h.brain.ingest("test", "a1", { messages: [msg("1", "hi")] });
  await until(() => (h.store.db.prepare("SELECT state FROM outbox").get() as { state: string } | undefined)?.state === "failed", 15_000);
  assert.deepEqual(
    {
      inbound: metrics.inbound.get(channel) - before.inbound,
      dup: metrics.duplicates.get(channel) - before.dup,
      errors: metrics.deliveryErrors.get(channel) - before.errors,
      failed: metrics.failed.get(channel) - before.failed,
      delivered: metrics.delivered.get(channel) - before.delivered,
      replies: metrics.runs.get({ outcome: "reply" }) - before.replies,
    },
    { inbound: 1, dup: 1, errors: 4, failed: 1, delivered: 0, replies: 1 },
  );
  await h.brain.stop(100);
  h.store.close();
});
