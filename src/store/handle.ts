/**
 * The part of the store that domain code needs: the connection, transactions and the fencing
 * epoch. A structural type, so domain modules depend on this contract rather than on db.ts.
 */
import type { DatabaseSync } from "node:sqlite";

export interface StoreHandle {
  readonly db: DatabaseSync;
  /** Runs `fn` in one transaction (BEGIN IMMEDIATE ... COMMIT; ROLLBACK when it throws). */
  transaction<T>(fn: () => T): T;
  /** The persistent fencing epoch, as it is in the database now. */
  epoch(): number;
}
