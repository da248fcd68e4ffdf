import { test } from "node:test";
import assert from "node:assert/strict";
import { evaluateReadiness, LagMonitor } from "../../src/server/health.ts";

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

test("the process's own readiness leaves out external checks (a restart cannot fix those)", () => {
  const checks = [() => ({ name: "lock", ok: true }), Object.assign(() => ({ name: "channels", ok: false, detail: "telegram: conflict" }), { external: true })];
  const all = evaluateReadiness(checks);
  assert.deepEqual([all.ready, all.failing], [false, ["channels"]]);
  const own = evaluateReadiness(checks, { processOnly: true });
  assert.deepEqual([own.ready, own.failing, own.components.map((c) => c.name)], [true, [], ["lock"]]);
});
