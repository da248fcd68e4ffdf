/**
 * Reading SQLite's verdicts: result codes of thrown errors, the quick integrity check, and the
 * coded errors they become. Shared by opening the store and by backup/restore.
 */
import type { DatabaseSync } from "node:sqlite";
import { OnebrainError } from "../shared/errors.ts";

const SQLITE_PERM = 3;
const SQLITE_READONLY = 8;
const SQLITE_IOERR = 10;
const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;
const SQLITE_NOTADB = 26;

/** SQLite's primary result code of an error thrown by node:sqlite (extended codes folded), or undefined. */
export function sqliteCode(err: unknown): number | undefined {
  const errcode = (err as { errcode?: unknown } | null)?.errcode;
  return typeof errcode === "number" ? errcode & 0xff : undefined;
}

/** True when SQLite refused the file as damaged ("malformed") or as not a database at all. */
export function isCorruption(err: unknown): boolean {
  const code = sqliteCode(err);
  return code === SQLITE_CORRUPT || code === SQLITE_NOTADB;
}

/** True when the failure is about the file system (permissions, read-only, disk full, I/O). */
export function isFileSystemError(err: unknown): boolean {
  const code = sqliteCode(err);
  return code === SQLITE_PERM || code === SQLITE_READONLY || code === SQLITE_IOERR || code === SQLITE_FULL || code === SQLITE_CANTOPEN;
}

/**
 * Runs `PRAGMA quick_check`: an empty list when the file is sound, else its first problems.
 * quick_check skips the index-content comparison of integrity_check, so it stays O(pages).
 * SQLite often throws instead of reporting (a mangled page 1, or not a database), so a
 * corruption error counts as a problem too; anything else is rethrown.
 */
export function quickCheck(db: DatabaseSync, limit = 10): string[] {
  try {
    const rows = db.prepare(`PRAGMA quick_check(${limit})`).all() as Array<{ quick_check: string }>;
    const lines = rows.map((r) => r.quick_check);
    return lines.length === 1 && lines[0] === "ok" ? [] : lines;
  } catch (err) {
    if (isCorruption(err)) return [(err as Error).message];
    throw err;
  }
}

/** The STORE_CORRUPT error for the brain database `file`, with the first problems in its details. */
export function corruptStoreError(file: string, problems: readonly string[], cause?: unknown): OnebrainError {
  return new OnebrainError("STORE_CORRUPT", `The brain's database ${file} is damaged: ${problems[0] ?? "integrity check failed"}`, {
    details: { file, problems: problems.slice(0, 10) },
    hint: "Stop the gateway and restore a backup with `onebrain restore FILE` (backups are in <stateDir>/backups/); the damaged file is kept beside it.",
    cause,
  });
}

/** The STATE_DIR_UNUSABLE error for a database file that cannot be created, opened or written. */
export function unusableStoreError(file: string, err: unknown): OnebrainError {
  const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  return new OnebrainError("STATE_DIR_UNUSABLE", `Cannot open the brain's database ${file}: ${reason}`, {
    details: { file },
    hint: "Check free disk space and that this user may write the state dir.",
    cause: err,
  });
}
