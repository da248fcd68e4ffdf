/**
 * Credential leases: one poller per platform credential on the whole host, whichever user or
 * state dir runs it. Two brains polling one Telegram bot token make Telegram answer both with
 * 409 Conflict, and they restart each other and answer twice.
 *
 * Same mechanism as the brain lock (an SQLite file held in an uncommitted BEGIN EXCLUSIVE, i.e. a
 * kernel fcntl lock, dropped the instant the holder dies), but in one host-wide directory,
 * `/dev/shm/onebrain-leases` (sticky and world-writable like /tmp; not /tmp itself, which a
 * systemd unit with PrivateTmp sees privately), so brains of every user collide. The file is named
 * by a hash of the credential, never the credential. Who holds it comes from /proc/locks; a small
 * JSON beside it (one per holder pid) says which brain that is.
 *
 * The lease also hands over the holder's position on the platform (Telegram: the update offset it
 * has stored, `handOver`): a brain that takes the lease after another (a standby after a kill -9)
 * starts from it (`handedOver`), so it never takes updates that the other brain already stored but
 * had not confirmed yet. Each brain has its own store; this file is the only place they meet.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { lockHolders } from "../proc/locks.ts";
import { defaultProcFs, type ProcFs } from "../proc/process.ts";

/** Which brain holds a lease (no secret in it). */
export interface LeaseHolder {
  pid: number;
  user: string | null;
  stateDir: string | null;
  profile: string | null;
  port: number | null;
  startedAt: string | null;
}

export type LeaseResult =
  | {
      ok: true;
      key: string;
      /** The position the previous holders handed over (the last `handOver`), or null. */
      handedOver: string | null;
      /** Records this holder's committed position for whoever holds the lease next (one write; a failure is ignored). */
      handOver(position: string): void;
      release(): void;
    }
  | { ok: false; key: string; holder: LeaseHolder | null; reason: string };

/** A hand-over record is one fixed-size write at offset 0: a kill -9 can never leave half of one. */
const HANDOVER_BYTES = 512;

/** The host-wide lease directory: `ONEBRAIN_LEASE_DIR`, else /dev/shm/onebrain-leases (or /tmp/onebrain-leases without /dev/shm). */
export function leaseDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ONEBRAIN_LEASE_DIR) return env.ONEBRAIN_LEASE_DIR;
  return fs.existsSync("/dev/shm") ? "/dev/shm/onebrain-leases" : "/tmp/onebrain-leases";
}

/** The lease key of a credential: a hash, so the file name tells nothing about the secret. */
export function leaseKey(kind: string, secret: string): string {
  return `${kind}-${crypto.createHash("sha256").update(`onebrain-lease:${kind}:${secret}`).digest("hex").slice(0, 32)}`;
}

function ensureDir(dir: string): void {
  if (fs.existsSync(dir)) return;
  fs.mkdirSync(dir, { recursive: true });
  // Sticky and writable by all, like /tmp: every user's brain must be able to take a lease here,
  // and nobody can delete another user's files.
  try {
    fs.chmodSync(dir, 0o1777);
  } catch {
    // Created by someone else between our check and mkdir: theirs has the right mode.
  }
}

const holderFile = (dir: string, key: string, pid: number) => path.join(dir, `${key}.holder-${pid}.json`);

/**
 * Opens (creating it 0644) the hand-over file of a lease. Never through a symlink: the directory
 * is writable by every user, and a link planted there must not lead a write to another file.
 */
function openHandover(dir: string, key: string): number | null {
  try {
    return fs.openSync(path.join(dir, `${key}.handover`), fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o644);
  } catch {
    return null;
  }
}

/**
 * The position in a hand-over file, or null (none yet, unreadable, or not to be trusted). Only a
 * file of this user (or root) is believed: another local user could write any offset into a file
 * of theirs and make a new holder skip messages. A brain of another user starts from its own
 * offset, as before hand-overs existed.
 */
function readHandover(fd: number | null, uid: number | null = process.getuid?.() ?? null): string | null {
  if (fd === null) return null;
  try {
    const owner = fs.fstatSync(fd).uid;
    if (uid !== null && owner !== uid && owner !== 0) return null;
    const buf = Buffer.alloc(HANDOVER_BYTES);
    const n = fs.readSync(fd, buf, 0, HANDOVER_BYTES, 0);
    const j = JSON.parse(buf.subarray(0, n).toString("utf8").trim()) as { position?: unknown };
    return typeof j.position === "string" ? j.position : null;
  } catch {
    return null;
  }
}

/** Writes a position as one padded record over the old one. */
function writeHandover(fd: number | null, position: string): void {
  if (fd === null) return;
  const record = Buffer.from(JSON.stringify({ position, pid: process.pid, at: new Date().toISOString() }), "utf8");
  if (record.length > HANDOVER_BYTES) return;
  const buf = Buffer.alloc(HANDOVER_BYTES, " ");
  record.copy(buf);
  try {
    fs.writeSync(fd, buf, 0, HANDOVER_BYTES, 0);
  } catch {
    // The next holder then starts from its own position, as it did before hand-overs existed.
  }
}

/** Who holds the lease `key`, from /proc/locks and the holder's JSON; null when nobody does. */
export function leaseHolder(key: string, env: NodeJS.ProcessEnv = process.env, procFs: ProcFs = defaultProcFs): LeaseHolder | null {
  const dir = leaseDir(env);
  const holders = lockHolders(path.join(dir, `${key}.lock`), procFs);
  const pid = holders?.find((h) => h.access === "WRITE")?.pid ?? holders?.[0]?.pid;
  if (pid === undefined) return null;
  try {
    const j = JSON.parse(fs.readFileSync(holderFile(dir, key, pid), "utf8")) as Partial<LeaseHolder>;
    return { pid, user: j.user ?? null, stateDir: j.stateDir ?? null, profile: j.profile ?? null, port: j.port ?? null, startedAt: j.startedAt ?? null };
  } catch {
    return { pid, user: null, stateDir: null, profile: null, port: null, startedAt: null };
  }
}

/** Removes holder descriptions left by dead processes (kill -9 leaves them); others' files are theirs to remove. */
function removeStaleHolderFiles(dir: string, key: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.startsWith(`${key}.holder-`) && n.endsWith(".json"));
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(name.slice(key.length + ".holder-".length, -".json".length));
    if (!Number.isInteger(pid) || pid === process.pid || fs.existsSync(`/proc/${pid}`)) continue;
    try {
      fs.rmSync(path.join(dir, name), { force: true });
    } catch {
      // another user's leftover in the sticky dir
    }
  }
}

/** Says who holds a credential's lease without touching it (for doctor and `channels status`). */
export function inspectCredentialLease(
  kind: string,
  secret: string,
  env: NodeJS.ProcessEnv = process.env,
): { key: string; held: boolean; holder: LeaseHolder | null } {
  const key = leaseKey(kind, secret);
  const holder = leaseHolder(key, env);
  return { key, held: holder !== null, holder };
}

/** One line naming the holder, as channel states and doctor show it. */
export function describeLeaseHolder(h: LeaseHolder | null): string {
  if (!h) return "another process (it could not be identified)";
  return `pid ${h.pid}${h.user ? ` (user ${h.user}${h.stateDir ? `, state dir ${h.stateDir}` : ""})` : h.stateDir ? ` (state dir ${h.stateDir})` : ""}`;
}

/**
 * Takes the lease of a credential for this process, or says who has it. Synchronous and fast.
 * `release()` gives it back (the kernel does too if the process dies). Keep the returned object
 * referenced while the lease is needed: a collected one closes its file, and the lock goes with it.
 */
export function acquireCredentialLease(o: { kind: string; secret: string; holder: Omit<LeaseHolder, "pid">; env?: NodeJS.ProcessEnv }): LeaseResult {
  const env = o.env ?? process.env;
  const key = leaseKey(o.kind, o.secret);
  const dir = leaseDir(env);
  const file = path.join(dir, `${key}.lock`);
  let db: DatabaseSync;
  try {
    ensureDir(dir);
    // Created 0666 by whoever comes first, so that a brain of another user can open it to lock it.
    if (!fs.existsSync(file)) {
      const fd = fs.openSync(file, "a", 0o666);
      fs.fchmodSync(fd, 0o666);
      fs.closeSync(fd);
    }
    db = new DatabaseSync(file, { timeout: 0 });
  } catch (err) {
    return { ok: false, key, holder: leaseHolder(key, env), reason: `cannot open the lease file ${file}: ${(err as Error).message}` };
  }
  try {
    db.exec("PRAGMA journal_mode=MEMORY; PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE;");
  } catch (err) {
    db.close();
    const holder = leaseHolder(key, env);
    const busy = /busy|locked/i.test((err as Error).message);
    return { ok: false, key, holder, reason: busy ? `in use by ${describeLeaseHolder(holder)}` : `cannot lock ${file}: ${(err as Error).message}` };
  }
  const mine = holderFile(dir, key, process.pid);
  removeStaleHolderFiles(dir, key);
  try {
    fs.writeFileSync(mine, JSON.stringify({ ...o.holder, pid: process.pid }), { mode: 0o644 });
  } catch {
    // The lease holds without its description; holders are then named by pid only.
  }
  let released = false;
  const handover = openHandover(dir, key);
  return {
    ok: true,
    key,
    handedOver: readHandover(handover),
    handOver(position) {
      if (!released) writeHandover(handover, position);
    },
    release() {
      if (released) return;
      released = true;
      fs.rmSync(mine, { force: true });
      if (handover !== null) fs.closeSync(handover);
      db.close(); // drops the fcntl lock
    },
  };
}
