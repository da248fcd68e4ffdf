/**
 * The hook token (docs/hooks.md): a secret of its own, separate from the gateway's, so a webhook
 * sender never holds the keys to the console or the RPC. Only its SHA-256 is kept, in
 * `<stateDir>/hooks-token.json` (0600, written atomically); the token is shown once, when made.
 * The gateway reads the file at each request (cached by inode, mtime and size), so a rotation
 * applies at once. `ONEBRAIN_HOOKS_TOKEN` (plain text, hashed in memory) overrides the file, for
 * containers whose state is rebuilt at each start.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { OnebrainError } from "../shared/errors.ts";
import { createFileAtomic, writeFileAtomic } from "../shared/fs-atomic.ts";

export const HOOK_TOKEN_FILE = "hooks-token.json";
export const HOOK_TOKEN_PREFIX = "obh_";
export const HOOK_TOKEN_ENV = "ONEBRAIN_HOOKS_TOKEN";

/** What the file holds: never the token. */
export interface HookTokenRecord {
  version: 1;
  /** SHA-256 of the token's UTF-8 bytes, hex. */
  sha256: string;
  createdAt: string;
}

/** Which token is in force, for status: never the token or its hash. */
export interface HookTokenState {
  source: "env" | "file" | null;
  /** When the file's token was made (null for the env's, or none). */
  createdAt: string | null;
  /** Why the file cannot be used (unreadable, not ours), or null. */
  problem: string | null;
}

/** The token file of a brain. */
export function hookTokenPath(stateDir: string): string {
  return path.join(stateDir, HOOK_TOKEN_FILE);
}

/** SHA-256 of a token, hex. */
export function hashHookToken(token: string): string {
  return crypto.createHash("sha256").update(token, "utf8").digest("hex");
}

/** A fresh token: `obh_` and 32 random bytes in base64url (256 bits). */
export function newHookToken(random: (n: number) => Buffer = crypto.randomBytes): string {
  return `${HOOK_TOKEN_PREFIX}${random(32).toString("base64url")}`;
}

function parseRecord(text: string): HookTokenRecord | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return "it is not JSON";
  }
  const r = v as Partial<HookTokenRecord> | null;
  if (!r || r.version !== 1 || typeof r.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(r.sha256) || typeof r.createdAt !== "string")
    return "it is not a hook token record (version 1, sha256, createdAt)";
  return { version: 1, sha256: r.sha256, createdAt: r.createdAt };
}

/** The record on disk, null when there is none; a file that is there but unusable is a string saying why. */
export function readHookTokenRecord(stateDir: string): HookTokenRecord | string | null {
  let text: string;
  try {
    text = fs.readFileSync(hookTokenPath(stateDir), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    return `${hookTokenPath(stateDir)} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  }
  const r = parseRecord(text);
  return typeof r === "string" ? `${hookTokenPath(stateDir)} is unusable: ${r}` : r;
}

/**
 * Makes a token and stores its hash. An existing token is kept unless `rotate` (HOOK_TOKEN_EXISTS):
 * it cannot be shown again, and replacing it silently would break every sender that uses it.
 */
export function createHookToken(
  stateDir: string,
  o: { rotate?: boolean; now?: number; random?: (n: number) => Buffer } = {},
): { token: string; createdAt: string; rotated: boolean } {
  const existing = readHookTokenRecord(stateDir);
  if (existing !== null && !o.rotate) {
    const when = typeof existing === "string" ? "" : ` (made ${existing.createdAt})`;
    throw new OnebrainError("HOOK_TOKEN_EXISTS", `A hook token exists${when}; it cannot be shown again: only its hash is kept`, {
      hint: "`onebrain hooks token --rotate` makes a new one; the old one stops working at once.",
    });
  }
  const token = newHookToken(o.random);
  const createdAt = new Date(o.now ?? Date.now()).toISOString();
  const record: HookTokenRecord = { version: 1, sha256: hashHookToken(token), createdAt };
  const text = `${JSON.stringify(record, null, 2)}\n`;
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  if (existing !== null) writeFileAtomic(hookTokenPath(stateDir), text, { mode: 0o600, forceMode: true });
  // Two first `hooks token` at once: one wins, the other is told, so no printed token is dead on arrival.
  else if (!createFileAtomic(hookTokenPath(stateDir), text))
    throw new OnebrainError("HOOK_TOKEN_EXISTS", "A hook token was made meanwhile by another command; it cannot be shown again", {
      hint: "`onebrain hooks token --rotate` makes a new one; the old one stops working at once.",
    });
  return { token, createdAt, rotated: existing !== null };
}

/** The token in force, read per check: the env's when set, else the file's (cached by inode, mtime and size). */
export class HookTokens {
  private readonly stateDir: string;
  private readonly env: NodeJS.ProcessEnv;
  private cached: { key: string; record: HookTokenRecord | string | null } | null = null;
  private envHash: { token: string; digest: Buffer } | null = null;

  constructor(stateDir: string, env: NodeJS.ProcessEnv = process.env) {
    this.stateDir = stateDir;
    this.env = env;
  }

  private fileRecord(): HookTokenRecord | string | null {
    let key: string;
    try {
      const st = fs.statSync(hookTokenPath(this.stateDir));
      key = `${st.ino}:${st.mtimeMs}:${st.size}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") {
        this.cached = null;
        return null;
      }
      key = "unstatable";
    }
    if (this.cached?.key !== key) this.cached = { key, record: readHookTokenRecord(this.stateDir) };
    return this.cached.record;
  }

  private envDigest(): Buffer | null {
    const token = this.env[HOOK_TOKEN_ENV];
    if (!token) return null;
    if (this.envHash?.token !== token) this.envHash = { token, digest: Buffer.from(hashHookToken(token), "hex") };
    return this.envHash.digest;
  }

  /** Which token is in force now. */
  state(): HookTokenState {
    if (this.envDigest()) return { source: "env", createdAt: null, problem: null };
    const r = this.fileRecord();
    if (r === null) return { source: null, createdAt: null, problem: null };
    if (typeof r === "string") return { source: null, createdAt: null, problem: r };
    return { source: "file", createdAt: r.createdAt, problem: null };
  }

  /** True when `presented` is the token in force (SHA-256 digests compared in constant time). */
  matches(presented: string): boolean {
    const env = this.envDigest();
    const r = env ? null : this.fileRecord();
    const expected = env ?? (r && typeof r !== "string" ? Buffer.from(r.sha256, "hex") : null);
    if (!expected) return false;
    return crypto.timingSafeEqual(crypto.createHash("sha256").update(presented, "utf8").digest(), expected);
  }
}
