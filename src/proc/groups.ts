/**
 * Process groups started for commands (the exec tool), killed whole: the group and every process
 * still in its session, since a member may move itself into a group of its own (`timeout` does,
 * job-control shells do) but cannot leave the session without `setsid`.
 *
 * A group left by a gateway that died is reaped at the next start from its record (leader pid and
 * start time): the leader must still be the same process, so a recycled pid is never signalled.
 */
import fs from "node:fs";
import { defaultProcFs, listPids, parseStartTicks, type ProcFs } from "./process.ts";

/** A started group as recorded: leader pid, group id, leader start time (ticks since boot). */
export interface GroupRecord {
  pid: number;
  pgid: number;
  startTime: number | null;
}

/** What reaping did with one record. */
export interface ReapOutcome {
  pid: number;
  pgid: number;
  /** killed: the group was signalled; gone: no leader; recycled: the pid is another process now; unknown: no start time recorded. */
  outcome: "killed" | "gone" | "recycled" | "unknown";
}

/** pgid, session and state of a /proc/PID/stat line (fields 3, 5 and 6). */
export function parseStatGroup(stat: string): { state: string; pgid: number; sid: number } {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0] ?? "", pgid: Number(fields[2]), sid: Number(fields[3]) };
}

function readStat(pid: number, procFs: ProcFs): string | null {
  try {
    return fs.readFileSync(`${procFs.procRoot}/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
}

/** The start time (field 22) of a live pid, or null when it cannot be read. */
export function readStartTicks(pid: number, procFs: ProcFs = defaultProcFs): number | null {
  const stat = readStat(pid, procFs);
  return stat === null ? null : parseStartTicks(stat);
}

/** Live (not zombie) pids in the group `pgid` or in the session it leads. */
export function groupMembers(pgid: number, procFs: ProcFs = defaultProcFs): number[] {
  const out: number[] = [];
  for (const pid of listPids(procFs)) {
    const stat = readStat(pid, procFs);
    if (stat === null) continue;
    const g = parseStatGroup(stat);
    if (g.state !== "Z" && (g.pgid === pgid || g.sid === pgid)) out.push(pid);
  }
  return out;
}

/** Sends `signal` to the group and to each process of its session outside it; never throws. */
export function signalGroup(pgid: number, signal: NodeJS.Signals, procFs: ProcFs = defaultProcFs): void {
  send(-pgid, signal);
  for (const pid of groupMembers(pgid, procFs)) send(pid, signal);
}

function send(target: number, signal: NodeJS.Signals): void {
  try {
    process.kill(target, signal);
  } catch {
    // Gone already (ESRCH) or not ours to signal (EPERM: a sudo'd child); nothing more to do.
  }
}

/** Kills each recorded group whose leader is still the recorded process (pid and start time). */
export function reapProcessGroups(records: readonly GroupRecord[], procFs: ProcFs = defaultProcFs): ReapOutcome[] {
  return records.map((r) => {
    const stat = readStat(r.pid, procFs);
    if (stat === null) return { pid: r.pid, pgid: r.pgid, outcome: "gone" };
    if (r.startTime === null) return { pid: r.pid, pgid: r.pgid, outcome: "unknown" };
    if (parseStartTicks(stat) !== r.startTime || parseStatGroup(stat).pgid !== r.pgid) return { pid: r.pid, pgid: r.pgid, outcome: "recycled" };
    signalGroup(r.pgid, "SIGKILL", procFs);
    return { pid: r.pid, pgid: r.pgid, outcome: "killed" };
  });
}
