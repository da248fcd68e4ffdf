import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { errorCatalog } from "../../src/shared/errors.ts";
import { binNodeFlags, brainEnv, cliPath, freePort, startGateway, tmpDir, writeConfig, type CliResult, type Proc } from "../helpers/gateway.ts";
import { bounded, portIsFree, reapAll, track } from "./support.ts";

after(reapAll);

const graceMs = 2_000;
// A bound for "exited within the grace period", generous for a loaded 2-core machine; a gateway
// that keeps running (the bug: 617 s after SIGTERM) fails it, a slow one does not.
const exitBoundMs = graceMs + 8_000;

/** The process's result, or null when it is still running after `ms`. */
function exitWithin(p: Proc, ms: number): Promise<CliResult | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((r) => (timer = setTimeout(() => r(null), ms)));
  return Promise.race([p.exited, late]).finally(() => clearTimeout(timer));
}

for (const how of ["removed (rm -rf)", "moved (mv)"] as const) {
  test(`SIGTERM stops a gateway whose state dir was ${how}: it exits within the grace period, names the failed step and frees its port`, bounded, async () => {
    const stateDir = path.join(tmpDir(), "state");
    const gw = track(await startGateway({ stateDir, config: { gateway: { shutdownGraceMs: graceMs } } }));
    if (how === "moved (mv)") fs.renameSync(stateDir, `${stateDir}.moved`);
    else fs.rmSync(stateDir, { recursive: true, force: true });

    gw.kill("SIGTERM");
    const end = await exitWithin(gw, exitBoundMs);
    assert.ok(end, `still running ${exitBoundMs} ms after SIGTERM:\n${gw.stderr()}`);
    assert.equal(end.signal, null);
    assert.equal(end.code, errorCatalog.STOP_INCOMPLETE.exitCode, end.stderr);
    assert.match(end.stderr, /stop step "mark owner record stopping" failed.*ENOENT/);
    assert.match(end.stderr, /gateway stopped/);
    assert.doesNotMatch(end.stderr, /unhandled/i);
    assert.equal(await portIsFree(gw.port), true);
  });
}

test("an unhandled promise rejection stops the gateway with a logged, coded exit and frees its port", bounded, async () => {
  const stateDir = path.join(tmpDir(), "state");
  writeConfig(stateDir, { gateway: { shutdownGraceMs: graceMs } });
  const port = await freePort();
  // A real rejection with no handler, raised inside the gateway process once it is up.
  const inject = `data:text/javascript,setTimeout(() => Promise.reject(new Error("injected rejection")), 1500)`;
  const proc = spawn(process.execPath, [...binNodeFlags, `--import=${inject}`, cliPath, "gateway", "--port", String(port)], {
    env: brainEnv(stateDir),
    stdio: ["ignore", "pipe", "pipe"],
  });
  track({ child: proc });
  let err = "";
  proc.stderr.on("data", (d: Buffer) => (err += d.toString()));
  proc.stdout.on("data", (d: Buffer) => (err += d.toString()));
  const end = await new Promise<{ code: number | null; signal: NodeJS.Signals | null } | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), 1500 + exitBoundMs);
    proc.once("close", (code, signal) => (clearTimeout(timer), resolve({ code, signal })));
  });
  if (!end) proc.kill("SIGKILL");
  assert.ok(end, `still running after an unhandled rejection:\n${err}`);
  assert.match(err, /gateway listening/);
  assert.equal(end.code, errorCatalog.UNHANDLED_REJECTION.exitCode, err);
  assert.match(err, /unhandled promise rejection.*injected rejection/s);
  assert.match(err, /gateway stopped/);
  assert.equal(await portIsFree(port), true);
  assert.equal(fs.existsSync(path.join(stateDir, "brain.owner.json")), false);
});
