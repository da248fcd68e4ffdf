/**
 * Backup and restore of the brain's database. A backup is an online, consistent copy that is
 * safe while the gateway writes (it only reads the live file); a restore swaps a verified copy
 * in atomically and keeps the database it replaces.
 */
import fs from "node:fs";
import path from "node:path";
import * as sqlite from "node:sqlite";
import { OnebrainError } from "../shared/errors.ts";
import { corruptStoreError, isCorruption, quickCheck } from "./check.ts";
import { latestVersion, readSchemaVersion } from "./migrate.ts";
import { migrations } from "./migrations/index.ts";
import { openStore } from "./db.ts";

/** What `backupStore` wrote. */
export interface BackupResult {
  out: string;
  bytes: number;
  schemaVersion: number;
  ms: number;
}

/** Options of `backupStore`. */
export interface BackupOptions {
  /** How to copy: SQLite's online backup API (default when this Node has it) or `VACUUM INTO`. */
  method?: "backup" | "vacuum";
}

/** What `restoreStore` did. */
export interface RestoreResult {
  /** The brain database that now holds the backup's content. */
  storeFile: string;
  restoredFrom: string;
  schemaVersion: number;
  bytes: number;
  /** Where the replaced database was kept (null when there was none). */
  kept: string | null;
  /** Its WAL, kept beside it, when SQLite could not merge it into the copy. */
  keptWal: string | null;
  /** Stale -wal/-shm files of the replaced database that were removed. */
  removed: string[];
}

/** `YYYYMMDD-HHMMSS` in UTC, for file names that sort by time. */
export function fileStamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

/** The default backup file: `<stateDir>/backups/brain-YYYYMMDD-HHMMSS.db` (UTC), never an existing one. */
export function defaultBackupPath(stateDir: string, date = new Date()): string {
  return uniquePath(path.join(stateDir, "backups", `brain-${fileStamp(date)}`), ".db");
}

/**
 * The backup an import or migrate takes before it changes this brain (null: no database yet).
 * A brain.db a killed start left half-made (WAL set, tables missing) gets its schema first, so
 * what is backed up is a brain and the change can go on.
 */
export async function backupBeforeChange(storePath: string, stateDir: string, now: number): Promise<string | null> {
  if (sizeOf(storePath) === 0) return null;
  // Only a file without the schema is opened to complete it: a whole brain is not checked twice.
  if (!hasSchema(storePath)) openStore(storePath).close();
  return (await backupStore(storePath, defaultBackupPath(stateDir, new Date(now)))).out;
}

/** Whether `file` holds the brain's schema table; false also when it cannot be read (openStore then says why). */
function hasSchema(file: string): boolean {
  try {
    const db = new sqlite.DatabaseSync(file, { readOnly: true });
    try {
      return readSchemaVersion(db) !== null;
    } finally {
      db.close();
    }
  } catch {
    return false;
  }
}

function uniquePath(base: string, ext: string): string {
  for (let i = 1; ; i++) {
    const candidate = `${base}${i === 1 ? "" : `-${i}`}${ext}`;
    if (!fs.existsSync(candidate)) return candidate;
  }
}

function tempBeside(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
}

function removeWithSidecars(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) fs.rmSync(f, { force: true });
}

/** Size of `p` in bytes; 0 when it does not exist. */
function sizeOf(p: string): number {
  return fs.statSync(p, { throwIfNoEntry: false })?.size ?? 0;
}

function fsyncPath(p: string): void {
  const fd = fs.openSync(p, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function failed(message: string, file: string, err?: unknown, hint?: string): OnebrainError {
  const reason = err === undefined ? "" : `: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  return new OnebrainError("BACKUP_FAILED", `${message}${reason}`, { details: { file }, ...(hint ? { hint } : {}), cause: err });
}

/**
 * Checks a standalone copy and makes it a single rollback-journal file (no -wal needed to read
 * it, so it can travel alone). `problems` is empty when sound; `version` is null when the file
 * has no schema_migrations table (not a brain database).
 */
function checkCopy(file: string): { problems: string[]; version: number | null } {
  const db = new sqlite.DatabaseSync(file);
  try {
    const problems = quickCheck(db);
    if (problems.length) return { problems, version: null };
    const version = readSchemaVersion(db);
    db.exec("PRAGMA journal_mode=DELETE");
    return { problems, version };
  } finally {
    db.close();
  }
}

/** Checks a backup before it replaces the brain: SQLite, sound, a brain schema no newer than this code. */
function assertRestorable(copy: string, backupFile: string): number {
  const { problems, version } = checkCopy(copy);
  const hint = "Pick another backup file (`ls <stateDir>/backups/`).";
  if (problems.length) {
    const message = /not a database/.test(problems[0]!)
      ? `${backupFile} is not an SQLite database`
      : `${backupFile} failed its integrity check: ${problems[0]}`;
    throw new OnebrainError("BACKUP_FAILED", message, { details: { file: backupFile, problems }, hint });
  }
  if (version === null)
    throw new OnebrainError("BACKUP_FAILED", `${backupFile} is an SQLite database but not a brain backup (it has no schema_migrations table)`, {
      details: { file: backupFile },
      hint,
    });
  const known = latestVersion(migrations);
  if (version > known) {
    throw new OnebrainError("STORE_TOO_NEW", `${backupFile} has schema version ${version}, newer than this onebrain knows (${known})`, {
      details: { file: backupFile, schemaVersion: version, knownVersion: known },
      hint: "Restore it with the newer onebrain that wrote it, or pick an older backup.",
    });
  }
  return version;
}

/**
 * Copies the live database `file` to `out` while the gateway may be writing: the copy is one
 * consistent snapshot, verified with quick_check, mode 0600, and appears at `out` only when
 * complete (temp file + rename). An existing `out` is replaced.
 */
export async function backupStore(file: string, out: string, options: BackupOptions = {}): Promise<BackupResult> {
  const started = performance.now();
  if (!fs.existsSync(file))
    throw failed(
      `There is no brain database at ${file} to back up`,
      file,
      undefined,
      "Check the state dir (`--profile`, ONEBRAIN_STATE_DIR): a brain that has never run has no database yet.",
    );
  try {
    fs.mkdirSync(path.dirname(out), { recursive: true, mode: 0o700 });
  } catch (err) {
    throw failed(`Cannot create the backup directory ${path.dirname(out)}`, out, err);
  }
  const tmp = tempBeside(out);
  const method = options.method ?? (typeof sqlite.backup === "function" ? "backup" : "vacuum");
  // Read-write handle but only reads: a read-only one would leave -wal/-shm behind when no gateway runs.
  let source: sqlite.DatabaseSync | undefined;
  try {
    source = new sqlite.DatabaseSync(file);
    source.exec("PRAGMA busy_timeout=5000");
    // One step for all pages: the backup API restarts whenever another connection writes between
    // steps, so small steps could chase a busy gateway forever. One step is one read transaction,
    // which WAL lets run beside the gateway's writes.
    if (method === "backup") await sqlite.backup(source, tmp, { rate: 2 ** 31 - 1 });
    else source.prepare("VACUUM INTO ?").run(tmp);
  } catch (err) {
    removeWithSidecars(tmp);
    if (isCorruption(err)) throw corruptStoreError(file, [(err as Error).message], err);
    throw failed(`Cannot copy ${file} to ${out}`, out, err);
  } finally {
    source?.close();
  }
  try {
    const { problems, version } = checkCopy(tmp);
    // The copy is page-exact, so a damaged copy means a damaged live database.
    if (problems.length) throw corruptStoreError(file, problems);
    if (version === null) throw failed(`${file} is not a brain database (it has no schema_migrations table)`, file);
    fs.chmodSync(tmp, 0o600);
    fsyncPath(tmp);
    fs.renameSync(tmp, out);
    fsyncPath(path.dirname(out));
    return { out, bytes: fs.statSync(out).size, schemaVersion: version, ms: Math.round(performance.now() - started) };
  } catch (err) {
    removeWithSidecars(tmp);
    if (err instanceof OnebrainError) throw err;
    throw failed(`Cannot write the backup ${out}`, out, err);
  }
}

/**
 * Folds the WAL of the database at `file` into the file itself; true when no WAL content is
 * left. The file on disk is the judge, not the pragma's answer: with a damaged header SQLite
 * may not even see the WAL. A false answer makes the caller keep the -wal beside the copy.
 */
function checkpoint(file: string): boolean {
  let db: sqlite.DatabaseSync | undefined;
  try {
    db = new sqlite.DatabaseSync(file);
    db.exec("PRAGMA busy_timeout=5000");
    db.prepare("PRAGMA wal_checkpoint(TRUNCATE)").get();
  } catch {
    // Damaged: whatever is left in the -wal is kept beside the copy instead.
  } finally {
    db?.close(); // the last connection's close checkpoints too, and deletes the -wal
  }
  return sizeOf(`${file}-wal`) === 0;
}

/**
 * Replaces the brain database `storeFile` with `backupFile`, after checking the backup (SQLite,
 * quick_check, a brain schema no newer than this code). The replaced database is kept as
 * `<storeFile>.before-restore-<stamp>` (UTC) with its WAL merged. The caller must hold the brain lock.
 */
export function restoreStore(backupFile: string, storeFile: string, options: { now?: () => number } = {}): RestoreResult {
  const now = options.now ?? Date.now;
  if (!fs.statSync(backupFile, { throwIfNoEntry: false })?.isFile())
    throw failed(
      `Cannot restore from ${backupFile}: no such file`,
      backupFile,
      undefined,
      "Give the path of a file made by `onebrain backup` (by default in <stateDir>/backups/).",
    );
  const dir = path.dirname(storeFile);
  // Work on a copy beside the target: the operator's backup file is never opened by SQLite (no
  // -shm/-wal appear beside it), and the bytes checked are the bytes installed.
  const tmp = tempBeside(storeFile);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.copyFileSync(backupFile, tmp);
    fs.chmodSync(tmp, 0o600);
    // A kept before-restore file may come with its unmerged WAL; checking the copy merges it.
    if (sizeOf(`${backupFile}-wal`) > 0) fs.copyFileSync(`${backupFile}-wal`, `${tmp}-wal`);
  } catch (err) {
    removeWithSidecars(tmp);
    throw failed(`Cannot copy ${backupFile} into ${dir}`, backupFile, err);
  }
  try {
    const schemaVersion = assertRestorable(tmp, backupFile);
    fsyncPath(tmp);
    let kept: string | null = null;
    let keptWal: string | null = null;
    if (fs.existsSync(storeFile)) {
      kept = uniquePath(`${storeFile}.before-restore-${fileStamp(new Date(now()))}`, "");
      // Copy first, merge on the copy: the live file stays byte-identical until the swap, and
      // whatever SQLite does to a damaged file happens to the copy. SQLite pairs a WAL with its
      // database by name, so the copy's WAL must be `<kept>-wal`.
      fs.copyFileSync(storeFile, kept);
      fs.chmodSync(kept, 0o600);
      if (sizeOf(`${storeFile}-wal`) > 0) {
        fs.copyFileSync(`${storeFile}-wal`, `${kept}-wal`);
        fs.chmodSync(`${kept}-wal`, 0o600);
        if (!checkpoint(kept)) keptWal = `${kept}-wal`;
      }
      fsyncPath(kept);
    }
    // A stale -wal would be replayed onto the restored file as if it were its own: remove it first.
    const removed: string[] = [];
    for (const side of [`${storeFile}-wal`, `${storeFile}-shm`, `${storeFile}-journal`]) {
      if (fs.existsSync(side)) {
        fs.rmSync(side, { force: true });
        removed.push(side);
      }
    }
    fs.renameSync(tmp, storeFile);
    fsyncPath(dir);
    return { storeFile, restoredFrom: backupFile, schemaVersion, bytes: fs.statSync(storeFile).size, kept, keptWal, removed };
  } catch (err) {
    removeWithSidecars(tmp);
    if (err instanceof OnebrainError) throw err;
    throw failed(`Cannot restore ${backupFile} into ${storeFile}`, storeFile, err);
  }
}
