/**
 * One pass over /proc for every check that asks "who runs here": each process's command line and
 * open files (sockets, `brain.lock`), the TCP listeners, and from those the running brains:
 * onebrain gateways and OpenClaw-family gateways (OpenClaw, Clawdbot, Moltbot). No `ss`, no
 * `lsof`; other users' processes are visible only to root (counted in `hiddenPids`).
 */
import fs from "node:fs";
import path from "node:path";
import { listeningSockets } from "../../proc/listeners.ts";
import { lockHolders } from "../../proc/locks.ts";
import { defaultProcFs, listPids, readProcessInfo, type ProcFs, type ProcessInfo } from "../../proc/process.ts";
import { readOwnerRecord, type OwnerRecord } from "../../lock/owner.ts";
import { resolvePaths } from "../../paths/paths.ts";
import { clawGatewayKind, flagValue, isOnebrainGatewayArgv, mayBeGatewayCmdline, onebrainCommand, type BrainKind } from "./argv.ts";

import { hostBrowsers, type HostBrowser } from "./host-browsers.ts";
export type { BrainKind };

export interface HostListener {
  port: number;
  address: string;
  inode: number;
  /** The owning process; null when /proc hides it (another user's process without root). */
  pid: number | null;
}

/** A gateway process found on this host. */
export interface RunningBrain {
  kind: BrainKind;
  pid: number;
  user: string | null;
  home: string | null;
  stateDir: string | null;
  configPath: string | null;
  profile: string | null;
  /** Its base port: the owner record's, else `--port`, else its lowest listening port. */
  basePort: number | null;
  /** Every TCP port it listens on. */
  ports: number[];
  startedAt: string | null;
  /** onebrain only: it holds the kernel lock of `stateDir`. */
  holdsLock: boolean;
  /** Its open files are hidden from this user (another user's process, doctor not root): ports and lock unknown. */
  hidden: boolean;
  owner: OwnerRecord | null;
}

export interface HostScan {
  listeners: HostListener[];
  /** Chromium/Chrome main processes (read from the command lines already scanned, on first use). */
  browsers: HostBrowser[];
  brains: RunningBrain[];
  /** /proc facts of a pid (cached). */
  info(pid: number): ProcessInfo | null;
  /** Processes whose open files this user may not read. */
  hiddenPids: number;
  ms: number;
}

/** Selected variables of a process's environment (readable for our own processes, or as root). */
export function readEnviron(pid: number, keys: readonly string[], procFs: ProcFs = defaultProcFs): Record<string, string> {
  const out: Record<string, string> = {};
  try {
    for (const kv of fs.readFileSync(`${procFs.procRoot}/${pid}/environ`, "utf8").split("\0")) {
      const eq = kv.indexOf("=");
      const k = kv.slice(0, eq);
      if (eq > 0 && keys.includes(k)) out[k] = kv.slice(eq + 1);
    }
  } catch {
    // Another user's process: its environment stays unknown.
  }
  return out;
}

function parentPid(pid: number, procFs: ProcFs): number | null {
  try {
    const stat = fs.readFileSync(`${procFs.procRoot}/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return null;
  }
}

/**
 * The pids among `pids` that are an ancestor of another of them: wrappers that fork and wait
 * (`runuser`, `sudo`, `su`, `sh -c`, an npm script) carry the gateway's command line too, but the
 * gateway is their descendant. (`setpriv`, `nohup` and `env` exec, so they leave no parent.)
 */
function ancestorsAmong(pids: ReadonlySet<number>, procFs: ProcFs): Set<number> {
  const out = new Set<number>();
  if (pids.size < 2) return out;
  for (const pid of pids) {
    let p = parentPid(pid, procFs);
    for (let depth = 0; p !== null && p > 1 && depth < 8; depth++) {
      if (pids.has(p)) out.add(p);
      p = parentPid(p, procFs);
    }
  }
  return out;
}

const ONEBRAIN_ENV = ["HOME", "ONEBRAIN_STATE_DIR", "ONEBRAIN_CONFIG_PATH", "ONEBRAIN_PROFILE"];

export interface ScanOptions {
  /**
   * Read open files only of processes whose command line is a gateway's: a few milliseconds
   * instead of every process's fds, for `gateway status` and the start-up check. Listeners of
   * other processes then have no pid, `hiddenPids` counts only those candidates, and a gateway
   * started under a command line that does not say so is not found.
   */
  brainsOnly?: boolean;
  /**
   * Left out of `brains`: this pid (its open files are not even read) and the gateways of this
   * state dir. Asking about the other brains, a brain skips itself before its environment, owner
   * record, ports and lock are read (the TCP and lock tables then often need no read at all).
   */
  except?: { pid?: number; stateDir?: string };
}

/** Scans /proc once; the TCP and lock tables only when a brain needs them. */
export function scanHost(procFs: ProcFs = defaultProcFs, opts: ScanOptions = {}): HostScan {
  const t0 = performance.now();
  const { except = {} } = opts;
  const socketOwner = new Map<number, number>();
  const lockFile = new Map<number, string>();
  const cmdlineOf = new Map<number, string>();
  const hidden = new Set<number>();
  const argvCache = new Map<number, string[]>();
  /** A process's argv, split only when asked: most command lines are only tested whole. */
  const argv = (pid: number): string[] => {
    let a = argvCache.get(pid);
    if (!a) argvCache.set(pid, (a = (cmdlineOf.get(pid) ?? "").split("\0").filter((s) => s !== "")));
    return a;
  };
  for (const pid of listPids(procFs)) {
    const dir = `${procFs.procRoot}/${pid}`;
    let cmdline: string;
    try {
      cmdline = fs.readFileSync(`${dir}/cmdline`, "utf8");
    } catch {
      continue; // gone while we looked
    }
    cmdlineOf.set(pid, cmdline);
    if (pid === except.pid) continue;
    if (opts.brainsOnly && !(mayBeGatewayCmdline(cmdline) && (isOnebrainGatewayArgv(argv(pid)) || clawGatewayKind(argv(pid))))) continue;
    let fds: string[];
    try {
      fds = fs.readdirSync(`${dir}/fd`);
    } catch {
      hidden.add(pid);
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = fs.readlinkSync(`${dir}/fd/${fd}`);
      } catch {
        continue;
      }
      if (target.startsWith("socket:[")) {
        const inode = Number(target.slice(8, -1));
        if (!socketOwner.has(inode)) socketOwner.set(inode, pid);
      } else if (target.endsWith("/brain.lock") || target.endsWith("/brain.lock (deleted)")) {
        lockFile.set(pid, target.replace(/ \(deleted\)$/, ""));
      }
    }
  }

  let listenersRead: HostListener[] | undefined;
  const listeners = () => (listenersRead ??= listeningSockets(procFs).map((s) => ({ ...s, pid: socketOwner.get(s.inode) ?? null })));

  const infoCache = new Map<number, ProcessInfo | null>();
  const info = (pid: number) => {
    if (!infoCache.has(pid)) infoCache.set(pid, readProcessInfo(pid, procFs));
    return infoCache.get(pid) ?? null;
  };
  const portsOf = (pid: number) =>
    [
      ...new Set(
        listeners()
          .filter((l) => l.pid === pid)
          .map((l) => l.port),
      ),
    ].sort((a, b) => a - b);
  const holdsLock = (pid: number, file: string) => lockHolders(file, procFs, [pid])?.some((h) => h.pid === pid) ?? false;

  const isOnebrain = (pid: number, cmdline: string) => {
    const lock = lockFile.get(pid);
    // Neither a brain.lock open nor "onebrain" on the command line: no onebrain gateway (cheap, and most processes).
    if (lock === undefined && !cmdline.includes("onebrain")) return false;
    const cmd = onebrainCommand(argv(pid));
    // A process holding a brain.lock is a gateway unless its command line says otherwise (restore).
    return isOnebrainGatewayArgv(argv(pid)) || (lock !== undefined && (cmd === null || cmd.startsWith("gateway")));
  };
  const onebrainPids = new Set([...cmdlineOf].filter(([pid, cmdline]) => isOnebrain(pid, cmdline)).map(([pid]) => pid));
  // Only the process that holds the lock or listens is the brain, not a wrapper above it.
  // Walking parents costs a read per generation: only done when a lock-less onebrain process asks.
  let wrappers: Set<number> | undefined;
  const isWrapper = (pid: number) => (wrappers ??= ancestorsAmong(onebrainPids, procFs)).has(pid);
  const brains: RunningBrain[] = [];
  /** Onebrain pids, in `brains` or left out as asked: never taken for a claw gateway. */
  const onebrainSeen = new Set<number>();
  for (const pid of onebrainPids) {
    const args = argv(pid);
    const lock = lockFile.get(pid);
    if (pid === except.pid || (lock !== undefined && path.dirname(lock) === except.stateDir)) {
      onebrainSeen.add(pid);
      continue;
    }
    if (lock === undefined && isWrapper(pid) && portsOf(pid).length === 0) continue;
    const env = readEnviron(pid, ONEBRAIN_ENV, procFs);
    let stateDir = lock ? path.dirname(lock) : null;
    let configPath: string | null = null;
    try {
      const p = resolvePaths({ profile: flagValue(args, "--profile"), env, home: env.HOME ?? "/" });
      if (stateDir === null && (env.HOME || env.ONEBRAIN_STATE_DIR)) stateDir = p.stateDir;
      if (stateDir !== null) configPath = env.ONEBRAIN_CONFIG_PATH ? p.configPath : path.join(stateDir, "onebrain.json");
    } catch {
      // An invalid profile name: that gateway refuses to start anyway.
    }
    onebrainSeen.add(pid);
    if (stateDir !== null && stateDir === except.stateDir) continue;
    const rec = stateDir ? readOwnerRecord(path.join(stateDir, "brain.owner.json")) : null;
    const owner = rec?.pid === pid ? rec : null;
    const ports = portsOf(pid);
    const flagPort = Number(flagValue(args, "--port"));
    // The owner record names the user and the start; /proc is read only without one.
    const i = owner?.user && owner.startedAt ? null : info(pid);
    brains.push({
      kind: "onebrain",
      pid,
      user: owner?.user ?? i?.user ?? null,
      home: owner?.home ?? env.HOME ?? null,
      stateDir,
      configPath: owner?.configPath ?? configPath,
      profile: owner?.profile ?? flagValue(args, "--profile") ?? env.ONEBRAIN_PROFILE ?? null,
      basePort: owner?.port ?? (Number.isInteger(flagPort) && flagPort > 0 ? flagPort : (ports[0] ?? null)),
      ports,
      startedAt: owner?.startedAt ?? (i?.startedAtMs ? new Date(i.startedAtMs).toISOString() : null),
      holdsLock: lock ? holdsLock(pid, lock) : false,
      hidden: hidden.has(pid),
      owner,
    });
  }

  const claws = new Map<number, BrainKind>();
  for (const [pid, cmdline] of cmdlineOf) {
    const kind = mayBeGatewayCmdline(cmdline) ? clawGatewayKind(argv(pid)) : null;
    if (kind && pid !== process.pid && pid !== except.pid && !onebrainSeen.has(pid)) claws.set(pid, kind);
  }
  // A wrapper (`sh -c "openclaw gateway"`, an npm script) matches too: keep the process that listens.
  for (const pid of ancestorsAmong(new Set(claws.keys()), procFs)) if (portsOf(pid).length === 0) claws.delete(pid);
  for (const [pid, kind] of claws) {
    const K = kind.toUpperCase();
    const env = readEnviron(pid, ["HOME", `${K}_STATE_DIR`, `${K}_CONFIG_PATH`], procFs);
    const stateDir = env[`${K}_STATE_DIR`] ?? (env.HOME ? path.join(env.HOME, `.${kind}`) : null);
    const ports = portsOf(pid);
    const flagPort = Number(flagValue(argv(pid), "--port"));
    const i = info(pid);
    brains.push({
      kind,
      pid,
      user: i?.user ?? null,
      home: env.HOME ?? null,
      stateDir,
      configPath: env[`${K}_CONFIG_PATH`] ?? (stateDir ? path.join(stateDir, `${kind}.json`) : null),
      profile: null,
      basePort: Number.isInteger(flagPort) && flagPort > 0 ? flagPort : (ports[0] ?? null),
      ports,
      startedAt: i?.startedAtMs ? new Date(i.startedAtMs).toISOString() : null,
      holdsLock: false,
      hidden: hidden.has(pid),
      owner: null,
    });
  }
  brains.sort((a, b) => a.pid - b.pid);
  const ms = Math.round((performance.now() - t0) * 10) / 10;
  let browsersRead: HostBrowser[] | undefined;
  return {
    get listeners() {
      return listeners();
    },
    get browsers() {
      return (browsersRead ??= hostBrowsers(cmdlineOf));
    },
    brains,
    info,
    hiddenPids: hidden.size,
    ms,
  };
}
