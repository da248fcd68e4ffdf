/** Reconnect delays: 1 s doubling to 30 s, with jitter below the step. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { backoffDelay } from "../../console/src/link/backoff.ts";

test("doubles from one second and is capped at thirty", () => {
  const steps = [1, 2, 3, 4, 5, 6, 7, 50, 10_000].map((n) => backoffDelay(n, () => 0));
  assert.deepEqual(steps, [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 30_000]);
});

test("jitter only shortens a step, by at most 30%", () => {
  for (let attempt = 1; attempt < 10; attempt++) {
    const step = backoffDelay(attempt, () => 0);
    for (const r of [0.01, 0.5, 0.999]) {
      const d = backoffDelay(attempt, () => r);
      assert.ok(d <= step && d >= step * 0.7, `attempt ${attempt}, random ${r}: ${d} vs step ${step}`);
    }
  }
});

test("different random draws give different delays, so tabs do not reconnect in lockstep", () => {
  assert.notEqual(
    backoffDelay(3, () => 0.1),
    backoffDelay(3, () => 0.9),
  );
});
