import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { openStore } from "../../src/store/db.ts";
import { brainEnv, runCli, startGateway, tmpDir } from "../helpers/gateway.ts";
import { bounded, reapAll, track } from "../gateway/support.ts";
import { addInbound, inboundRows } from "./fixtures.ts";
import { migrations } from "../../src/store/migrations/index.ts";

after(reapAll);

test(
  "backup works beside a running gateway; restore refuses while it holds the brain (exit 10, naming its pid) and succeeds once it is stopped",
  bounded,
  async () => {
    const stateDir = path.join(tmpDir(), "state");
    const seed = openStore(path.join(stateDir, "brain.db"));
    addInbound(seed, 20);
    const backedUp = inboundRows(seed);
    seed.close();

    const gw = track(await startGateway({ stateDir }));
    const backup = await runCli(["backup", "--json"], gw.env);
    assert.equal(backup.code, 0, backup.stderr + backup.stdout);
    const b = JSON.parse(backup.stdout);
    assert.equal(b.ok, true);
    assert.equal(path.dirname(b.out), path.join(stateDir, "backups"));
    assert.match(path.basename(b.out), /^brain-\d{8}-\d{6}\.db$/);
    assert.equal(b.schemaVersion, migrations.length);
    assert.equal(fs.statSync(b.out).mode & 0o777, 0o600);

    // Changes after the backup, which the restore must undo.
    const live = openStore(path.join(stateDir, "brain.db"));
    addInbound(live, 5, 21);
    live.close();

    const refused = await runCli(["restore", b.out], gw.env);
    assert.equal(refused.code, 10, refused.stderr);
    assert.match(refused.stderr, new RegExp(`Refusing to restore: .* held by pid ${gw.pid}\\b`));
    assert.match(refused.stderr, /next: Stop it first/);

    const stopped = await gw.stop();
    assert.equal(stopped.code, 0);
    const restored = await runCli(["restore", b.out, "--json"], gw.env);
    assert.equal(restored.code, 0, restored.stderr + restored.stdout);
    const r = JSON.parse(restored.stdout);
    assert.equal(r.ok, true);
    assert.equal(r.restoredFrom, b.out);
    assert.equal(r.storeFile, path.join(stateDir, "brain.db"));
    assert.match(r.kept, /brain\.db\.before-restore-\d{8}-\d{6}$/);
    assert.ok(fs.existsSync(r.kept));
    assert.equal(fs.existsSync(path.join(stateDir, "brain.owner.json")), false, "restore released the brain");

    const after = openStore(path.join(stateDir, "brain.db"));
    try {
      assert.deepEqual(inboundRows(after), backedUp);
    } finally {
      after.close();
    }
  },
);

test("restore of a file that is not a backup exits 28 and names the file; text output says what happened", bounded, async () => {
  const stateDir = path.join(tmpDir(), "state");
  openStore(path.join(stateDir, "brain.db")).close();
  const env = brainEnv(stateDir);
  const junk = path.join(stateDir, "junk.db");
  fs.writeFileSync(junk, "not a database at all\n".repeat(100));
  const bad = await runCli(["restore", junk], env);
  assert.equal(bad.code, 28, bad.stderr);
  assert.ok(bad.stderr.includes(junk));

  const out = path.join(stateDir, "mine.db");
  const backup = await runCli(["backup", "--out", out], env);
  assert.equal(backup.code, 0, backup.stderr);
  assert.match(backup.stdout, new RegExp(`backup: wrote ${out}`));
  const restore = await runCli(["restore", out], env);
  assert.equal(restore.code, 0, restore.stderr);
  assert.match(restore.stdout, /previous +kept as .*before-restore-/);
  assert.match(restore.stdout, /next: onebrain gateway/);
});
