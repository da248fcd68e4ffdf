/**
 * The brain lock: exactly one process may own a state dir.
 *
 * Mechanism: an SQLite database `<stateDir>/brain.lock`, opened through node:sqlite with
 * `locking_mode=EXCLUSIVE` and a `BEGIN EXCLUSIVE` transaction that is never committed. SQLite
 * holds that as a POSIX fcntl() write lock, which the kernel drops the instant the process dies
 * (SIGKILL, OOM, power loss), so there is never a stale lock and pid recycling cannot fool it.
 * A second process gets SQLITE_BUSY at once (busy timeout 0). See docs/ARCHITECTURE.md.
 */
import fs from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { GatewayLockError, OnebrainError } from "../shared/errors.ts";
import type { ProcFs } from "../proc/process.ts";
import { inspectLock, describeHolder, type LockState } from "./inspect.ts";
import crypto from "node:crypto";
import path from "node:path";
import { onebrainVersion } from "../shared/version.ts";
import { ownerRecordFor, removeOwnerRecordIfMine, writeOwnerRecord, type OwnerRecord } from "./owner.ts";

export interface BrainLock {
  readonly lockPath: string;
  readonly ownerPath: string;
  /** Rewrites the owner record (e.g. when the port is bound or a stop begins). */
  updateOwner(update: Partial<OwnerRecord>): void;
  /** Whether the lock file on disk is still the inode we hold (someone may have deleted the state dir). */
  check(): { ok: true } | { ok: false; reason: string };
  /** Drops the lock and removes our owner record. Idempotent. */
  release(): void;
}

export interface AcquireOptions {
  stateDir: string;
  lockPath: string;
  ownerPath: string;
  owner: OwnerRecord;
  procFs?: ProcFs;
  /** How long a refused start waits for the winner's owner record to appear (it is written just after the lock). */
  ownerRecordWaitMs?: number;
}

const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;

function isBusy(err: unknown): boolean {
  const e = err as { errcode?: number; code?: string };
  return (e.errcode !== undefined && (e.errcode & 0xff) === SQLITE_BUSY) || (e.errcode !== undefined && (e.errcode & 0xff) === SQLITE_LOCKED);
}

/** Creates the state dir 0700 if missing; a failure is STATE_DIR_UNUSABLE. */
export function ensureStateDir(stateDir: string): void {
  try {
    fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new OnebrainError("STATE_DIR_UNUSABLE", `Cannot create state dir ${stateDir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      hint: "Check the path and that this user may write there, or set ONEBRAIN_STATE_DIR.",
      cause: err,
    });
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Waits briefly for a holder's owner record when it is not there yet (the holder just won a race). */
function inspectAfterRefusal(opts: AcquireOptions): LockState {
  const deadline = Date.now() + (opts.ownerRecordWaitMs ?? 120);
  let state = inspectLock(opts.lockPath, opts.ownerPath, opts.procFs);
  while (!state.ownerIsHolder && Date.now() < deadline) {
    sleepSync(10);
    state = inspectLock(opts.lockPath, opts.ownerPath, opts.procFs);
  }
  return state;
}

/** Takes the brain lock or throws GatewayLockError naming who holds it. Synchronous and fast (< 5 ms). */
export function acquireBrainLock(opts: AcquireOptions): BrainLock {
  ensureStateDir(opts.stateDir);
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(opts.lockPath, { timeout: 0 });
  } catch (err) {
    throw new OnebrainError("STATE_DIR_UNUSABLE", `Cannot open lock file ${opts.lockPath}: ${(err as Error).message}`, { cause: err });
  }
  try {
    // MEMORY journal: no journal file is ever left beside the lock.
    db.exec("PRAGMA journal_mode=MEMORY; PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE;");
  } catch (err) {
    db.close();
    if (!isBusy(err)) throw new OnebrainError("STATE_DIR_UNUSABLE", `Cannot lock ${opts.lockPath}: ${(err as Error).message}`, { cause: err });
    const state = inspectAfterRefusal(opts);
    throw new GatewayLockError(`Refusing to start: this brain (state dir ${opts.stateDir}) is already held by ${describeHolder(state)}.`, {
      details: { stateDir: opts.stateDir, lock: state },
      hint: "See it with `onebrain gateway status`; for an intentional second gateway use `--profile NAME` (its own state dir and ports).",
      cause: err,
    });
  }
  let inode: number;
  let record = opts.owner;
  try {
    inode = fs.statSync(opts.lockPath).ino;
    fs.chmodSync(opts.lockPath, 0o600); // SQLite creates it 0644; nobody else needs to open it
    writeOwnerRecord(opts.ownerPath, record);
  } catch (err) {
    db.close(); // a lock we cannot describe (disk full, read-only dir) is given back at once
    throw new OnebrainError(
      "STATE_DIR_UNUSABLE",
      `Cannot write the owner record ${opts.ownerPath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      {
        hint: "Check free disk space and permissions of the state dir.",
        cause: err,
      },
    );
  }
  let released = false;

  return {
    lockPath: opts.lockPath,
    ownerPath: opts.ownerPath,
    updateOwner(update) {
      if (released) return;
      record = { ...record, ...update };
      writeOwnerRecord(opts.ownerPath, record);
    },
    check() {
      try {
        if (fs.statSync(opts.lockPath).ino !== inode)
          return { ok: false, reason: `lock file ${opts.lockPath} was replaced: another process could take this brain` };
      } catch {
        return { ok: false, reason: `lock file ${opts.lockPath} was deleted: another process could take this brain` };
      }
      return { ok: true };
    },
    release() {
      if (released) return;
      released = true;
      removeOwnerRecordIfMine(opts.ownerPath);
      db.close(); // drops the fcntl lock
    },
  };
}

/**
 * Takes a brain's lock for a maintenance command (restore, migrate, pairing without a gateway):
 * port 0 and no binds in the owner record say that a command holds the brain, not a gateway.
 * Throws GatewayLockError (exit 10) naming the holder, like a refused start.
 */
export function lockForMaintenance(b: { stateDir: string; configPath: string; profile: string | undefined; home: string }): BrainLock {
  return acquireBrainLock({
    stateDir: b.stateDir,
    lockPath: path.join(b.stateDir, "brain.lock"),
    ownerPath: path.join(b.stateDir, "brain.owner.json"),
    owner: ownerRecordFor({
      stateDir: b.stateDir,
      configPath: b.configPath,
      profile: b.profile,
      port: 0,
      bindHosts: [],
      version: onebrainVersion(),
      instanceId: crypto.randomUUID(),
      home: b.home,
    }),
  });
}
