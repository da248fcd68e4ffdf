import { test } from "node:test";
import assert from "node:assert/strict";
import { evaluateReadiness, LagMonitor, processHealth } from "../../src/server/health.ts";

test("the lag monitor reports a stall as drift of the next tick and forgets it after the window", () => {
  let t = 0;
  const lag = new LagMonitor({ windowMs: 1000, intervalMs: 200, now: () => t });
  lag.start();
  lag.stop(); // drive it by hand
  for (let i = 0; i < 5; i++) {
    t += 200;
    lag.tick();
  }
  assert.equal(lag.snapshot().maxMs, 0);
  t += 200 + 750; // the loop was blocked for 750 ms
  lag.tick();
  assert.equal(lag.snapshot().maxMs, 750);
  assert.equal(lag.snapshot().p99Ms, 750);
  for (let i = 0; i < 5; i++) {
    t += 200;
    lag.tick();
  }
  assert.equal(lag.snapshot().maxMs, 0, "the stall left the window");
});

test("readiness fails when any component fails and names it; a throwing check counts as failing", () => {
  const r = evaluateReadiness([
    () => ({ name: "a", ok: true }),
    function broken() {
      throw new Error("boom");
    },
  ]);
  assert.equal(r.ready, false);
  assert.deepEqual(r.failing, ["broken"]);
  assert.equal(r.components[1]!.detail, "boom");
});

test("the process's own health leaves out external components (a restart cannot fix those)", () => {
  const report = evaluateReadiness([() => ({ name: "lock", ok: true }), () => ({ name: "channels", ok: false, external: true, detail: "telegram: conflict" })]);
  assert.deepEqual([report.ready, report.failing], [false, ["channels"]]);
  assert.deepEqual(processHealth(report), { ready: true, failing: [] });
  assert.deepEqual(processHealth(evaluateReadiness([() => ({ name: "store", ok: false })])), { ready: false, failing: ["store"] });
});
