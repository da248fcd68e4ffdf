/**
 * The linked device's secrets (Baileys' auth state: the creds and the Signal keys: sessions,
 * pre-keys, sender keys, app-state keys) in one SQLite file under the state dir,
 * `<stateDir>/whatsapp/<slot>/auth.db`, directory 0700, file 0600.
 *
 * Why SQLite and not a file per key (Baileys' useMultiFileAuthState): a key batch (812 pre-keys at
 * the first link, a session and its sender keys together) is one transaction, so a kill -9 leaves
 * the state before or after the batch, never half of it and never a half-written key; one fsync
 * per batch instead of one per file. The file is separate from brain.db on purpose: a restored
 * backup of the brain must not roll the Signal ratchets back (that makes every message "Bad MAC").
 */
import fs from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { WaAuthState, WaLibrary } from "./baileys.ts";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (
  type TEXT NOT NULL,
  id TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (type, id)
) STRICT, WITHOUT ROWID;
`;

/** The directory of a linked slot's auth state. */
export function authDir(stateDir: string, slot = "default"): string {
  return path.join(stateDir, "whatsapp", slot);
}

export interface AuthStore {
  state: WaAuthState;
  /** Whether a device is linked (creds name an account). */
  linked(): boolean;
  /** The linked account's phone number (digits), or null before linking. */
  account(): string | null;
  /** Writes the creds (Baileys changed them in place: `creds.update`). */
  saveCreds(): void;
  /** Forgets everything (logged out, or `channels logout`). */
  wipe(): void;
  close(): void;
}

/** Opens (or creates) the auth state in `dir`; `lib` supplies Baileys' JSON codec and fresh creds. */
export function openAuthStore(dir: string, lib: Pick<WaLibrary, "bufferJson" | "initCreds" | "reviveKey">): AuthStore {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  const file = path.join(dir, "auth.db");
  // Made 0600 before SQLite opens it: its journal files take the database file's mode.
  fs.closeSync(fs.openSync(file, "a", 0o600));
  fs.chmodSync(file, 0o600);
  const db = new DatabaseSync(file);
  db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=2000;");
  db.exec(SCHEMA);
  const encode = (v: unknown) => JSON.stringify(v, lib.bufferJson.replacer);
  const decode = (s: string) => JSON.parse(s, lib.bufferJson.reviver) as unknown;
  const getOne = db.prepare("SELECT value FROM kv WHERE type = ? AND id = ?");
  const put = db.prepare("INSERT INTO kv (type, id, value) VALUES (?, ?, ?) ON CONFLICT (type, id) DO UPDATE SET value = excluded.value");
  const del = db.prepare("DELETE FROM kv WHERE type = ? AND id = ?");
  const tx = <T>(fn: () => T): T => {
    db.exec("BEGIN IMMEDIATE");
    try {
      const r = fn();
      db.exec("COMMIT");
      return r;
    } catch (err) {
      db.exec("ROLLBACK");
      throw err;
    }
  };
  const stored = getOne.get("creds", "") as { value: string } | undefined;
  const creds = (stored ? decode(stored.value) : lib.initCreds()) as WaAuthState["creds"];
  if (!stored) put.run("creds", "", encode(creds));
  const state: WaAuthState = {
    creds,
    keys: {
      async get(type, ids) {
        const out: Record<string, unknown> = {};
        for (const id of ids) {
          const row = getOne.get(type, id) as { value: string } | undefined;
          if (row) out[id] = lib.reviveKey(type, decode(row.value));
        }
        return out;
      },
      async set(data) {
        tx(() => {
          for (const [type, entries] of Object.entries(data)) {
            for (const [id, value] of Object.entries(entries ?? {})) {
              if (value === null || value === undefined) del.run(type, id);
              else put.run(type, id, encode(value));
            }
          }
        });
      },
    },
  };
  const account = () => {
    const me = state.creds.me?.id;
    if (!me) return null;
    const user = me.split("@")[0]!.split(":")[0]!;
    return /^\d{5,20}$/.test(user) ? user : null;
  };
  return {
    state,
    linked: () => Boolean(state.creds.me?.id),
    account,
    saveCreds: () => void put.run("creds", "", encode(state.creds)),
    wipe() {
      tx(() => db.exec("DELETE FROM kv"));
      const fresh = lib.initCreds();
      for (const k of Object.keys(state.creds)) delete state.creds[k];
      Object.assign(state.creds, fresh);
      put.run("creds", "", encode(state.creds));
    },
    close: () => db.close(),
  };
}
