/**
 * A read-only look at who holds a brain: the kernel's answer (/proc/locks), the owner record,
 * and whether they agree. Never opens or locks the lock file, so it cannot disturb a start.
 */
import fs from "node:fs";
import { lockHolders } from "../proc/locks.ts";
import { defaultProcFs, readProcessInfo, type ProcFs, type ProcessInfo } from "../proc/process.ts";
import { ownerProcessMatches, readOwnerRecord, type OwnerRecord } from "./owner.ts";

export interface LockState {
  lockPath: string;
  lockFileExists: boolean;
  /** held: a live process holds the kernel lock; free: nobody does; unknown: /proc/locks is not readable here. */
  status: "held" | "free" | "unknown";
  holderPid: number | null;
  holder: ProcessInfo | null;
  owner: OwnerRecord | null;
  /** The record's pid is alive and is the same process (start time checked). */
  ownerAlive: boolean;
  /** The record names the process that really holds the lock. */
  ownerIsHolder: boolean;
  /** Disagreements, in plain words. */
  notes: string[];
}

/** Inspects the lock at `lockPath` and the owner record at `ownerPath` without changing either. */
export function inspectLock(lockPath: string, ownerPath: string, procFs: ProcFs = defaultProcFs): LockState {
  const lockFileExists = fs.existsSync(lockPath);
  const owner = readOwnerRecord(ownerPath);
  // The record's pid is the likely holder: asked first, it usually spares a read of /proc/locks.
  const holders = lockFileExists ? lockHolders(lockPath, procFs, owner ? [owner.pid] : []) : [];
  const holderPid = holders && holders.length ? holders[0]!.pid : null;
  const status: LockState["status"] = holders === null ? "unknown" : holderPid !== null ? "held" : "free";
  const holder = holderPid !== null ? readProcessInfo(holderPid, procFs) : null;
  const ownerAlive = owner ? ownerProcessMatches(owner, procFs) : false;
  const ownerIsHolder = owner !== null && holderPid === owner.pid && ownerAlive;
  const notes: string[] = [];
  if (status === "held" && !owner) notes.push(`the lock is held by pid ${holderPid} but it has written no owner record (yet)`);
  if (status === "held" && owner && !ownerIsHolder) notes.push(`the lock is held by pid ${holderPid} but the owner record names pid ${owner.pid}`);
  if (status === "free" && owner) {
    notes.push(
      ownerAlive
        ? `a leftover owner record names pid ${owner.pid}, which is alive but does not hold the lock (ignored)`
        : `a leftover owner record names pid ${owner.pid}, which is gone (a crash; ignored, the kernel released the lock)`,
    );
  }
  return { lockPath, lockFileExists, status, holderPid, holder, owner, ownerAlive, ownerIsHolder, notes };
}

/** One phrase naming the holder: `pid 41 (user master, port 18789, profile default, started 2026-...)`. */
export function describeHolder(state: LockState): string {
  const o = state.ownerIsHolder ? state.owner : null;
  const pid = state.holderPid ?? o?.pid;
  if (pid === null || pid === undefined) return "another process (its pid is not visible here)";
  const user = o?.user ?? state.holder?.user ?? "unknown user";
  const parts = [`user ${user}`];
  if (o) parts.push(`port ${o.port}`, `profile ${o.profile ?? "default"}`, `started ${o.startedAt}`);
  else if (state.holder?.startedAtMs) parts.push(`started ${new Date(state.holder.startedAtMs).toISOString()}`, `command ${state.holder.command}`);
  return `pid ${pid} (${parts.join(", ")})`;
}
