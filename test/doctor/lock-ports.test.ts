import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { brainEnv, startGateway, tmpDir, writeConfig } from "../helpers/gateway.ts";
import { bounded, foreignHttpServer, reapAll, snapshotFiles, track } from "../gateway/support.ts";
import { check, doctorCli, quietPort } from "./support.ts";

after(reapAll);

test("a stale owner record with a free lock warns; --fix moves it to the backup dir, lists it, and undo.sh puts it back", bounded, async () => {
  const gw = track(await startGateway({ port: await quietPort() }));
  gw.kill("SIGKILL");
  await gw.exited;
  const owner = path.join(gw.stateDir, "brain.owner.json");
  assert.ok(fs.existsSync(owner), "SIGKILL leaves the record behind");
  const before = snapshotFiles(gw.stateDir);

  const look = await doctorCli([], gw.env);
  const lock = check(look.report, "lock");
  assert.equal(lock.status, "warn");
  assert.match(lock.finding, new RegExp(`nobody holds the lock, but a stale owner record names pid ${gw.pid}, which is gone`));
  assert.match(lock.fix!, /onebrain doctor --fix/);
  assert.deepEqual(snapshotFiles(gw.stateDir), before, "doctor alone writes nothing");

  const { report } = await doctorCli(["--fix"], gw.env);
  assert.equal(fs.existsSync(owner), false);
  const fixed = report.fixed!.find((f) => f.action === "removed stale owner record")!;
  assert.equal(fixed.path, owner);
  assert.equal(path.dirname(fixed.backup!), report.backupDir);
  assert.equal(JSON.parse(fs.readFileSync(fixed.backup!, "utf8")).pid, gw.pid, "the record itself is the backup");
  assert.equal(check(report, "lock").status, "ok", "the check runs again after the fix");
  const changes = JSON.parse(fs.readFileSync(path.join(report.backupDir!, "changes.json"), "utf8")) as { changes: unknown[] };
  assert.equal(changes.changes.length, report.fixed!.length);

  execFileSync("sh", [path.join(report.backupDir!, "undo.sh")]);
  assert.equal(JSON.parse(fs.readFileSync(owner, "utf8")).pid, gw.pid);
});

test("--fix leaves the owner record of a running gateway alone", bounded, async () => {
  const gw = track(await startGateway({ port: await quietPort() }));
  try {
    const { report } = await doctorCli(["--fix"], gw.env);
    assert.equal(check(report, "lock").status, "ok");
    assert.match(check(report, "lock").finding, new RegExp(`pid ${gw.pid} .* holds the lock, its owner record agrees, and it listens on ${gw.port}`));
    assert.ok(!report.fixed!.some((f) => f.check === "lock"));
    assert.ok(fs.existsSync(path.join(gw.stateDir, "brain.owner.json")));
    assert.match(
      check(report, "ports").finding,
      new RegExp(
        `^gateway ${gw.port} this brain, browser control ${gw.port + 2} this brain, canvas ${gw.port + 4} this brain, cdp ${gw.port + 11}-${gw.port + 110} free$`,
      ),
    );
  } finally {
    await gw.stop();
  }
});

test("a foreign process on the gateway port of a stopped brain fails the ports check and is named", bounded, async () => {
  const port = await quietPort();
  const stateDir = path.join(tmpDir(), "state");
  writeConfig(stateDir, { gateway: { port } });
  const foreign = await foreignHttpServer(port);
  try {
    const { r, report } = await doctorCli([], brainEnv(stateDir));
    assert.equal(r.code, 31);
    const ports = check(report, "ports");
    assert.equal(ports.status, "fail");
    assert.match(
      ports.finding,
      new RegExp(`gateway ${port} is held by pid ${foreign.pid} \\(.*node.*, user \\w+\\) on 127\\.0\\.0\\.1:${port}: a start would fail`),
    );
    assert.equal(check(report, "lock").status, "ok");
  } finally {
    await foreign.stop();
  }
});

test("a derived port held by another process is a warning that names it", bounded, async () => {
  // Taken before the start: the gateway then serves the canvas on its own port only.
  const port = await quietPort();
  const foreign = await foreignHttpServer(port + 4);
  const gw = track(await startGateway({ port }));
  try {
    const ports = check((await doctorCli([], gw.env)).report, "ports");
    assert.equal(ports.status, "warn");
    assert.match(ports.finding, new RegExp(`^canvas ${gw.port + 4} is held by pid ${foreign.pid}`));
  } finally {
    await foreign.stop();
    await gw.stop();
  }
});

test("fails when the lock holder and a listener on the brain's port are different processes", bounded, async () => {
  const gw = track(await startGateway({ port: await quietPort() }));
  // 127.0.0.2 is loopback too, and a different address: both can listen on the same port.
  const code = `require("node:http").createServer().listen(${gw.port}, "127.0.0.2", () => console.log("up"))`;
  const other = track({ child: spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "ignore"] }) });
  await new Promise<void>((resolve) => other.child.stdout!.on("data", () => resolve()));
  try {
    const lock = check((await doctorCli([], gw.env)).report, "lock");
    assert.equal(lock.status, "fail");
    assert.match(
      lock.finding,
      new RegExp(
        `pid ${gw.pid} holds the lock, but port ${gw.port} is held by pid ${other.child.pid} .* on 127\\.0\\.0\\.2:${gw.port}: two processes claim this brain`,
      ),
    );
  } finally {
    other.child.kill("SIGKILL");
    await gw.stop();
  }
});
