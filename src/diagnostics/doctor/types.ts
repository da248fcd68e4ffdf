/**
 * The doctor's extension point: a check reads the shared facts of a `DoctorContext` and returns
 * findings (id, status, one-line finding, fix hint), optionally with safe repairs that only
 * `doctor --fix` applies. Every check is listed in registry.ts and passes the contract test
 * (test/doctor/contract.test.ts): one line per finding, a fix for every warn/fail, no secret ever
 * printed, nothing written.
 */
import type { Config } from "../../config/schema.ts";
import type { LockState } from "../../lock/inspect.ts";
import type { BrainPaths, Env } from "../../paths/paths.ts";
import type { PortPlan } from "../../paths/ports.ts";
import type { ProcFs } from "../../proc/process.ts";
import type { AuthSettings } from "../../server/auth.ts";
import type { CheckResult } from "../checks.ts";
import type { HostScan } from "./host-scan.ts";
import type { StateDirScan } from "./state-dirs.ts";
import type { UnitDir } from "./unit-file.ts";

export type Status = CheckResult["status"];

/** Groups keep the text output in a few short blocks. */
export type DoctorGroup = "brains" | "this brain" | "security" | "environment" | "proxy";

/** What one applied fix changed, so it can be reverted by hand (see `undo.sh` in the backup dir). */
export interface FixRecord {
  check: string;
  action: string;
  path: string;
  before: string;
  after: string;
  /** Where the previous content was put, for a removal. */
  backup?: string;
}

/** Records fixes and keeps backups; implemented in fix.ts. */
export interface FixJournalLike {
  /** The backup dir of this run, created on first use (0700). */
  backupDir(): string;
  record(r: FixRecord): void;
}

/** A fix for one finding. `apply` re-checks its precondition first and returns null when it no longer holds. */
export interface Repair {
  /** In words, for the list of changes: `chmod 600 /home/ada/.onebrain/onebrain.json (was 0644)`. */
  describe: string;
  /** True for fixes that stop a process or edit a service: applied only with `--fix --yes`. */
  needsYes: boolean;
  apply(journal: FixJournalLike): FixRecord | null;
}

/** One finding of a check. `details` is JSON for `--json` (never a secret); `repairs` is never serialised. */
export interface Finding extends CheckResult {
  details?: unknown;
  repairs?: Repair[];
}

/** A finding as reported: with its group. */
export interface DoctorResult extends Finding {
  group: DoctorGroup;
}

/** This brain as this CLI resolves it: config, ports, auth, and the lock seen from /proc. */
export interface BrainFacts {
  config: Readonly<Config> | null;
  /** The raw parsed config (JSON5), for credential fingerprints; undefined when missing or broken. */
  raw: unknown;
  configExists: boolean;
  configError: { code: string; message: string; hint: string | undefined } | null;
  /** The ports in use: the running owner's, else the configured ones; null when the config is broken. */
  plan: PortPlan | null;
  auth: AuthSettings | null;
  lock: LockState;
}

/** Everything a check may read. Shared facts are computed once, on first use, and reused by every check. */
export interface DoctorContext {
  readonly paths: BrainPaths;
  readonly env: Env;
  readonly procFs: ProcFs;
  readonly now: number;
  /** The uid this doctor runs as (state dir ownership is compared with it). */
  readonly uid: number;
  readonly homes: readonly string[];
  readonly unitDirs: readonly UnitDir[];
  readonly mountInfoFile: string;
  /** "Recent activity" of a state dir: a write within this many ms. */
  readonly recentMs: number;
  readonly url: string | undefined;
  readonly deep: boolean;
  readonly timeoutMs: number;
  /** Upper bound of the idle wait through a proxy under --deep. */
  readonly idleCapMs: number;
  host(): HostScan;
  brain(): BrainFacts;
  stateDirs(): StateDirScan;
}

/** A doctor check: one concern, one or more findings. */
export interface DoctorCheck {
  /** The id of its findings (a check with several findings uses `id.sub`). */
  id: string;
  group: DoctorGroup;
  /** One line for docs/doctor.md. */
  title: string;
  /** False to skip (e.g. the proxy check without --url). Default: runs. */
  applies?(ctx: DoctorContext): boolean;
  /** Network checks start first so their waiting overlaps the /proc and file reads of the others. */
  slow?: boolean;
  run(ctx: DoctorContext): Finding[] | Promise<Finding[]>;
}

/** `0644` */
export const octal = (mode: number): string => `0${(mode & 0o777).toString(8).padStart(3, "0")}`;

/** `3m`, `2h`, `5d`: an age that fits in a finding. */
export function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m}m`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.round(h / 24)}d`;
}
