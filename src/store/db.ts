/**
 * The brain's durable store: one SQLite file (`<stateDir>/brain.db`) through node:sqlite, no
 * native dependency. Opening checks integrity, refuses a newer schema, then migrates.
 *
 * Only the process holding the brain lock writes it; others (backup, diagnostics) may read it
 * at the same time thanks to WAL. See docs/ARCHITECTURE.md, "Store".
 */
import fs from "node:fs";
import path from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { OnebrainError } from "../shared/errors.ts";
import { corruptStoreError, isCorruption, isFileSystemError, quickCheck, unusableStoreError } from "./check.ts";
import { GroupCommit } from "./group-commit.ts";
import { assertNotTooNew, migrate, readSchemaVersion, type Migration } from "./migrate.ts";
import { migrations as allMigrations } from "./migrations/index.ts";

/** An open brain database. Synchronous, like node:sqlite itself. */
export interface Store {
  /** The connection, for the pipeline's statements. */
  readonly db: DatabaseSync;
  /** The database file. */
  readonly file: string;
  /** A prepared statement, cached by its SQL text: prepare once, run many times. */
  prepare(sql: string): StatementSync;
  /**
   * Runs `fn` in a transaction: BEGIN IMMEDIATE ... COMMIT, ROLLBACK when it throws. A nested
   * call becomes a SAVEPOINT, so an inner failure the caller catches undoes only the inner part.
   * `fn` must be synchronous: an async one would commit before its awaits finish.
   */
  transaction<T>(fn: () => T): T;
  /**
   * Group commit: runs `fn` now, inside the write group of this turn of the event loop (one
   * transaction that every `grouped` call until the next `setImmediate` joins, each in its own
   * SAVEPOINT), and returns its value at once. `durable` settles when the group's COMMIT is on
   * disk; act on the write (acknowledge, call a model, send) only after it resolves. A
   * `transaction()` call commits the open group first, so its own guarantee is unchanged.
   */
  grouped<T>(fn: () => T): Grouped<T>;
  /**
   * Like `grouped`, but the group commits now, before this returns: the write is in the WAL
   * (it survives a crash of this process) while its fdatasync follows on the thread pool.
   */
  commitNow<T>(fn: () => T): Grouped<T>;
  /** The highest applied migration version. */
  schemaVersion(): number;
  /** The current fencing epoch (0 for a brain never taken by a gateway). */
  epoch(): number;
  /** Increments the fencing epoch durably and returns it; the gateway calls it each time it takes the brain lock. */
  bumpEpoch(): number;
  /** Closes the connection (SQLite checkpoints the WAL if this was the last one). Idempotent. */
  close(): void;
}

/** What `Store.grouped` returns: the value now, durability later. */
export interface Grouped<T> {
  value: T;
  /** Resolves once the write is committed; rejects (STORE_WRITE_FAILED) if the group's COMMIT failed and was rolled back. */
  durable: Promise<void>;
}

/** Options of `openStore`. */
export interface OpenStoreOptions {
  /** Clock for `applied_at` and other stamps (epoch ms). */
  now?: () => number;
  /** The migration registry; tests pass their own. */
  migrations?: readonly Migration[];
}

/** Milliseconds a writer waits for another connection's write lock before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

/** Creates the parent dir (0700) and an empty file (0600) if missing: SQLite itself would use 0644. */
function prepareFile(file: string): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.closeSync(fs.openSync(file, "a", 0o600));
    // -wal and -shm files take the main file's mode, so this covers them too.
    fs.chmodSync(file, 0o600);
  } catch (err) {
    throw unusableStoreError(file, err);
  }
}

/** Opens (creating if needed) the brain database at `file`, checks it, and brings its schema up to date. */
export function openStore(file: string, options: OpenStoreOptions = {}): Store {
  const now = options.now ?? Date.now;
  const migrations = options.migrations ?? allMigrations;
  prepareFile(file);
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(file);
  } catch (err) {
    throw unusableStoreError(file, err);
  }
  try {
    db.exec(`PRAGMA busy_timeout=${BUSY_TIMEOUT_MS}`);
    // Checks come before anything that writes (journal_mode rewrites the header): a damaged or
    // newer file is left exactly as it was found.
    const problems = quickCheck(db);
    if (problems.length) throw corruptStoreError(file, problems);
    assertNotTooNew(db, migrations, file);
    // WAL: readers (backup, status) never block the gateway's writes. FULL: a commit survives
    // power loss, not just a process crash; the brain's writes are few and small.
    db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON");
    migrate(db, migrations, { file, now });
  } catch (err) {
    db.close();
    if (err instanceof OnebrainError) throw err;
    if (isCorruption(err)) throw corruptStoreError(file, [(err as Error).message], err);
    if (isFileSystemError(err)) throw unusableStoreError(file, err);
    throw err;
  }
  return createStore(db, file);
}

function createStore(db: DatabaseSync, file: string): Store {
  const cache = new Map<string, StatementSync>();
  let depth = 0;
  let closed = false; // DatabaseSync.isOpen is missing before Node 22.15

  const prepare = (sql: string): StatementSync => {
    let stmt = cache.get(sql);
    if (!stmt) {
      stmt = db.prepare(sql);
      cache.set(sql, stmt);
    }
    return stmt;
  };

  // Transaction control through cached statements: parsed once, not at every BEGIN and COMMIT.
  const exec = (sql: string): void => void prepare(sql).run();

  const rollback = (savepoint: string | null): void => {
    try {
      if (savepoint) {
        exec(`ROLLBACK TO ${savepoint}`);
        exec(`RELEASE ${savepoint}`);
      } else exec("ROLLBACK");
    } catch {
      // SQLite already ended the transaction (disk full, I/O error): nothing left to undo.
    }
  };

  const groups = new GroupCommit(exec, file);

  /** Runs `fn` in a transaction (savepoint null) or a savepoint; undoes it (ROLLBACK or ROLLBACK TO) when it throws. */
  const within = <T>(savepoint: string | null, fn: () => T): T => {
    exec(savepoint ? `SAVEPOINT ${savepoint}` : "BEGIN IMMEDIATE");
    depth++;
    let result: T;
    try {
      result = fn();
      if (typeof (result as { then?: unknown } | null)?.then === "function") {
        throw new OnebrainError("INTERNAL", "Store.transaction() was given an async function: it would commit before its awaits finish");
      }
    } catch (err) {
      depth--;
      rollback(savepoint);
      throw err;
    }
    depth--;
    try {
      exec(savepoint ? `RELEASE ${savepoint}` : "COMMIT");
    } catch (err) {
      rollback(savepoint);
      throw err;
    }
    return result;
  };

  const transaction = <T>(fn: () => T): T => {
    if (depth > 0) return within(`sp${depth}`, fn);
    // A top-level transaction promises durability when it returns: the open group goes first.
    groups.commit();
    return within(null, fn);
  };

  const grouped = <T>(fn: () => T): Grouped<T> => {
    if (depth > 0) throw new OnebrainError("INTERNAL", "Store.grouped() was called inside a transaction: its durability would be the caller's");
    const durable = groups.join();
    return { value: within("grp", fn), durable };
  };

  const commitNow = <T>(fn: () => T): Grouped<T> => {
    const g = grouped(fn);
    groups.commit();
    return g;
  };

  return {
    db,
    file,
    prepare,
    transaction,
    grouped,
    commitNow,
    schemaVersion: () => readSchemaVersion(db) ?? 0,
    epoch() {
      const row = prepare("SELECT value FROM meta WHERE key = 'epoch'").get() as { value: string } | undefined;
      return Number(row?.value ?? 0);
    },
    bumpEpoch() {
      // An upsert, so a meta row lost to a hand edit cannot make the bump a silent no-op.
      const sql = "INSERT INTO meta (key, value) VALUES ('epoch', '1') ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1 RETURNING value";
      return transaction(() => Number((prepare(sql).get() as { value: string }).value));
    },
    close() {
      if (closed) return;
      groups.closeSync();
      closed = true;
      cache.clear();
      db.close();
    },
  };
}
