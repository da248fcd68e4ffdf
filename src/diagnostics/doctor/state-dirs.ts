/**
 * The brains on disk: `~/.onebrain*` in every user's home (and `~/.openclaw`, `~/.clawdbot`,
 * `~/.moltbot`, which `onebrain import openclaw --from DIR` can import), with size and last activity.
 * A home this user cannot read is reported as such, never an error.
 */
import fs from "node:fs";
import path from "node:path";
import type { BrainKind, RunningBrain } from "./host-scan.ts";

export interface StateDirInfo {
  dir: string;
  kind: BrainKind;
  /** The profile its name implies (`.onebrain` = default, `.onebrain-work` = work). */
  profile: string;
  sizeBytes: number;
  /** The walk stopped at its entry limit: the size is a lower bound. */
  sizeCapped: boolean;
  /** Newest mtime of the database, its WAL and the log (epoch ms); null when none exists. */
  lastActivityMs: number | null;
  active: boolean;
  /** The pid of the gateway running on it, if any. */
  runningPid: number | null;
  isThisBrain: boolean;
}

export interface StateDirScan {
  dirs: StateDirInfo[];
  homesScanned: number;
  unreadable: Array<{ home: string; error: string }>;
}

const FOREIGN: Record<string, BrainKind> = { ".openclaw": "openclaw", ".clawdbot": "clawdbot", ".moltbot": "moltbot" };
const SKIP_HOMES = new Set(["/", "/nonexistent", "/dev/null"]);

/** Home dirs of this host: every user's in the passwd file, `/root`, and each dir in `/home`. */
export function hostHomes(passwdFile = "/etc/passwd", homeRoot = "/home"): string[] {
  const homes = new Set<string>(["/root"]);
  try {
    for (const line of fs.readFileSync(passwdFile, "utf8").split("\n")) {
      const home = line.split(":")[5];
      if (home && path.isAbsolute(home)) homes.add(path.normalize(home));
    }
  } catch {
    // No passwd file (a minimal container): /root and /home still count.
  }
  try {
    for (const n of fs.readdirSync(homeRoot)) homes.add(path.join(homeRoot, n));
  } catch {
    // No /home.
  }
  return [...homes].filter((h) => !SKIP_HOMES.has(h));
}

function mtime(file: string): number | null {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return null;
  }
}

/** Total size of the files under `dir`, walking at most `limit` entries. */
export function dirSize(dir: string, limit = 5000): { bytes: number; capped: boolean } {
  let bytes = 0;
  let seen = 0;
  const stack = [dir];
  while (stack.length) {
    const d = stack.pop()!;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (++seen > limit) return { bytes, capped: true };
      const full = path.join(d, e.name);
      if (e.isDirectory()) stack.push(full);
      else if (e.isFile()) bytes += fs.statSync(full, { throwIfNoEntry: false })?.size ?? 0;
    }
  }
  return { bytes, capped: false };
}

/** When a brain last did something: its database, WAL or log (OpenClaw dirs: the newest top-level entry). */
export function lastActivity(dir: string, kind: BrainKind): number | null {
  const files = kind === "onebrain" ? ["brain.db", "brain.db-wal", path.join("logs", "gateway.log")] : safeList(dir);
  const times = files.map((f) => mtime(path.join(dir, f))).filter((t): t is number => t !== null);
  return times.length ? Math.max(...times) : null;
}

function safeList(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

export interface ScanStateDirsOptions {
  homes: readonly string[];
  /** This CLI's state dir: always included, wherever it is. */
  self: { stateDir: string; profile: string | undefined };
  running: readonly RunningBrain[];
  now: number;
  recentMs: number;
}

/** Finds the brains on disk in every home, plus this brain's and the running gateways' dirs. */
export function scanStateDirs(o: ScanStateDirsOptions): StateDirScan {
  const found = new Map<string, { kind: BrainKind; profile: string }>();
  const unreadable: StateDirScan["unreadable"] = [];
  let homesScanned = 0;
  for (const home of new Set(o.homes)) {
    let names: string[];
    try {
      names = fs.readdirSync(home);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? "error";
      if (code !== "ENOENT") unreadable.push({ home, error: code });
      continue;
    }
    homesScanned++;
    for (const n of names) {
      const kind = n === ".onebrain" || n.startsWith(".onebrain-") ? "onebrain" : FOREIGN[n];
      if (!kind) continue;
      const dir = path.join(home, n);
      if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) continue;
      found.set(dir, { kind, profile: kind === "onebrain" && n !== ".onebrain" ? n.slice(".onebrain-".length) : "default" });
    }
  }
  if (fs.existsSync(o.self.stateDir) && !found.has(o.self.stateDir)) found.set(o.self.stateDir, { kind: "onebrain", profile: o.self.profile ?? "default" });
  // A running gateway's dir elsewhere (ONEBRAIN_STATE_DIR) counts when it belongs to a user of
  // this host (its HOME is one of the homes): a service brain beside a user's ~/.onebrain.
  const homes = new Set(o.homes);
  for (const b of o.running) {
    if (b.stateDir && b.home && homes.has(b.home) && !found.has(b.stateDir) && fs.existsSync(b.stateDir))
      found.set(b.stateDir, { kind: b.kind, profile: b.profile ?? "default" });
  }
  const dirs = [...found].map(([dir, { kind, profile }]): StateDirInfo => {
    const size = dirSize(dir);
    const last = lastActivity(dir, kind);
    const runningPid = o.running.find((b) => b.stateDir === dir && (b.kind !== "onebrain" || b.holdsLock))?.pid ?? null;
    return {
      dir,
      kind,
      profile,
      sizeBytes: size.bytes,
      sizeCapped: size.capped,
      lastActivityMs: last,
      active: runningPid !== null || (last !== null && o.now - last <= o.recentMs),
      runningPid,
      isThisBrain: dir === o.self.stateDir,
    };
  });
  return { dirs, homesScanned, unreadable };
}
