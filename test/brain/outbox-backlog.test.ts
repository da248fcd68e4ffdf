/** A delivery pass pages through the whole outbox: a backlog longer than one page is delivered without waiting for new runs. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { harness, until } from "./harness.ts";

test("a backlog of 250 pending replies is delivered in full at start, each once, though no run finishes to start another pass", async () => {
  const h = harness();
  // Replies a previous gateway wrote but did not deliver (it stopped while the platform was down).
  const put = h.store.prepare("INSERT INTO outbox (idempotency_key, channel, account, target, text, created_at, epoch) VALUES (?, 'test', 'a1', ?, ?, 0, 0)");
  h.store.transaction(() => {
    for (let i = 0; i < 250; i++) put.run(`reply:${i}`, `peer${i}`, `r${i}`);
  });
  h.brain.start();
  await until(() => h.channel.delivered.length === 250, 10_000);
  assert.equal(new Set(h.channel.delivered.map((d) => d.idempotencyKey)).size, 250, "each reply once");
  assert.deepEqual(
    h.channel.delivered.slice(0, 3).map((d) => d.text),
    ["r0", "r1", "r2"],
    "in the order they were written",
  );
  assert.equal((h.store.db.prepare("SELECT count(*) AS n FROM outbox WHERE state = 'pending'").get() as { n: number }).n, 0);
  assert.equal(h.agent.calls.length, 0, "delivered, not regenerated");
  await h.brain.stop(0);
  h.store.close();
});
