/**
 * Is the source's gateway running? An import must not read a state that its gateway is writing,
 * and the user must not end up with two gateways answering the same bots. Read-only: no lock is
 * taken, deleted or probed by opening it.
 *
 * Two signs, either one enough:
 *   - a lock file naming a live process: OpenClaw 2026.x keeps `gateway.state.lock` and
 *     `gateway.<hash>.lock` in `<state>/tmp/openclaw-<uid>/`; older OpenClaw, Moltbot and Clawdbot
 *     keep `gateway.<hash>.lock` in `$TMPDIR/{openclaw,moltbot,clawdbot}-<uid>/`, shared by every
 *     state dir of the user (a lock there counts only when it names this dir or its config). The
 *     pid must be alive and, when the lock records it, have the same start time (/proc/PID/stat
 *     field 22), so a recycled pid is not mistaken for the gateway; a dead pid is a stale lock;
 *   - something listening on the gateway's port (the lock's, the config's, the environment's)
 *     that is not a onebrain gateway.
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { findListeners } from "../../proc/listeners.ts";
import { defaultProcFs, hasProc, isAlive, readProcessInfo, type ProcFs } from "../../proc/process.ts";
import { OnebrainError } from "../../shared/errors.ts";
import type { SourceDir } from "./source.ts";

/** What a lock file says (OpenClaw's LockPayload; Clawdbot's has no port, stateDir or role). */
interface LockPayload {
  pid?: unknown;
  startTime?: unknown;
  port?: unknown;
  stateDir?: unknown;
  configPath?: unknown;
  role?: unknown;
  createdAt?: unknown;
}

/** A lock file found and what became of it. */
export interface LockSeen {
  file: string;
  pid: number | null;
  port: number | null;
  /** live: its process runs; stale: dead, or another process under a recycled pid; foreign: another state dir's; unreadable. */
  state: "live" | "stale" | "foreign" | "unreadable";
}

export interface RunningCheck {
  source: SourceDir;
  /** The ports the source's gateway would listen on (config, environment). */
  ports: readonly number[];
  tmpDir?: string;
  uid?: number;
  procFs?: ProcFs;
}

/** What the check looked at, for the report (locks seen, ports used by something that is not OpenClaw). */
export interface RunningReport {
  locks: LockSeen[];
  notes: string[];
}

const realOr = (p: string) => {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
};

function lockDirs(c: RunningCheck): Array<{ dir: string; shared: boolean }> {
  const uid = c.uid ?? process.getuid?.() ?? null;
  const tmp = c.tmpDir ?? os.tmpdir();
  const names = (base: string) => [...(uid !== null ? [`${base}-${uid}`] : []), base];
  // In the state dir every lock is this dir's, whoever ran it: each openclaw-<uid> dir counts.
  let own: string[] = [];
  try {
    own = fs.readdirSync(path.join(c.source.dir, "tmp")).filter((n) => /^openclaw(-\d+)?$/.test(n));
  } catch {
    own = [];
  }
  return [
    ...[...new Set([...names("openclaw"), ...own])].map((n) => ({ dir: path.join(c.source.dir, "tmp", n), shared: false })),
    ...["openclaw", "moltbot", "clawdbot"].flatMap((b) => names(b).map((n) => ({ dir: path.join(tmp, n), shared: true }))),
  ];
}

function sameProcess(p: LockPayload, procFs: ProcFs): boolean {
  const pid = p.pid;
  if (typeof pid !== "number" || !Number.isInteger(pid) || pid <= 0 || !isAlive(pid, procFs)) return false;
  const info = readProcessInfo(pid, procFs);
  if (!info) return false;
  if (typeof p.startTime === "number" && info.startTicks !== null) return info.startTicks === p.startTime;
  // No start time recorded: believe it only when the process is one of OpenClaw's family.
  return /openclaw|clawdbot|moltbot/i.test(info.command);
}

/** Whether a lock in a shared temp dir belongs to the state dir being imported. */
function ours(p: LockPayload, source: SourceDir): boolean {
  if (typeof p.stateDir === "string" && realOr(p.stateDir) === source.dir) return true;
  if (typeof p.configPath !== "string") return false;
  if (source.configFile && realOr(p.configPath) === realOr(source.configFile)) return true;
  return realOr(path.dirname(p.configPath)) === source.dir;
}

/** Every gateway lock file of the source, classified. */
export function readLocks(c: RunningCheck): LockSeen[] {
  const procFs = c.procFs ?? defaultProcFs;
  const seen: LockSeen[] = [];
  for (const { dir, shared } of lockDirs(c)) {
    let names: string[];
    try {
      names = fs.readdirSync(dir).filter((n) => /^gateway\..+\.lock$/.test(n));
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      const file = path.join(dir, name);
      let p: LockPayload;
      try {
        // OpenClaw appends an ownership token of tabs and spaces after the JSON: whitespace to JSON.parse.
        p = JSON.parse(fs.readFileSync(file, "utf8")) as LockPayload;
        if (p === null || typeof p !== "object") throw new Error("not an object");
      } catch {
        seen.push({ file, pid: null, port: null, state: "unreadable" });
        continue;
      }
      const pid = typeof p.pid === "number" ? p.pid : null;
      const port = typeof p.port === "number" ? p.port : null;
      if (shared && !ours(p, c.source)) seen.push({ file, pid, port, state: "foreign" });
      else seen.push({ file, pid, port, state: sameProcess(p, procFs) ? "live" : "stale" });
    }
  }
  return seen;
}

function isOnebrain(command: string): boolean {
  return /(^|[\s/])onebrain(\.js)?(\s|$)/.test(command) || /bin\/onebrain\.js/.test(command);
}

/** Who listens on `port` (and is not a onebrain gateway), or null. */
function listenerOn(port: number, procFs: ProcFs, notes: string[]): { pid: number | null } | null {
  for (const l of findListeners([port], procFs)) {
    if (l.process && isOnebrain(l.process.command)) {
      notes.push(`port ${port} is used by onebrain (pid ${l.process.pid}), not by OpenClaw`);
      continue;
    }
    return { pid: l.process?.pid ?? null };
  }
  return null;
}

/** A TCP connect to 127.0.0.1:port (for hosts without /proc). */
export function portAnswers(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

/** Throws IMPORT_SOURCE_RUNNING when the source's gateway runs; otherwise says what it saw. */
export async function refuseIfRunning(c: RunningCheck): Promise<RunningReport> {
  const procFs = c.procFs ?? defaultProcFs;
  const locks = readLocks(c);
  const notes: string[] = [];
  const live = locks.find((l) => l.state === "live");
  const ports = [...new Set([...locks.filter((l) => l.state === "live" && l.port !== null).map((l) => l.port!), ...c.ports])];
  let listener: { port: number; pid: number | null } | null = null;
  for (const port of ports) {
    if (hasProc(procFs)) {
      const l = listenerOn(port, procFs, notes);
      if (l) listener = { port, pid: l.pid };
    } else if (await portAnswers(port)) listener = { port, pid: null };
    if (listener) break;
  }
  if (live || listener) {
    const pid = live?.pid ?? listener?.pid ?? null;
    const port = live?.port ?? listener?.port ?? null;
    const who = [pid !== null ? `pid ${pid}` : null, port !== null ? `port ${port}` : null].filter(Boolean).join(", ");
    const how = live ? `its lock ${live.file} names a live process` : `something listens on its port ${listener!.port}`;
    throw new OnebrainError("IMPORT_SOURCE_RUNNING", `Refusing to import ${c.source.dir}: its gateway is running (${who}): ${how}`, {
      details: { source: c.source.dir, pid, port, lock: live?.file ?? null },
      hint: `Stop it first (\`openclaw gateway stop\`${pid !== null ? `, or kill -TERM ${pid}` : ""}), then run the import again.`,
    });
  }
  for (const l of locks) {
    if (l.state !== "stale") continue;
    const why = l.pid !== null && isAlive(l.pid, procFs) ? `pid ${l.pid} is another process now` : `pid ${l.pid ?? "?"} is not running`;
    notes.push(`stale lock ${l.file} (${why}): ignored`);
  }
  return { locks, notes };
}
