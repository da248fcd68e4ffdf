import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Worker } from "node:worker_threads";
import { hasCode } from "../../src/shared/errors.ts";
import { backupStore, defaultBackupPath, fileStamp, restoreStore } from "../../src/store/backup.ts";
import { openStore } from "../../src/store/db.ts";
import { tmpDir } from "../helpers/gateway.ts";
import { addInbound, inboundRows, listDir, newStore, storeFile, thrown } from "./fixtures.ts";
import { migrations } from "../../src/store/migrations/index.ts";

/**
 * A second connection in another thread inserting inbound rows, one commit each, as fast as it
 * can until stopped: the shape of a busy gateway. Shared memory carries the stop flag and count.
 */
function startWriter(file: string): { written(): number; stop(): Promise<number> } {
  const shared = new Int32Array(new SharedArrayBuffer(8));
  const code = `
    const { DatabaseSync } = require("node:sqlite");
    const { workerData } = require("node:worker_threads");
    const db = new DatabaseSync(workerData.file);
    db.exec("PRAGMA busy_timeout=5000");
    const insert = db.prepare("INSERT INTO inbound (channel, account, message_id, session_key, peer, text, received_at) VALUES ('webchat', 'busy', ?, 'k', 'peer', ?, 0)");
    for (let i = 1; Atomics.load(workerData.shared, 0) === 0; i++) {
      insert.run("w" + i, "x".repeat(200));
      Atomics.store(workerData.shared, 1, i);
    }
    db.close();`;
  const worker = new Worker(code, { eval: true, workerData: { file, shared } });
  const exited = new Promise<void>((resolve, reject) => {
    worker.once("error", reject);
    worker.once("exit", () => resolve());
  });
  return {
    written: () => Atomics.load(shared, 1),
    async stop() {
      Atomics.store(shared, 0, 1);
      await exited;
      return Atomics.load(shared, 1);
    },
  };
}

async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
}

for (const method of ["backup", "vacuum"] as const) {
  test(`a backup (${method}) taken while another connection writes continuously is one valid, consistent snapshot`, async () => {
    const store = newStore();
    addInbound(store, 500, 1, 300);
    const writer = startWriter(store.file);
    try {
      await until(() => writer.written() > 50);
      const writtenBefore = writer.written();
      const out = path.join(tmpDir(), "nested", "copy.db");
      const r = await backupStore(store.file, out, { method });
      const writtenAfter = writer.written();
      assert.equal(r.out, out);
      assert.equal(r.schemaVersion, migrations.length);
      assert.equal(r.bytes, fs.statSync(out).size);
      assert.equal(fs.statSync(out).mode & 0o777, 0o600);
      assert.deepEqual(listDir(path.dirname(out)), ["copy.db"], "no temp file, no -wal beside the copy");
      const copy = new DatabaseSync(out, { readOnly: true });
      try {
        assert.equal(copy.prepare("PRAGMA quick_check").get()!.quick_check, "ok");
        assert.equal(copy.prepare("PRAGMA journal_mode").get()!.journal_mode, "delete");
        // Each writer row is its own commit, so a snapshot holds exactly w1..wN with no holes.
        const busy = copy.prepare("SELECT count(*) AS n, max(CAST(substr(message_id, 2) AS INTEGER)) AS last FROM inbound WHERE account = 'busy'").get()!;
        assert.equal(busy.n, busy.last ?? 0);
        assert.ok(
          (busy.n as number) >= writtenBefore && (busy.n as number) <= writtenAfter,
          `${busy.n as number} rows, ${writtenBefore}..${writtenAfter} written`,
        );
        assert.equal(copy.prepare("SELECT count(*) AS n FROM inbound WHERE account = 'default'").get()!.n, 500);
      } finally {
        copy.close();
      }
    } finally {
      await writer.stop();
      store.close();
    }
  });
}

/** Copies a live database and its WAL while the connection is open: what a SIGKILLed gateway leaves on disk. */
function crashImage(file: string): string {
  const image = path.join(tmpDir(), "state", "brain.db");
  fs.mkdirSync(path.dirname(image), { recursive: true });
  fs.copyFileSync(file, image);
  fs.copyFileSync(`${file}-wal`, `${image}-wal`);
  return image;
}

test("restore brings back exactly the backed-up rows and keeps the replaced database, WAL merged, as before-restore", async () => {
  const store = newStore();
  addInbound(store, 300);
  const backup = (await backupStore(store.file, path.join(tmpDir(), "b.db"))).out;
  const backedUp = inboundRows(store);
  addInbound(store, 200, 301); // after the backup: these must vanish on restore
  const later = inboundRows(store);
  const file = crashImage(store.file); // the last 200 rows live only in its -wal
  store.close();
  assert.ok(fs.statSync(`${file}-wal`).size > 0);
  const r = restoreStore(backup, file, { now: () => Date.UTC(2026, 0, 2, 3, 4, 5) });
  assert.equal(r.kept, `${file}.before-restore-20260102-030405`);
  assert.equal(r.keptWal, null, "the WAL was merged into the kept copy");
  assert.equal(r.schemaVersion, migrations.length);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.equal(fs.statSync(r.kept!).mode & 0o777, 0o600);
  assert.deepEqual(listDir(path.dirname(file)), ["brain.db", "brain.db.before-restore-20260102-030405"], "no temp file, no stale -wal");
  const restored = openStore(file);
  try {
    assert.deepEqual(inboundRows(restored), backedUp);
  } finally {
    restored.close();
  }
  const kept = new DatabaseSync(r.kept!, { readOnly: true });
  try {
    assert.deepEqual(inboundRows({ db: kept }), later);
  } finally {
    kept.close();
  }
});

test("restore over a damaged database installs the backup and keeps the damaged one with its WAL content", async () => {
  const first = newStore();
  addInbound(first, 5);
  const backup = (await backupStore(first.file, path.join(tmpDir(), "b.db"))).out;
  first.close(); // checkpointed: page 1 (the header) is now only in the main file
  const store = openStore(first.file);
  addInbound(store, 5, 6); // these touch inbound's pages only, so they sit in the -wal
  const file = crashImage(store.file);
  store.close();
  const header = Buffer.alloc(100);
  const fd = fs.openSync(file, "r+");
  fs.readSync(fd, header, 0, 100, 0);
  fs.writeSync(fd, Buffer.alloc(100, 0x5a), 0, 100, 0); // SQLite no longer sees a database
  fs.closeSync(fd);
  const damaged = fs.readFileSync(file);
  const r = restoreStore(backup, file);
  assert.deepEqual(r.removed, [`${file}-wal`]);
  const restored = openStore(file);
  try {
    assert.equal(inboundRows(restored).length, 5);
  } finally {
    restored.close();
  }
  // Nothing of the old WAL was lost: mend the kept copy's header and all ten rows are there.
  assert.ok(r.kept && !damaged.equals(fs.readFileSync(r.kept)), "the WAL was merged into the kept copy");
  const kfd = fs.openSync(r.kept, "r+");
  fs.writeSync(kfd, header, 0, 100, 0);
  fs.closeSync(kfd);
  const kept = new DatabaseSync(r.kept, { readOnly: true });
  try {
    assert.equal(inboundRows({ db: kept }).length, 10);
  } finally {
    kept.close();
  }
});

test("restore of a garbage file is BACKUP_FAILED and leaves the current database untouched", () => {
  const store = newStore();
  addInbound(store, 10);
  const file = store.file;
  store.close();
  const before = fs.readFileSync(file);
  const files = listDir(path.dirname(file));
  const garbage = path.join(tmpDir(), "garbage.db");
  fs.writeFileSync(garbage, Buffer.from("SQLite format 3\0".padEnd(8192, "?")));
  const err = thrown(() => restoreStore(garbage, file));
  assert.ok(hasCode(err, "BACKUP_FAILED"), String(err));
  assert.ok(err.message.includes(garbage), err.message);
  assert.ok(before.equals(fs.readFileSync(file)));
  assert.deepEqual(listDir(path.dirname(file)), files);
  for (const text of ["just text\n", ""]) {
    fs.writeFileSync(garbage, text);
    assert.ok(
      hasCode(
        thrown(() => restoreStore(garbage, file)),
        "BACKUP_FAILED",
      ),
    );
  }
  assert.ok(
    hasCode(
      thrown(() => restoreStore(path.join(tmpDir(), "missing.db"), file)),
      "BACKUP_FAILED",
    ),
  );
  assert.deepEqual(listDir(path.dirname(file)), files);
});

test("restore refuses an SQLite file that is not a brain backup, and a backup from a newer schema", () => {
  const target = storeFile();
  const other = path.join(tmpDir(), "other.db");
  const db = new DatabaseSync(other);
  db.exec("CREATE TABLE notes (x TEXT)");
  db.close();
  const err = thrown(() => restoreStore(other, target));
  assert.ok(hasCode(err, "BACKUP_FAILED"));
  assert.match(err.message, /not a brain backup/);
  const future = newStore();
  future.db.exec("INSERT INTO schema_migrations VALUES (999, 'future', 0)");
  future.close();
  assert.ok(
    hasCode(
      thrown(() => restoreStore(future.file, target)),
      "STORE_TOO_NEW",
    ),
  );
  assert.equal(fs.existsSync(target), false);
});

test("a backup of a missing database is BACKUP_FAILED; default backups are named by UTC time and never overwrite", async () => {
  await assert.rejects(backupStore(storeFile(), path.join(tmpDir(), "x.db")), (e) => hasCode(e, "BACKUP_FAILED"));
  const stateDir = tmpDir();
  const when = new Date(Date.UTC(2026, 10, 21, 4, 46, 2));
  assert.equal(fileStamp(when), "20261121-044602");
  const first = defaultBackupPath(stateDir, when);
  assert.equal(first, path.join(stateDir, "backups", "brain-20261121-044602.db"));
  const store = newStore();
  await backupStore(store.file, first);
  store.close();
  assert.equal(fs.statSync(path.dirname(first)).mode & 0o777, 0o700);
  assert.equal(defaultBackupPath(stateDir, when), path.join(stateDir, "backups", "brain-20261121-044602-2.db"));
});
