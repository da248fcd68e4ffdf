/**
 * Builds the doctor's context: what it reads is a parameter with a real default (env, /proc,
 * homes, unit dirs, mount table, clock), so tests need no root and no global mocks. Shared facts
 * (the /proc scan, this brain's config and lock, the state dirs) are computed once on first use.
 */
import os from "node:os";
import { loadBrainConfig } from "../../config/load.ts";
import { inspectLock } from "../../lock/inspect.ts";
import type { BrainPaths, Env } from "../../paths/paths.ts";
import { portPlan } from "../../paths/ports.ts";
import { defaultProcFs, snapshotProcFs, type ProcFs } from "../../proc/process.ts";
import { resolveAuth } from "../../server/auth.ts";
import { toOnebrainError } from "../../shared/errors.ts";
import { scanHost, type HostScan } from "./host-scan.ts";
import { hostHomes, scanStateDirs, type StateDirScan } from "./state-dirs.ts";
import type { BrainFacts, DoctorContext } from "./types.ts";
import { defaultUnitDirs, type UnitDir } from "./unit-file.ts";

export interface DoctorOptions {
  paths: BrainPaths;
  env?: Env;
  procFs?: ProcFs;
  /** Home dirs to look for other brains in (default: every user's, from the passwd file, /root and /home/*). */
  homes?: readonly string[];
  unitDirs?: readonly UnitDir[];
  mountInfoFile?: string;
  now?: number;
  uid?: number;
  recentMs?: number;
  url?: string | undefined;
  deep?: boolean;
  timeoutMs?: number;
  idleCapMs?: number;
}

const once = <T>(fn: () => T): (() => T) => {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = fn();
      done = true;
    }
    return value;
  };
};

/** This brain's facts: config (or why it is broken), port plan, auth, lock. */
export function brainFacts(paths: BrainPaths, env: Env, procFs: ProcFs): BrainFacts {
  const lock = inspectLock(paths.lockPath, paths.ownerPath, procFs);
  try {
    const loaded = loadBrainConfig(paths);
    const c = loaded.config;
    const owner = lock.ownerIsHolder ? lock.owner : null;
    const plan = owner
      ? portPlan({ flag: owner.port, env, browserControlPort: c.browser.controlPort, canvasPort: c.canvasHost.port })
      : portPlan({ env, configPort: c.gateway.port, profile: paths.profile, browserControlPort: c.browser.controlPort, canvasPort: c.canvasHost.port });
    return { config: c, raw: loaded.raw, configExists: loaded.exists, configError: null, plan, auth: resolveAuth(c.gateway.auth, env), lock };
  } catch (err) {
    const e = toOnebrainError(err);
    return {
      config: null,
      raw: undefined,
      configExists: e.code !== "CONFIG_UNREADABLE" && e.code !== "CONFIG_MISSING",
      configError: { code: e.code, message: e.message, hint: e.hint },
      plan: null,
      auth: null,
      lock,
    };
  }
}

/** The context every check reads. */
export function createContext(o: DoctorOptions): DoctorContext {
  const env = o.env ?? process.env;
  // One look at the host for all checks: each kernel table (locks, TCP) is read once.
  const procFs = snapshotProcFs(o.procFs ?? defaultProcFs);
  const now = o.now ?? Date.now();
  const homes = o.homes ?? [...new Set([...hostHomes(procFs.passwdFile), o.paths.home])];
  const recentMs = o.recentMs ?? 7 * 24 * 3600_000;
  const host = once((): HostScan => scanHost(procFs));
  const brain = once(() => brainFacts(o.paths, env, procFs));
  const stateDirs = once((): StateDirScan =>
    scanStateDirs({ homes, self: { stateDir: o.paths.stateDir, profile: o.paths.profile }, running: host().brains, now, recentMs }),
  );
  return {
    paths: o.paths,
    env,
    procFs,
    now,
    uid: o.uid ?? process.getuid?.() ?? os.userInfo().uid,
    homes,
    unitDirs: o.unitDirs ?? defaultUnitDirs(o.paths.home, env),
    mountInfoFile: o.mountInfoFile ?? `${procFs.procRoot}/self/mountinfo`,
    recentMs,
    url: o.url,
    deep: o.deep ?? false,
    timeoutMs: o.timeoutMs ?? 3000,
    idleCapMs: o.idleCapMs ?? 35_000,
    host,
    brain,
    stateDirs,
  };
}
