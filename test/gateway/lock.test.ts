import { after, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { inspectLock } from "../../src/lock/inspect.ts";
import { ownerRecordFor, readOwnerRecord, writeOwnerRecord } from "../../src/lock/owner.ts";
import { plansOverlap, profilePort, type PortPlan } from "../../src/paths/ports.ts";
import { readProcessInfo } from "../../src/proc/process.ts";
import { brainEnv, freePort, httpGet, runCli, spawnCli, startGateway, tmpDir, type CliResult } from "../helpers/gateway.ts";
import { accepts, bounded, foreignHttpServer, outcome, portIsFree, reapAll, sleeper, track } from "./support.ts";

after(reapAll);

const lockOf = (stateDir: string) => inspectLock(path.join(stateDir, "brain.lock"), path.join(stateDir, "brain.owner.json"));

test(
  "of six gateways started at the same instant on one state dir, exactly one runs and the others exit 10 naming it, round after round",
  bounded,
  async () => {
    const stateDir = path.join(tmpDir(), "state");
    const env = brainEnv(stateDir);
    for (let round = 1; round <= 20; round++) {
      const ports: number[] = [];
      for (let i = 0; i < 6; i++) ports.push(await freePort());
      const procs = ports.map((p) => track(spawnCli(["gateway", "--port", String(p)], env)));
      const results = await Promise.all(procs.map((p) => outcome(p)));
      const winners = procs.filter((_, i) => results[i] === "running");
      assert.equal(
        winners.length,
        1,
        `round ${round}: expected one winner, got ${winners.length}:\n${results.map((r) => (r === "running" ? "running" : `exit ${r.code}: ${r.stderr}`)).join("\n")}`,
      );
      const winner = winners[0]!;
      for (const r of results) {
        if (r === "running") continue;
        assert.equal(r.code, 10, `round ${round}: a loser exited ${r.code}: ${r.stderr}`);
        assert.match(r.stderr, new RegExp(`held by pid ${winner.pid}\\b`), `round ${round}: ${r.stderr}`);
      }
      assert.equal(lockOf(stateDir).holderPid, winner.pid);
      winner.kill("SIGTERM");
      const end = await winner.exited;
      assert.equal(end.code, 0, `round ${round}: the winner exited ${end.code}: ${end.stderr}`);
    }
  },
);

test("refuses a second gateway on the same state dir with another port and names the owner and the next step", bounded, async () => {
  const a = track(await startGateway());
  try {
    const otherPort = await freePort();
    const r = await runCli(["gateway", "--port", String(otherPort)], a.env);
    assert.equal(r.code, 10, r.stderr);
    for (const part of [
      `pid ${a.pid}`,
      `user ${os.userInfo().username}`,
      `port ${a.port}`,
      "profile default",
      `state dir ${a.stateDir}`,
      "onebrain gateway status",
      "--profile",
    ]) {
      assert.ok(r.stderr.includes(part), `stderr lacks ${JSON.stringify(part)}:\n${r.stderr}`);
    }
    assert.equal(await accepts(otherPort), false);
    assert.equal(readOwnerRecord(path.join(a.stateDir, "brain.owner.json"))?.pid, a.pid);
  } finally {
    await a.stop();
  }
});

test("two profiles run side by side on their own hashed ports, whose plans do not overlap", bounded, async (t) => {
  const [alphaPort, betaPort] = [profilePort("alpha"), profilePort("beta")];
  if (!(await portIsFree(alphaPort)) || !(await portIsFree(betaPort))) {
    t.skip(`the hashed profile ports ${alphaPort} (alpha) and ${betaPort} (beta) are not both free on this host`);
    return;
  }
  const home = tmpDir();
  const env = brainEnv(path.join(home, "unused"), { HOME: home, ONEBRAIN_STATE_DIR: undefined });
  const alpha = track(spawnCli(["--profile", "alpha", "gateway"], env));
  const beta = track(spawnCli(["--profile", "beta", "gateway"], env));
  try {
    const [ra, rb] = await Promise.all([outcome(alpha), outcome(beta)]);
    assert.equal(ra, "running", ra === "running" ? "" : ra.stderr);
    assert.equal(rb, "running", rb === "running" ? "" : rb.stderr);
    assert.equal((await httpGet(alphaPort, "/readyz")).status, 200);
    assert.equal((await httpGet(betaPort, "/readyz")).status, 200);
    const plans: PortPlan[] = [];
    for (const profile of ["alpha", "beta"]) {
      const s = await runCli(["--profile", profile, "gateway", "status", "--json"], env);
      assert.equal(s.code, 0, s.stderr);
      const report = JSON.parse(s.stdout);
      assert.equal(report.configured.stateDir, path.join(home, `.onebrain-${profile}`));
      assert.equal(report.verdict, "running", report.problems.join("; "));
      plans.push(report.configured.ports);
    }
    assert.equal(plans[0]!.base, alphaPort);
    assert.equal(plans[1]!.base, betaPort);
    assert.equal(plansOverlap(plans[0]!, plans[1]!).overlap, false);
  } finally {
    alpha.kill("SIGTERM");
    beta.kill("SIGTERM");
    assert.equal((await alpha.exited).code, 0);
    assert.equal((await beta.exited).code, 0);
  }
});

test("a SIGKILLed owner leaves nothing that blocks: the next start succeeds on the first try and replaces the stale record", bounded, async () => {
  const first = track(await startGateway());
  const ownerPath = path.join(first.stateDir, "brain.owner.json");
  first.kill("SIGKILL");
  await first.exited;
  assert.equal(readOwnerRecord(ownerPath)?.pid, first.pid, "the killed owner's record is left behind");
  const second = track(spawnCli(["gateway", "--port", String(first.port)], first.env));
  try {
    const r = await outcome(second);
    assert.equal(r, "running", r === "running" ? "" : `exit ${r.code}: ${r.stderr}`);
    const record = readOwnerRecord(ownerPath);
    assert.equal(record?.pid, second.pid);
    assert.equal(record?.port, first.port);
    const lock = lockOf(first.stateDir);
    assert.equal(lock.holderPid, second.pid);
    assert.equal(lock.ownerIsHolder, true);
  } finally {
    second.kill("SIGTERM");
    assert.equal((await second.exited).code, 0);
  }
});

test("a leftover owner record naming a live unrelated process does not block a start", bounded, async () => {
  const stateDir = path.join(tmpDir(), "state");
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const ownerPath = path.join(stateDir, "brain.owner.json");
  const sleep = await sleeper();
  try {
    const info = readProcessInfo(sleep.pid);
    const base = ownerRecordFor({
      stateDir,
      configPath: path.join(stateDir, "onebrain.json"),
      profile: undefined,
      port: 18789,
      bindHosts: ["127.0.0.1"],
      version: "0.0.0",
      instanceId: "leftover",
      home: path.dirname(stateDir),
    });
    writeOwnerRecord(ownerPath, { ...base, pid: sleep.pid, startTicks: info?.startTicks ?? null, phase: "running" });
    assert.equal(lockOf(stateDir).ownerAlive, true);
    const gw = track(await startGateway({ stateDir }));
    try {
      assert.equal(readOwnerRecord(ownerPath)?.pid, gw.pid);
      assert.equal(lockOf(stateDir).ownerIsHolder, true);
    } finally {
      assert.equal((await gw.stop()).code, 0);
    }
  } finally {
    await sleep.stop();
  }
});

function assertLeftNothing(stateDir: string, r: CliResult): void {
  assert.notEqual(lockOf(stateDir).status, "held", r.stderr);
  assert.equal(fs.existsSync(path.join(stateDir, "brain.owner.json")), false, "a refused start left an owner record");
}

test("a port held by a foreign process is refused with exit 11 naming that process as not a onebrain gateway", bounded, async () => {
  const port = await freePort();
  const foreign = await foreignHttpServer(port);
  try {
    const stateDir = path.join(tmpDir(), "state");
    const r = await runCli(["gateway", "--port", String(port)], brainEnv(stateDir));
    assert.equal(r.code, 11, r.stderr);
    assert.match(r.stderr, new RegExp(`pid ${foreign.pid}\\b`));
    assert.match(r.stderr, /not a onebrain gateway/);
    assertLeftNothing(stateDir, r);
  } finally {
    await foreign.stop();
  }
});

test("a port held by the gateway of another state dir is refused with exit 11 naming that brain", bounded, async () => {
  const a = track(await startGateway());
  try {
    const stateDir = path.join(tmpDir(), "other");
    const r = await runCli(["gateway", "--port", String(a.port)], brainEnv(stateDir));
    assert.equal(r.code, 11, r.stderr);
    assert.match(r.stderr, /another onebrain gateway/);
    assert.match(r.stderr, new RegExp(`pid ${a.pid}\\b`));
    assert.ok(r.stderr.includes(`state dir ${a.stateDir}`), r.stderr);
    assertLeftNothing(stateDir, r);
  } finally {
    assert.equal((await a.stop()).code, 0);
  }
});
