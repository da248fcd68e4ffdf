/** Shared fixtures for the store tests: a fresh database file, rows to fill it, file snapshots. */
import fs from "node:fs";
import path from "node:path";
import { openStore, type Store } from "../../src/store/db.ts";
import { tmpDir } from "../helpers/gateway.ts";

/** A path for a brain database in a fresh temp state dir (the file does not exist yet). */
export function storeFile(): string {
  return path.join(tmpDir("onebrain-store-"), "state", "brain.db");
}

/** Opens a new store in a fresh temp dir with a fixed clock. */
export function newStore(now = () => 1_700_000_000_000): Store {
  return openStore(storeFile(), { now });
}

/** Inserts `n` already-answered inbound rows (ids from `from`; a running gateway leaves them alone), each with `textBytes` of text so they span many pages. */
export function addInbound(store: Store, n: number, from = 1, textBytes = 40): void {
  const stmt = store.prepare(
    "INSERT INTO inbound (channel, account, message_id, session_key, peer, text, received_at, state) VALUES ('webchat', 'default', ?, 'agent:main:webchat:dm:ada', 'peer', ?, ?, 'answered')",
  );
  store.transaction(() => {
    for (let i = from; i < from + n; i++) stmt.run(`m${i}`, `message ${i} `.padEnd(textBytes, "x"), 1_700_000_000_000 + i);
  });
}

/** Every inbound row, in id order. */
export function inboundRows(store: { db: Store["db"] }): unknown[] {
  return store.db
    .prepare("SELECT * FROM inbound ORDER BY id")
    .all()
    .map((r) => ({ ...r }));
}

/** The names of the files in `dir`, sorted. */
export function listDir(dir: string): string[] {
  return fs.readdirSync(dir).sort();
}

/** The error `fn` throws (fails the test when it does not throw). */
export function thrown(fn: () => unknown): any {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected an error, nothing was thrown");
}
