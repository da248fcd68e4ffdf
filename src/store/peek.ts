/**
 * Reading the brain's database without taking it: a read-only connection (no migrations, no
 * journal-mode change, no brain lock, never a write), for `status` while no gateway runs. Null
 * when there is no database or it cannot be read now: the caller shows nothing rather than fail.
 */
import fs from "node:fs";
import { DatabaseSync } from "node:sqlite";
import type { StoreHandle } from "./handle.ts";

/** Runs `read` on a read-only connection to `file`; null when it does not exist or cannot be read. */
export function peekStore<T>(file: string, read: (store: Pick<StoreHandle, "prepare">) => T): T | null {
  if (!fs.existsSync(file)) return null;
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(file, { readOnly: true });
    db.exec("PRAGMA busy_timeout=1000");
    const conn = db;
    return read({ prepare: (sql) => conn.prepare(sql) });
  } catch {
    return null;
  } finally {
    db?.close();
  }
}
