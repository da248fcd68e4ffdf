import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { brainEnv, runCli, tmpDir, writeConfig } from "../helpers/gateway.ts";
import { bounded, reapAll, snapshotFiles } from "../gateway/support.ts";
import { check, doctorCli, quietPort } from "./support.ts";

after(reapAll);

const mode = (p: string) => fs.statSync(p).mode & 0o777;

/** A stopped brain with a token in its config and loose permissions everywhere. */
async function looseBrain() {
  const stateDir = path.join(tmpDir(), "state");
  const config = writeConfig(stateDir, {
    gateway: { port: await quietPort(), auth: { token: "t".repeat(4) + "QmV3cmFuZG9tLXRva2VuLWZvci1kb2N0b3ItdGVzdHM" } },
  });
  const db = path.join(stateDir, "brain.db");
  fs.writeFileSync(db, "");
  fs.mkdirSync(path.join(stateDir, "logs"));
  fs.writeFileSync(path.join(stateDir, "logs", "gateway.log"), "{}\n");
  fs.chmodSync(stateDir, 0o755);
  fs.chmodSync(config, 0o644);
  fs.chmodSync(db, 0o644);
  fs.chmodSync(path.join(stateDir, "logs", "gateway.log"), 0o640);
  return { stateDir, config, db, env: brainEnv(stateDir) };
}

test("a token readable by others fails, doctor alone writes nothing, and --fix chmods with a backup and a list of changes", bounded, async () => {
  const b = await looseBrain();
  const before = snapshotFiles(b.stateDir);
  const modesBefore = [b.stateDir, b.config, b.db].map(mode);

  const look = await doctorCli([], b.env);
  assert.equal(look.r.code, 31);
  const perms = check(look.report, "perms");
  assert.equal(perms.status, "fail");
  assert.match(perms.finding, new RegExp(`^${b.config} is 0644: a token readable by anyone on this host; \\+3 more$`));
  assert.match(perms.fix!, /onebrain doctor --fix/);
  const text = await runCli(["doctor"], b.env);
  assert.match(text.stdout, /✗ perms +.* is 0644: a token readable by anyone on this host/);
  assert.deepEqual(snapshotFiles(b.stateDir), before, "doctor alone writes nothing");
  assert.deepEqual([b.stateDir, b.config, b.db].map(mode), modesBefore);

  const { report } = await doctorCli(["--fix"], b.env);
  assert.deepEqual(
    report.fixed!.map((f) => [f.action, path.relative(b.stateDir, f.path) || ".", f.before, f.after]),
    [
      ["chmod", ".", "0755", "0700"],
      ["chmod", "onebrain.json", "0644", "0600"],
      ["chmod", "brain.db", "0644", "0600"],
      ["chmod", "logs/gateway.log", "0640", "0600"],
    ],
  );
  assert.deepEqual([b.stateDir, b.config, b.db].map(mode), [0o700, 0o600, 0o600]);
  assert.equal(check(report, "perms").status, "ok");
  assert.ok(report.backupDir!.startsWith(path.join(b.stateDir, "backups", "doctor-")));
  assert.equal(mode(report.backupDir!), 0o700);
  const changes = JSON.parse(fs.readFileSync(path.join(report.backupDir!, "changes.json"), "utf8")) as { changes: unknown[] };
  assert.deepEqual(changes.changes, report.fixed);

  const fixText = await runCli(["doctor", "--fix"], b.env);
  assert.match(fixText.stdout, /fixed: nothing/, "a second --fix finds nothing to do");

  execFileSync("sh", [path.join(report.backupDir!, "undo.sh")]);
  assert.deepEqual([b.stateDir, b.config, b.db].map(mode), modesBefore, "undo.sh restores every mode");
});

test("a config without secrets readable by others is a warning, not a failure", bounded, async () => {
  const stateDir = path.join(tmpDir(), "state");
  const config = writeConfig(stateDir, { gateway: { port: await quietPort() } });
  fs.chmodSync(config, 0o644);
  const { r, report } = await doctorCli([], brainEnv(stateDir));
  const perms = check(report, "perms");
  assert.equal(perms.status, "warn");
  assert.match(perms.finding, new RegExp(`${config} is 0644: readable by anyone on this host`));
  assert.equal(r.code, report.worst === "warn" ? 30 : 31);
});

test("--yes without --fix is a usage error and changes nothing", bounded, async () => {
  const b = await looseBrain();
  const before = snapshotFiles(b.stateDir);
  const r = await runCli(["doctor", "--yes"], b.env);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--yes only goes with --fix/);
  assert.deepEqual(snapshotFiles(b.stateDir), before);
});
