/** The byte budget behind the per-connection and process limits on answers being prepared. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ByteBudget, CONNECTION_BUDGET, preparedBytes } from "../../src/server/ws-limits.ts";

const tick = () => new Promise((r) => setImmediate(r));

test("grants in arrival order: a later small request does not overtake an earlier large one", async () => {
  const budget = new ByteBudget(10);
  const order: string[] = [];
  const a = await budget.acquire(6);
  const b = budget.acquire(8).then((release) => (order.push("b"), release));
  const c = budget.acquire(2).then((release) => (order.push("c"), release));
  await tick();
  assert.deepEqual(order, [], "b waits for a; c waits behind b although 2 bytes would fit");
  a();
  const releaseB = await b;
  const releaseC = await c;
  assert.deepEqual(order, ["b", "c"]);
  assert.equal(budget.inUse, 10);
  releaseB();
  releaseB();
  assert.equal(budget.inUse, 2, "a release counts once");
  releaseC();
  assert.equal(budget.inUse, 0);
});

test("a request larger than the whole budget takes all of it instead of waiting for ever", async () => {
  const budget = new ByteBudget(4);
  const release = await budget.acquire(1_000);
  assert.equal(budget.inUse, 4);
  release();
  assert.equal(budget.inUse, 0);
});

test("large answers count what they may prepare; small ones nothing", () => {
  assert.equal(preparedBytes("logs.tail", { maxBytes: 1024 }), 1024);
  assert.equal(preparedBytes("logs.tail", {}), 256 * 1024);
  assert.equal(preparedBytes("chat.history", { sessionKey: "x" }), CONNECTION_BUDGET);
  assert.equal(preparedBytes("chat.send", { text: "hi" }), 0);
  assert.equal(preparedBytes("health", undefined), 0);
});
