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

/** The digits of a WhatsApp user JID (`4915123456789:12@s.whatsapp.net`), or null when it is not a phone number's. */
function phoneOf(jid: string | undefined | null): string | null {
  const user = jid?.split("@")[0]?.split(":")[0] ?? "";
  return /^\d{5,20}$/.test(user) ? user : null;
}

/** What the linked keys say, read without Baileys and without writing (status, doctor, the channel registry). */
export interface LinkedDevice {
  /** The linked number's digits; null: no device is linked here. */
  account: string | null;
  /** The name the phone gave the account, if any. */
  name: string | null;
  /** Why the auth state could not be read (a damaged file); null when it could. */
  error: string | null;
}

/** Reads the linked account from `<dir>/auth.db` read-only; a missing file is "not linked". */
export function readLinked(dir: string): LinkedDevice {
  const file = path.join(dir, "auth.db");
  if (!fs.existsSync(file)) return { account: null, name: null, error: null };
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(file, { readOnly: true });
    db.exec("PRAGMA busy_timeout=2000");
    const row = db.prepare("SELECT value FROM kv WHERE type = 'creds' AND id = ''").get() as { value: string } | undefined;
    // Buffers in the creds are {type: "Buffer", data}: plain JSON reads the strings this needs.
    const me = row ? (JSON.parse(row.value) as { me?: { id?: string; name?: string } | null }).me : null;
    return { account: phoneOf(me?.id), name: typeof me?.name === "string" ? me.name : null, error: null };
  } catch (err) {
    return { account: null, name: null, error: `cannot read ${file}: ${(err as Error).message}` };
  } finally {
    db?.close();
  }
}

/** Deletes the auth state's files (an unlinked device): nothing of the keys stays. Its stores must be closed. */
export function removeAuth(dir: string): void {
  for (const f of ["auth.db", "auth.db-wal", "auth.db-shm"]) fs.rmSync(path.join(dir, f), { force: true });
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
  const account = () => phoneOf(state.creds.me?.id);
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
