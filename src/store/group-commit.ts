/**
 * Group commit without blocking the event loop.
 *
 * The pipeline's writes of one turn of the event loop share one transaction (a "group"),
 * committed at the next `setImmediate`. The group commits with `synchronous=NORMAL`: in WAL mode
 * that appends its frames to the -wal file without an fsync, which takes microseconds. The
 * fsync comes after, as `fdatasync` of the -wal file on libuv's thread pool, and a group's
 * `durable` promise resolves only when an fdatasync that started after its COMMIT has finished:
 * the guarantee of `synchronous=FULL` (the commit survives power loss) for everything the
 * pipeline acknowledges, while the event loop goes on serving. Commits that arrive while an
 * fdatasync is running share the next one.
 *
 * The connection's default stays FULL, so `Store.transaction()` and single statements are
 * durable when they return, as before. fsync is per file, not per descriptor: our descriptor
 * of the -wal file flushes the frames SQLite wrote through its own.
 */
import fs from "node:fs";
import { OnebrainError } from "../shared/errors.ts";

interface Group {
  durable: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
}

function newGroup(): Group {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const durable = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  durable.catch(() => {}); // the writers that care await it; the rest must not crash the process
  return { durable, resolve, reject };
}

export class GroupCommit {
  private open: Group | null = null;
  /** Committed groups waiting for an fdatasync that started after their COMMIT. */
  private unsynced: Group[] = [];
  /** The groups the running fdatasync covers (empty when none runs). */
  private syncing: Group[] = [];
  private walFd: number | null = null;
  private readonly exec: (sql: string) => void;
  private readonly file: string;

  /** `exec` runs one statement on the store's connection. */
  constructor(exec: (sql: string) => void, file: string) {
    this.exec = exec;
    this.file = file;
  }

  /** True while a group's transaction is open. */
  get isOpen(): boolean {
    return this.open !== null;
  }

  /** The open group's durability, opening a group (and scheduling its commit) if none is open. */
  join(): Promise<void> {
    if (!this.open) {
      // The safety level cannot change inside a transaction: it is set for this one, before it.
      this.exec("PRAGMA synchronous=NORMAL");
      try {
        this.exec("BEGIN IMMEDIATE");
      } catch (err) {
        this.exec("PRAGMA synchronous=FULL");
        throw err;
      }
      this.open = newGroup();
      setImmediate(() => this.commitUnlessSyncing());
    }
    return this.open.durable;
  }

  /**
   * While an fdatasync runs, a commit would only wait for the next one: the group stays open
   * and keeps gathering writes, and the fdatasync's end commits it. Fewer, larger commits
   * rewrite fewer pages, at no cost in latency.
   */
  private commitUnlessSyncing(): void {
    if (this.syncing.length === 0) this.commit();
  }

  /** Commits the open group now (if any) and starts making it durable. */
  commit(): void {
    const g = this.open;
    if (!g) return;
    this.open = null;
    try {
      this.exec("COMMIT");
    } catch (err) {
      try {
        this.exec("ROLLBACK");
      } catch {
        // SQLite already ended the transaction.
      }
      this.exec("PRAGMA synchronous=FULL");
      g.reject(this.failure("commit to", err));
      return;
    }
    this.exec("PRAGMA synchronous=FULL");
    this.unsynced.push(g);
    this.sync();
  }

  /** Starts an fdatasync of the -wal file for the committed groups, unless one is running (its end starts the next). */
  private sync(): void {
    if (this.syncing.length || this.unsynced.length === 0) return;
    const batch = this.unsynced;
    this.unsynced = [];
    let fd: number;
    try {
      fd = this.wal();
    } catch (err) {
      for (const g of batch) g.reject(this.failure("open the write-ahead log of", err));
      return;
    }
    this.syncing = batch;
    fs.fdatasync(fd, (err) => {
      this.syncing = [];
      // A failed fsync cannot be retried safely (the kernel may have dropped the dirty pages):
      // the writers are told, and the brain stops.
      if (err) for (const g of batch) g.reject(this.failure("flush", err));
      else for (const g of batch) g.resolve();
      this.commit(); // the group that gathered meanwhile, if any; it starts the next fdatasync
      this.sync();
    });
  }

  private wal(): number {
    this.walFd ??= fs.openSync(`${this.file}-wal`, "r");
    return this.walFd;
  }

  private failure(what: string, err: unknown): OnebrainError {
    return new OnebrainError("STORE_WRITE_FAILED", `Could not ${what} ${this.file}: ${(err as Error).message}`, {
      cause: err,
      hint: "Check free disk space and the file system; a restart recovers from what is on disk.",
    });
  }

  /** Commits the open group and makes every committed group durable before returning (for close). */
  closeSync(): void {
    this.commit();
    // An fdatasync may be running on the thread pool; a synchronous one now covers its groups
    // too (settling a promise twice is a no-op, so its late callback changes nothing).
    const waiting = [...this.syncing, ...this.unsynced];
    this.unsynced = [];
    if (waiting.length) {
      try {
        fs.fdatasyncSync(this.wal());
        for (const g of waiting) g.resolve();
      } catch (err) {
        for (const g of waiting) g.reject(this.failure("flush", err));
      }
    }
    if (this.walFd !== null) fs.closeSync(this.walFd);
    this.walFd = null;
  }
}
