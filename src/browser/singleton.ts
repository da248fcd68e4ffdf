/**
 * Chromium's profile lock: `SingletonLock` in the user-data-dir, a symlink to "HOST-PID". A browser
 * killed with SIGKILL leaves it behind; when the pid is later reused, Chromium believes the profile
 * is in use and refuses to start ("The profile appears to be in use"). We clear it only when its
 * owner is dead on this host: the pid is gone, or is no longer a browser of this very directory.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { readProcessInfo } from "../proc/process.ts";
import type { ProcFs } from "../proc/process.ts";
import { defaultProcFs } from "../proc/process.ts";

const FILES = ["SingletonLock", "SingletonSocket", "SingletonCookie"] as const;

/** The lock's owner as the symlink names it, or null when there is no lock. */
export function readSingleton(userDataDir: string): { host: string; pid: number } | null {
  let target: string;
  try {
    target = fs.readlinkSync(path.join(userDataDir, "SingletonLock"));
  } catch {
    return null;
  }
  const dash = target.lastIndexOf("-");
  const pid = Number(target.slice(dash + 1));
  return { host: dash > 0 ? target.slice(0, dash) : "", pid: Number.isInteger(pid) ? pid : 0 };
}

/** What was found and done about the profile lock. */
export type SingletonOutcome = { state: "none" } | { state: "cleared"; pid: number } | { state: "held"; pid: number; host: string; why: string };

/** Removes a stale profile lock; leaves one whose owner lives (on this host, or on another host that shares the directory). */
export function clearStaleSingleton(userDataDir: string, o: { hostname?: string; procFs?: ProcFs } = {}): SingletonOutcome {
  const owner = readSingleton(userDataDir);
  if (!owner) return { state: "none" };
  const host = o.hostname ?? os.hostname();
  if (owner.host !== host) {
    return {
      state: "held",
      pid: owner.pid,
      host: owner.host,
      why: `the profile is locked by pid ${owner.pid} on host ${JSON.stringify(owner.host)}, not this one`,
    };
  }
  const info = owner.pid > 0 ? readProcessInfo(owner.pid, o.procFs ?? defaultProcFs) : null;
  if (info && info.argv.some((a) => a === `--user-data-dir=${userDataDir}`)) {
    return { state: "held", pid: owner.pid, host, why: `a live browser (pid ${owner.pid}) uses this profile` };
  }
  for (const f of FILES) fs.rmSync(path.join(userDataDir, f), { force: true });
  return { state: "cleared", pid: owner.pid };
}
