/**
 * Schema migrations: numbered, applied in order, each in its own transaction, recorded in
 * `schema_migrations`. A database that is newer than this code is never touched.
 */
import type { DatabaseSync } from "node:sqlite";
import { OnebrainError } from "../shared/errors.ts";
import { onebrainVersion } from "../shared/version.ts";
import { isCorruption, isFileSystemError } from "./check.ts";

/** One numbered schema step. Once released, a migration never changes: add a new one instead. */
export interface Migration {
  /** 1, 2, 3...: contiguous, in the order of the registry (`migrations/index.ts`). */
  readonly version: number;
  /** A short slug, recorded beside the version for people reading the table. */
  readonly name: string;
  /** Runs inside a transaction opened by the migrator; throwing rolls the whole step back. */
  up(db: DatabaseSync): void;
}

/** Options of `migrate`. */
export interface MigrateOptions {
  /** The database file, for error messages. */
  file: string;
  /** Clock for `applied_at` (epoch ms). */
  now: () => number;
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at INTEGER NOT NULL
) STRICT`;

/** The highest applied version, or null when the file has no `schema_migrations` table (new, or not ours). */
export function readSchemaVersion(db: DatabaseSync): number | null {
  const table = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (!table) return null;
  const row = db.prepare("SELECT coalesce(max(version), 0) AS v FROM schema_migrations").get() as { v: number };
  return Number(row.v);
}

/** The version this code brings a database up to (the last migration's). */
export function latestVersion(migrations: readonly Migration[]): number {
  return migrations.at(-1)?.version ?? 0;
}

/** Throws INTERNAL unless versions run 1, 2, 3... with unique names: a broken registry is a bug, caught at the first open. */
export function assertRegistry(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new OnebrainError("INTERNAL", `Migration "${m.name}" has version ${m.version}, expected ${i + 1}: versions must run 1, 2, 3... in order`);
  });
  if (new Set(migrations.map((m) => m.name)).size !== migrations.length) throw new OnebrainError("INTERNAL", "Two migrations share a name");
}

/** Throws STORE_TOO_NEW when the database records a version above what `migrations` knows. */
export function assertNotTooNew(db: DatabaseSync, migrations: readonly Migration[], file: string): void {
  const found = readSchemaVersion(db) ?? 0;
  const known = latestVersion(migrations);
  if (found <= known) return;
  throw new OnebrainError(
    "STORE_TOO_NEW",
    `The brain's database ${file} has schema version ${found}, newer than this onebrain (${onebrainVersion()}) knows (${known})`,
    {
      details: { file, schemaVersion: found, knownVersion: known },
      hint: "Run the newer onebrain that wrote it, or restore a backup made by this version with `onebrain restore FILE`. The file was not changed.",
    },
  );
}

/**
 * Applies the migrations the database lacks; returns the versions applied (empty when current).
 * Each step re-reads the version inside its IMMEDIATE transaction, so two processes racing on a
 * new file cannot apply a step twice. A step that needs `foreign_keys=OFF` (a table rebuild)
 * must say so in a new mechanism: the pragma is a no-op inside a transaction.
 */
export function migrate(db: DatabaseSync, migrations: readonly Migration[], options: MigrateOptions): number[] {
  assertRegistry(migrations);
  assertNotTooNew(db, migrations, options.file);
  const applied: number[] = [];
  for (const m of migrations) {
    if (m.version <= (readSchemaVersion(db) ?? 0)) continue;
    db.exec("BEGIN IMMEDIATE");
    try {
      assertNotTooNew(db, migrations, options.file);
      if (m.version > (readSchemaVersion(db) ?? 0)) {
        db.exec(CREATE_TABLE);
        m.up(db);
        db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(m.version, m.name, options.now());
        applied.push(m.version);
      }
      db.exec("COMMIT");
    } catch (err) {
      try {
        db.exec("ROLLBACK");
      } catch {
        // SQLite already rolled back (some errors end the transaction themselves).
      }
      // Disk and corruption errors keep their SQLite code for the caller to map; others are bugs in the step.
      if (err instanceof OnebrainError || isCorruption(err) || isFileSystemError(err)) throw err;
      throw new OnebrainError("INTERNAL", `Migration ${m.version} ("${m.name}") failed on ${options.file}: ${(err as Error).message}`, {
        details: { file: options.file, version: m.version },
        cause: err,
      });
    }
  }
  return applied;
}
