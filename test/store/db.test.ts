import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { constants, DatabaseSync } from "node:sqlite";
import { openStore, type Store } from "../../src/store/db.ts";
import type { StoreHandle } from "../../src/store/handle.ts";
import { assertRegistry, type Migration } from "../../src/store/migrate.ts";
import { migrations } from "../../src/store/migrations/index.ts";
import { hasCode } from "../../src/shared/errors.ts";
import { addInbound, listDir, newStore, storeFile, thrown } from "./fixtures.ts";

test("a new store is in WAL mode with synchronous FULL, foreign keys on, every migration recorded, and the file is 0600", () => {
  const store = newStore(() => 42);
  try {
    const pragma = (name: string) => Object.values(store.db.prepare(`PRAGMA ${name}`).get()!)[0];
    assert.equal(pragma("journal_mode"), "wal");
    assert.equal(pragma("synchronous"), 2);
    assert.equal(pragma("foreign_keys"), 1);
    assert.equal(pragma("busy_timeout"), 5000);
    const recorded = store.db
      .prepare("SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
      .all()
      .map((r) => ({ ...r }));
    assert.deepEqual(
      recorded,
      migrations.map((m) => ({ version: m.version, name: m.name, applied_at: 42 })),
    );
    assert.equal(store.schemaVersion(), migrations.at(-1)!.version);
    assert.equal(fs.statSync(store.file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.dirname(store.file)).mode & 0o777, 0o700);
    addInbound(store, 1);
    assert.equal(fs.statSync(`${store.file}-wal`).mode & 0o777, 0o600, "the WAL takes the database's mode");
  } finally {
    store.close();
  }
});

// Domain code (brain/, sessions/) depends on StoreHandle; a Store must keep satisfying it.
const _storeIsAHandle = (s: Store): StoreHandle => s;

test("reopening a store applies no migration twice and keeps its rows", () => {
  const file = storeFile();
  const first = openStore(file, { now: () => 1 });
  addInbound(first, 3);
  first.close();
  const again = openStore(file, { now: () => 2 });
  try {
    const applied = again.db.prepare("SELECT count(*) AS n, max(applied_at) AS at FROM schema_migrations").get();
    assert.deepEqual({ ...applied }, { n: migrations.length, at: 1 });
    assert.equal((again.db.prepare("SELECT count(*) AS n FROM inbound").get() as { n: number }).n, 3);
  } finally {
    again.close();
  }
});

test("the fencing epoch starts at 0 and bumpEpoch increments it durably across a reopen", () => {
  const file = storeFile();
  const store = openStore(file);
  assert.equal(store.epoch(), 0);
  assert.equal(store.bumpEpoch(), 1);
  assert.equal(store.bumpEpoch(), 2);
  assert.equal(store.epoch(), 2);
  store.close();
  store.close(); // idempotent
  const again = openStore(file);
  try {
    assert.equal(again.epoch(), 2);
    assert.equal(again.bumpEpoch(), 3);
  } finally {
    again.close();
  }
});

test("a transaction rolls back everything when its function throws", () => {
  const store = newStore();
  try {
    assert.throws(
      () =>
        store.transaction(() => {
          addInbound(store, 2);
          throw new Error("boom");
        }),
      /boom/,
    );
    assert.equal((store.db.prepare("SELECT count(*) AS n FROM inbound").get() as { n: number }).n, 0);
    assert.equal(
      store.transaction(() => 7),
      7,
    );
  } finally {
    store.close();
  }
});

test("a nested transaction is a savepoint: an inner failure the caller catches undoes only the inner part", () => {
  const store = newStore();
  // The authorizer sees every transaction statement, so the test can tell a savepoint from a BEGIN.
  const traced: string[] = [];
  store.db.setAuthorizer((action, arg1, arg2) => {
    if (action === constants.SQLITE_TRANSACTION) traced.push(`${arg1}`);
    if (action === constants.SQLITE_SAVEPOINT) traced.push(`${arg1} ${arg2}`);
    return constants.SQLITE_OK;
  });
  try {
    const cursor = (v: string) => store.prepare("INSERT OR REPLACE INTO channel_cursors VALUES ('webchat', ?, ?, 0)").run(v, v);
    store.transaction(() => {
      cursor("m1");
      assert.throws(() =>
        store.transaction(() => {
          cursor("m2");
          throw new Error("inner");
        }),
      );
      cursor("m3");
    });
    const ids = store.db
      .prepare("SELECT cursor FROM channel_cursors ORDER BY cursor")
      .all()
      .map((r) => r.cursor);
    assert.deepEqual(ids, ["m1", "m3"]);
    assert.equal(store.db.isTransaction, false);
    assert.deepEqual(traced, ["BEGIN", "BEGIN sp1", "ROLLBACK sp1", "RELEASE sp1", "COMMIT"]);
  } finally {
    store.close();
  }
});

test("a transaction refuses an async function and rolls it back", async () => {
  const store = newStore();
  try {
    assert.ok(
      hasCode(
        thrown(() => store.transaction(async () => addInbound(store, 1))),
        "INTERNAL",
      ),
    );
    assert.equal((store.db.prepare("SELECT count(*) AS n FROM inbound").get() as { n: number }).n, 0);
  } finally {
    store.close();
  }
});

test("a database from a newer version is refused with STORE_TOO_NEW and left byte-identical", () => {
  const file = storeFile();
  openStore(file).close();
  const raw = new DatabaseSync(file);
  raw.exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)");
  raw.close();
  const before = fs.readFileSync(file);
  const files = listDir(path.dirname(file));
  const err = thrown(() => openStore(file));
  assert.ok(hasCode(err, "STORE_TOO_NEW"), String(err));
  assert.match(err.message, /schema version 999/);
  assert.ok(err.message.includes(file));
  assert.ok(before.equals(fs.readFileSync(file)), "the file changed");
  assert.deepEqual(listDir(path.dirname(file)), files);
});

test("a page of garbage in the middle of a real database is STORE_CORRUPT naming the file and `onebrain restore`", () => {
  const store = newStore();
  addInbound(store, 2000, 1, 300);
  const file = store.file;
  store.close(); // the last close checkpoints: every row is in the main file now
  const pageSize = 4096;
  const pages = fs.statSync(file).size / pageSize;
  assert.ok(pages > 50, `only ${pages} pages`);
  const fd = fs.openSync(file, "r+");
  fs.writeSync(fd, Buffer.alloc(pageSize, 0x5a), 0, pageSize, Math.floor(pages / 2) * pageSize);
  fs.closeSync(fd);
  const err = thrown(() => openStore(file));
  assert.ok(hasCode(err, "STORE_CORRUPT"), String(err));
  assert.ok(err.message.includes(file), err.message);
  assert.match(err.hint ?? "", /onebrain restore FILE/);
  assert.ok(Array.isArray(err.details.problems) && err.details.problems.length > 0);
});

test("a file that is not SQLite at all is STORE_CORRUPT and is not changed", () => {
  const file = storeFile();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, "these are my notes, not a database\n".repeat(300));
  const before = fs.readFileSync(file);
  const err = thrown(() => openStore(file));
  assert.ok(hasCode(err, "STORE_CORRUPT"), String(err));
  assert.ok(err.message.includes(file));
  assert.match(err.message, /not a database/);
  assert.match(err.hint ?? "", /onebrain restore/);
  assert.ok(before.equals(fs.readFileSync(file)));
});

test("a failing migration leaves nothing of itself behind and names its version", () => {
  const file = storeFile();
  const next = migrations.length + 1;
  const broken: Migration = { version: next, name: "broken", up: (db) => db.exec("CREATE TABLE half (x INTEGER) STRICT; INSERT INTO nowhere VALUES (1)") };
  const err = thrown(() => openStore(file, { migrations: [...migrations, broken] }));
  assert.ok(hasCode(err, "INTERNAL"));
  assert.match(err.message, new RegExp(`Migration ${next} \\("broken"\\)`));
  const store = openStore(file);
  try {
    assert.equal(store.schemaVersion(), migrations.length, "the known migrations committed on their own");
    assert.equal(store.db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'half'").get(), undefined);
  } finally {
    store.close();
  }
});

test("the migration registry runs 1..n in order with unique names", () => {
  assertRegistry(migrations);
  const m = migrations[0]!;
  assert.throws(() => assertRegistry([{ ...m, version: 2 }]), /expected 1/);
  assert.throws(() => assertRegistry([m, { ...m, version: 2 }]), /share a name/);
});
