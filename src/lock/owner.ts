/**
 * The owner record: who holds the brain, for diagnostics only. The decision is always the
 * kernel lock; this file may be stale, missing or lying, and every reader must cope.
 */
import fs from "node:fs";
import os from "node:os";
import { writeFileAtomic } from "../shared/fs-atomic.ts";
import { readProcessInfo, type ProcFs, defaultProcFs } from "../proc/process.ts";

export interface OwnerRecord {
  schema: 1;
  pid: number;
  /** With pid, names the process uniquely even after pid recycling. */
  startTicks: number | null;
  user: string;
  uid: number;
  hostname: string;
  home: string;
  stateDir: string;
  configPath: string;
  profile: string | null;
  port: number;
  bindHosts: string[];
  version: string;
  startedAt: string;
  argv: string[];
  /** A random id per start, so a client can tell that the gateway was replaced. */
  instanceId: string;
  phase: "starting" | "running" | "stopping";
  /** Which source won for port, bind and auth (flag, env, file, profile, default); never a secret. */
  sources?: { port: OwnerSource; bind: OwnerSource; auth: OwnerSource };
  /** Set while the config file is missing, unreadable or invalid and the last good config runs. */
  configProblem?: { kind: string; code: string; since: string; message: string; summary: string } | null;
}

/** A value and where it came from, as src/config/effective.ts decides it. */
export interface OwnerSource {
  value: string | number;
  source: string;
  from: string;
}

const SECRET_FLAGS = new Set(["--token", "--password"]);

/** argv with the values of secret flags masked, so the record never stores a secret. */
export function redactArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf("=");
    if (eq > 0 && SECRET_FLAGS.has(a.slice(0, eq))) out.push(`${a.slice(0, eq)}=…`);
    else if (SECRET_FLAGS.has(a) && i + 1 < argv.length) {
      out.push(a, "…");
      i++;
    } else out.push(a);
  }
  return out;
}

export interface OwnerFacts {
  stateDir: string;
  configPath: string;
  profile: string | undefined;
  port: number;
  bindHosts: string[];
  version: string;
  instanceId: string;
  home: string;
  sources?: OwnerRecord["sources"];
}

/** Builds this process's owner record from the facts given and /proc. */
export function ownerRecordFor(facts: OwnerFacts, procFs: ProcFs = defaultProcFs, now = new Date()): OwnerRecord {
  const me = readProcessInfo(process.pid, procFs);
  const info = os.userInfo();
  return {
    schema: 1,
    pid: process.pid,
    startTicks: me?.startTicks ?? null,
    user: info.username,
    uid: info.uid,
    hostname: os.hostname(),
    home: facts.home,
    stateDir: facts.stateDir,
    configPath: facts.configPath,
    profile: facts.profile ?? null,
    port: facts.port,
    bindHosts: facts.bindHosts,
    version: facts.version,
    startedAt: now.toISOString(),
    argv: redactArgv(process.argv),
    instanceId: facts.instanceId,
    ...(facts.sources ? { sources: facts.sources } : {}),
    phase: "starting",
  };
}

/** Writes the record atomically, 0600 (it names paths and users, though never secrets). */
export function writeOwnerRecord(file: string, record: OwnerRecord): void {
  writeFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600, forceMode: true });
}

/** Reads the record; null when missing or unreadable or not a record (all are normal states). */
export function readOwnerRecord(file: string): OwnerRecord | null {
  try {
    const v = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<OwnerRecord>;
    return v && v.schema === 1 && typeof v.pid === "number" ? (v as OwnerRecord) : null;
  } catch {
    return null;
  }
}

/** Removes the record only if it still names this process, so a newer owner's record survives. */
export function removeOwnerRecordIfMine(file: string, pid = process.pid): void {
  const rec = readOwnerRecord(file);
  if (rec && rec.pid === pid) {
    try {
      fs.unlinkSync(file);
    } catch {
      // Already gone: nothing to do.
    }
  }
}

/** True when the record's pid is alive and is the same process (start time matches), not a recycled pid. */
export function ownerProcessMatches(rec: OwnerRecord, procFs: ProcFs = defaultProcFs): boolean {
  const info = readProcessInfo(rec.pid, procFs);
  if (!info) return false;
  return rec.startTicks === null || info.startTicks === null || rec.startTicks === info.startTicks;
}
