/**
 * The stop sequence (src/server/stop.ts) on its own and inside a real in-process gateway: a step
 * that throws or hangs never keeps the stop from ending by its deadline with STOP_INCOMPLETE,
 * and the lock and port are given back.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import { inspectLock } from "../../src/lock/inspect.ts";
import { resolvePaths } from "../../src/paths/paths.ts";
import { startGateway } from "../../src/server/gateway.ts";
import { runStop, type StopStep } from "../../src/server/stop.ts";
import { errorCatalog } from "../../src/shared/errors.ts";
import { brainEnv, freePort, tmpDir, writeConfig } from "../helpers/gateway.ts";
import { portIsFree } from "../gateway/support.ts";

const STOP_INCOMPLETE = errorCatalog.STOP_INCOMPLETE.exitCode;

function recordingLog() {
  const lines: string[] = [];
  const put = (_d: Record<string, unknown>, msg: string) => void lines.push(msg);
  return { lines, warn: put, error: put };
}

const never = () => new Promise<void>(() => {});
/** Resolves to "pending" when `p` has not settled within `ms`: a bound on a hang, not a timing assertion. */
const within = <T>(p: Promise<T>, ms: number) => Promise.race([p, new Promise<"pending">((r) => setTimeout(() => r("pending"), ms))]);

test("a stop step that throws is logged and the later steps still run; the outcome is STOP_INCOMPLETE", async () => {
  const ran: string[] = [];
  const log = recordingLog();
  const steps: StopStep[] = [
    { name: "first", run: () => void ran.push("first") },
    {
      name: "write owner record",
      run: () => {
        throw Object.assign(new Error("ENOENT: no such file or directory"), { code: "ENOENT" });
      },
    },
    { name: "async failure", run: async () => Promise.reject(new Error("boom")) },
    { name: "release", run: () => void ran.push("release"), final: true },
  ];
  const outcome = await runStop(steps, log, { graceMs: 1000 });
  assert.deepEqual(ran, ["first", "release"]);
  assert.deepEqual(
    outcome.failed.map((f) => f.step),
    ["write owner record", "async failure"],
  );
  assert.equal(outcome.hung, null);
  assert.equal(outcome.exitCode, STOP_INCOMPLETE);
  assert.match(log.lines.join("\n"), /stop step "write owner record" failed: ENOENT/);
});

test("a stop step that hangs is abandoned at the deadline; only the final steps run after it", async () => {
  const ran: string[] = [];
  const log = recordingLog();
  const steps: StopStep[] = [
    { name: "drain", run: never },
    { name: "not final", run: () => void ran.push("not final") },
    { name: "release", run: () => void ran.push("release"), final: true },
  ];
  const outcome = await within(runStop(steps, log, { graceMs: 300, minMs: 0 }), 5_000);
  assert.notEqual(outcome, "pending", "the stop did not end at its deadline");
  if (outcome === "pending") return;
  assert.equal(outcome.hung, "drain");
  assert.deepEqual(ran, ["release"]);
  assert.equal(outcome.exitCode, STOP_INCOMPLETE);
  assert.match(log.lines.join("\n"), /stop step "drain" still running at the stop deadline/);
});

test("a clean stop gives the drain the grace period less a cleanup reserve, and exits 0", async () => {
  let drainMs = -1;
  const outcome = await runStop([{ name: "drain", run: (b) => void (drainMs = b.drainMs()) }], recordingLog(), { graceMs: 4_000 });
  assert.equal(outcome.ok, true);
  assert.equal(outcome.exitCode, 0);
  assert.ok(drainMs > 2_000 && drainMs <= 3_000, `drain budget ${drainMs} ms`);
});

test(
  "a real gateway with a throwing and a hanging stop step still stops by its deadline, frees its lock and port, and says STOP_INCOMPLETE",
  { timeout: 30_000 },
  async () => {
    const stateDir = path.join(tmpDir(), "state");
    writeConfig(stateDir, { gateway: { shutdownGraceMs: 1_000 } });
    const env = brainEnv(stateDir);
    const paths = resolvePaths({ env });
    const port = await freePort();
    const injected: StopStep[] = [
      {
        name: "injected throw",
        run: () => {
          throw new Error("injected failure");
        },
      },
      { name: "injected hang", run: never },
    ];
    const gw = await startGateway({
      paths,
      loaded: loadConfig(paths.configPath),
      portFlag: port,
      env,
      console: null,
      // Both go before the brain stops: the hang blocks everything after it except the final lock release.
      stopSteps: (steps) => {
        const at = steps.findIndex((s) => s.name === "stop the brain");
        return [...steps.slice(0, at), ...injected, ...steps.slice(at)];
      },
    });
    assert.equal(await portIsFree(port), false);
    const outcome = await within(gw.stop("test"), 10_000);
    assert.notEqual(outcome, "pending", "the stop did not end at its deadline");
    if (outcome === "pending") return;
    assert.equal(outcome.exitCode, STOP_INCOMPLETE);
    assert.deepEqual(outcome.failed, [{ step: "injected throw", error: "injected failure" }]);
    assert.equal(outcome.hung, "injected hang");
    assert.equal(inspectLock(paths.lockPath, paths.ownerPath).status, "free");
    assert.equal(await portIsFree(port), true);
    // The store was never closed (its step came after the hang): close it so this test process can end.
    gw.ctx.brain.store.close();
  },
);
