import { test } from "node:test";
import assert from "node:assert/strict";
import { sendToolMessage } from "../../src/brain/tool-messages.ts";
import { harness, msg, until } from "./harness.ts";

test("a tool message goes out through the outbox once, before the run's reply, and not again after a restart", async () => {
  const h = harness();
  const origin = { sessionKey: "agent:main:test:a1:dm:ada", channel: "test", account: "a1", peer: "ada" };
  const options = { origin, channels: [{ id: "test", account: "a1" }], epoch: h.store.epoch(), now: h.clock.now };
  h.agent.script = async () => {
    const request = { channel: "test", target: "ada", text: "working on it", idempotencyKey: "tool:1:call_a" };
    // A repeated call (a retry, a resumed run) enqueues nothing new.
    const first = await sendToolMessage(h.store, request, options);
    const again = await sendToolMessage(h.store, request, options);
    assert.deepEqual([first.duplicate, again.duplicate, again.outboxId], [false, true, first.outboxId]);
    return "all done";
  };
  h.brain.start();
  await h.brain.ingest("test", "a1", { messages: [msg("m1", "do the thing")] });
  await until(() => h.channel.delivered.length === 2);
  assert.deepEqual(
    h.channel.delivered.map((d) => [d.text, d.replyTo]),
    [
      ["working on it", null],
      ["all done", "m1"],
    ],
  );
  await h.brain.stop(100);
  h.store.close();

  const after = harness({ file: h.file });
  after.brain.start();
  await after.brain.deliver();
  assert.equal(after.channel.delivered.length, 0);
  assert.deepEqual(
    after.store
      .prepare("SELECT state FROM outbox ORDER BY id")
      .all()
      .map((r) => r.state),
    ["delivered", "delivered"],
  );
  await after.brain.stop(100);
  after.store.close();
});
