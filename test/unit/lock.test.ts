import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { acquireBrainLock } from "../../src/lock/brain-lock.ts";
import { inspectLock } from "../../src/lock/inspect.ts";
import { ownerRecordFor, readOwnerRecord, redactArgv } from "../../src/lock/owner.ts";
import { identifyGateway } from "../../src/lock/identify.ts";
import { GatewayLockError, hasCode } from "../../src/shared/errors.ts";
import { tmpDir } from "../helpers/gateway.ts";

function lockOpts(stateDir: string) {
  return {
    stateDir,
    lockPath: path.join(stateDir, "brain.lock"),
    ownerPath: path.join(stateDir, "brain.owner.json"),
    owner: ownerRecordFor({
      stateDir,
      configPath: path.join(stateDir, "onebrain.json"),
      profile: undefined,
      port: 18789,
      bindHosts: ["127.0.0.1"],
      version: "0.0.0",
      instanceId: "test",
      home: "/tmp",
    }),
  };
}

test("takes the lock, writes the owner record 0600, and a second taker is refused naming the holder", () => {
  const stateDir = path.join(tmpDir(), "brain");
  const lock = acquireBrainLock(lockOpts(stateDir));
  try {
    assert.equal(fs.statSync(stateDir).mode & 0o777, 0o700);
    assert.equal(fs.statSync(path.join(stateDir, "brain.owner.json")).mode & 0o777, 0o600);
    assert.equal(readOwnerRecord(path.join(stateDir, "brain.owner.json"))?.pid, process.pid);
    assert.throws(
      () => acquireBrainLock({ ...lockOpts(stateDir), ownerRecordWaitMs: 0 }),
      (e) => e instanceof GatewayLockError && hasCode(e, "GATEWAY_LOCK_HELD") && e.message.includes(`pid ${process.pid}`) && e.message.includes("port 18789"),
    );
    const state = inspectLock(lock.lockPath, lock.ownerPath);
    assert.equal(state.status, "held");
    assert.equal(state.holderPid, process.pid);
    assert.equal(state.ownerIsHolder, true);
    assert.deepEqual(lock.check(), { ok: true });
    assert.equal(identifyGateway(process.pid)?.stateDir, stateDir);
  } finally {
    lock.release();
  }
  assert.equal(inspectLock(path.join(stateDir, "brain.lock"), path.join(stateDir, "brain.owner.json")).status, "free");
  assert.equal(fs.existsSync(path.join(stateDir, "brain.owner.json")), false);
  assert.equal(fs.existsSync(path.join(stateDir, "brain.lock-journal")), false);
});

test("release is idempotent and the lock can be taken again at once", () => {
  const stateDir = path.join(tmpDir(), "brain");
  acquireBrainLock(lockOpts(stateDir)).release();
  const again = acquireBrainLock(lockOpts(stateDir));
  again.release();
  again.release();
});

test("a running lock notices when its lock file is deleted under it", () => {
  const stateDir = path.join(tmpDir(), "brain");
  const lock = acquireBrainLock(lockOpts(stateDir));
  try {
    fs.rmSync(lock.lockPath);
    const r = lock.check();
    assert.equal(r.ok, false);
    assert.match((r as { reason: string }).reason, /deleted/);
  } finally {
    lock.release();
  }
});

test("a leftover owner record of a dead process is reported as a crash leftover and ignored", () => {
  const stateDir = path.join(tmpDir(), "brain");
  fs.mkdirSync(stateDir, { recursive: true });
  const ownerPath = path.join(stateDir, "brain.owner.json");
  fs.writeFileSync(ownerPath, JSON.stringify({ ...lockOpts(stateDir).owner, pid: 2 ** 22 + 777, startTicks: 1 }));
  fs.writeFileSync(path.join(stateDir, "brain.lock"), "");
  const state = inspectLock(path.join(stateDir, "brain.lock"), ownerPath);
  assert.equal(state.status, "free");
  assert.equal(state.ownerAlive, false);
  assert.match(state.notes.join(" "), /gone \(a crash/);
  const lock = acquireBrainLock(lockOpts(stateDir));
  assert.equal(readOwnerRecord(ownerPath)?.pid, process.pid);
  lock.release();
});

test("owner records never keep the value of a secret flag", () => {
  assert.deepEqual(redactArgv(["node", "x", "--token", "s3cret", "--password=hunter2", "--port", "1"]), [
    "node",
    "x",
    "--token",
    "…",
    "--password=…",
    "--port",
    "1",
  ]);
});

test("a lock whose owner record cannot be written is given back at once", () => {
  const stateDir = path.join(tmpDir(), "brain");
  const opts = lockOpts(stateDir);
  assert.throws(
    () => acquireBrainLock({ ...opts, ownerPath: path.join(stateDir, "missing-dir", "brain.owner.json") }),
    (e) => hasCode(e, "STATE_DIR_UNUSABLE") && /owner record/.test((e as Error).message),
  );
  acquireBrainLock(opts).release();
});
