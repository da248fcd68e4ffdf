/**
 * The part of the store that domain code needs: the connection, transactions and the fencing
 * epoch. A structural type, so domain modules depend on this contract rather than on db.ts.
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";

export interface StoreHandle {
  readonly db: DatabaseSync;
  /**
   * A statement cached by its SQL text. Hot paths must use this, not `db.prepare`: every
   * uncached prepare allocates a native statement that only a GC finalizer frees, which V8 cannot
   * see, so under load native memory grows far beyond the JS heap.
   */
  prepare(sql: string): StatementSync;
  /** Runs `fn` in one transaction (BEGIN IMMEDIATE ... COMMIT; ROLLBACK when it throws). */
  transaction<T>(fn: () => T): T;
  /**
   * Group commit: runs `fn` now in the open write group and returns its value; `durable`
   * resolves once the group's COMMIT is on disk (see Store.grouped).
   */
  grouped<T>(fn: () => T): { value: T; durable: Promise<void> };
  /** Like `grouped`, committed before it returns (in the WAL: survives a process crash); fdatasync follows. */
  commitNow<T>(fn: () => T): { value: T; durable: Promise<void> };
  /** The persistent fencing epoch, as it is in the database now. */
  epoch(): number;
}
