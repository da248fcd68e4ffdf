/**
 * `onebrain migrate --from DIR`: fold another brain (a state dir) into this one, so that one
 * brain remains. Both brains must be stopped, and that is verified the only reliable way: this
 * process takes both brain locks and holds them throughout, so no gateway can start on either
 * meanwhile. Sessions and transcripts are imported in one transaction (all or nothing) after a
 * backup of this brain's database; config keys this file lacks are added (validated, atomic
 * write, the old file kept); workspace files this brain lacks are copied. Nothing in the other
 * dir is changed: its database is read from a copy.
 */
import fs from "node:fs";
import path from "node:path";
import { setConfigValue } from "../config/edit.ts";
import { parseConfigText, readConfigText, validateConfig } from "../config/load.ts";
import { lockForMaintenance, type BrainLock } from "../lock/brain-lock.ts";
import { describeHolder, type LockState } from "../lock/inspect.ts";
import { expandHome, type BrainPaths } from "../paths/paths.ts";
import { GatewayLockError, OnebrainError, hasCode } from "../shared/errors.ts";
import { backupBeforeChange, backupStore, fileStamp } from "../store/backup.ts";
import { openStore } from "../store/db.ts";
import { planConfigMerge, type SkippedKey } from "./config-merge.ts";
import { importSessions, type SessionImport } from "./sessions.ts";
import { copyWorkspace, type WorkspaceCopy } from "./workspace.ts";

export interface MigrateOptions {
  /** This brain: where everything goes. */
  paths: BrainPaths;
  /** The other brain's state dir (`~` is expanded). */
  from: string;
  /** Also replace what this brain already has. */
  force?: boolean;
  /** Plan and count, change nothing (the import runs and is rolled back, so its counts are exact). */
  dryRun?: boolean;
  now?: () => number;
}

/** What the config merge did. */
export interface ConfigMigration {
  from: string;
  to: string;
  added: string[];
  replaced: string[];
  skipped: SkippedKey[];
  /** The file as it was before the merge, kept beside it (null when nothing was written or there was no file). */
  keptAs: string | null;
  written: boolean;
}

/** Everything `migrate` did, for text and --json output. */
export interface MigrateReport {
  from: string;
  to: string;
  dryRun: boolean;
  /** The backup of this brain's database made before the import (null: dry run, or no database yet). */
  backup: string | null;
  /** Null when the other brain has no database. */
  sessions: SessionImport | null;
  /** Null when the other brain has no config file. */
  config: ConfigMigration | null;
  workspace: WorkspaceCopy;
  /** What to do now, one command or sentence each. */
  next: string[];
}

type RawConfig = Record<string, unknown>;

function sourceInvalid(message: string, from: string, hint: string): OnebrainError {
  return new OnebrainError("MIGRATE_SOURCE_INVALID", message, { details: { from }, hint });
}

/** Checks that `dir` is another brain's state dir; returns its real path. */
function checkSource(dir: string, self: BrainPaths): string {
  const st = fs.statSync(dir, { throwIfNoEntry: false });
  if (!st) throw sourceInvalid(`Cannot migrate from ${dir}: no such directory`, dir, "Give the other brain's state dir, e.g. `--from ~/.onebrain-old`.");
  if (!st.isDirectory())
    throw sourceInvalid(
      `Cannot migrate from ${dir}: it is not a directory`,
      dir,
      "Give the other brain's state dir (the folder holding brain.db and onebrain.json).",
    );
  const real = fs.realpathSync(dir);
  const selfReal = fs.existsSync(self.stateDir) ? fs.realpathSync(self.stateDir) : path.resolve(self.stateDir);
  if (real === selfReal) {
    throw sourceInvalid(
      `Cannot migrate from ${dir}: it is this brain's own state dir`,
      dir,
      "Select the brain to migrate into with `--profile NAME` or ONEBRAIN_STATE_DIR, and the other one with --from.",
    );
  }
  if (!fs.existsSync(path.join(real, "brain.db")) && !fs.existsSync(path.join(real, "onebrain.json"))) {
    throw sourceInvalid(
      `Cannot migrate from ${dir}: it holds no brain (neither brain.db nor onebrain.json)`,
      dir,
      "Give the other brain's state dir, e.g. `--from ~/.onebrain-old`.",
    );
  }
  return real;
}

/** Takes a brain's lock for this maintenance command, or explains who holds it. */
function lockBrain(stateDir: string, self: BrainPaths, which: "this" | "other", from: string): BrainLock {
  const configPath = which === "this" ? self.configPath : path.join(stateDir, "onebrain.json");
  try {
    return lockForMaintenance({ stateDir, configPath, profile: which === "this" ? self.profile : undefined, home: self.home });
  } catch (err) {
    if (!hasCode(err, "GATEWAY_LOCK_HELD")) throw err;
    const state = err.details.lock as LockState;
    const whose = which === "this" ? `this brain (state dir ${stateDir})` : `the brain at ${stateDir}`;
    throw new GatewayLockError(`Refusing to migrate: ${whose} is held by ${describeHolder(state)}. Both brains must be stopped.`, {
      details: { ...err.details, brain: which },
      hint: `Stop it first${state.holderPid ? ` (kill -TERM ${state.holderPid}, or stop its service)` : ""}, then run \`onebrain migrate --from ${from}\` again.`,
      cause: err,
    });
  }
}

/** A config file's raw object (null when there is no file); a broken file is reported with its own code, never merged. */
function readRaw(file: string): RawConfig | null {
  const text = readConfigText(file);
  if (text === undefined) return null;
  const raw = parseConfigText(text, file);
  validateConfig(raw, file);
  return (raw ?? {}) as RawConfig;
}

function removeWithSidecars(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) fs.rmSync(f, { force: true });
}

const DRY_RUN = Symbol("dry run");

/** Imports the other database into this one, from a copy of it; all or nothing. */
async function migrateDatabase(self: BrainPaths, sourceDb: string, opts: { force: boolean; dryRun: boolean; now: number }): Promise<SessionImport> {
  // A copy, so the old brain's file is never migrated or otherwise written by us.
  const copy = path.join(self.stateDir, `.migrate-source-${process.pid}-${opts.now}.db`);
  // A dry run into a brain without a database works on a scratch one, so it creates nothing.
  const scratch = opts.dryRun && !fs.existsSync(self.storePath) ? path.join(self.stateDir, `.migrate-target-${process.pid}-${opts.now}.db`) : null;
  await backupStore(sourceDb, copy);
  try {
    const source = openStore(copy);
    try {
      const target = openStore(scratch ?? self.storePath);
      try {
        let counted: SessionImport | undefined;
        try {
          target.transaction(() => {
            counted = importSessions(target, source, { force: opts.force, now: opts.now });
            if (opts.dryRun) throw DRY_RUN; // rolls the transaction back
          });
        } catch (err) {
          if (err !== DRY_RUN) throw err;
        }
        return counted!;
      } catch (err) {
        if (err instanceof OnebrainError) throw err;
        throw new OnebrainError(
          "MIGRATE_FAILED",
          `Cannot import sessions from ${sourceDb}: ${(err as Error).message}. Nothing was imported: this brain's database is unchanged.`,
          {
            details: { from: sourceDb, to: self.storePath },
            cause: err,
          },
        );
      } finally {
        target.close();
      }
    } finally {
      source.close();
    }
  } finally {
    removeWithSidecars(copy);
    if (scratch) removeWithSidecars(scratch);
  }
}

/** Writes the merged config: the old file kept as `<file>.before-migrate-<stamp>`, then each changed section validated and written atomically. */
function writeMergedConfig(file: string, merged: RawConfig, sections: string[], now: number): string | null {
  let keptAs: string | null = null;
  if (fs.existsSync(file)) {
    keptAs = `${file}.before-migrate-${fileStamp(new Date(now))}`;
    fs.copyFileSync(file, keptAs);
    fs.chmodSync(keptAs, 0o600);
  }
  for (const section of sections) setConfigValue(file, section, merged[section]);
  return keptAs;
}

/** Runs a migration; throws coded errors (lock held: GATEWAY_LOCK_HELD, bad source: MIGRATE_SOURCE_INVALID). */
export async function migrateBrain(opts: MigrateOptions): Promise<MigrateReport> {
  const now = (opts.now ?? Date.now)();
  const force = opts.force ?? false;
  const dryRun = opts.dryRun ?? false;
  const self = opts.paths;
  const from = checkSource(expandHome(opts.from, self.home), self);

  const locks: BrainLock[] = [];
  try {
    locks.push(lockBrain(self.stateDir, self, "this", opts.from));
    locks.push(lockBrain(from, self, "other", opts.from));

    // Everything that can refuse (broken configs, a merge that does not validate) comes before any change.
    const theirConfigFile = path.join(from, "onebrain.json");
    const theirs = readRaw(theirConfigFile);
    const mine = readRaw(self.configPath) ?? {};
    const merge = theirs ? planConfigMerge(mine, theirs, { force, otherStateDir: from }) : null;
    let mineValid;
    try {
      mineValid = validateConfig(merge?.merged ?? mine, self.configPath);
    } catch (err) {
      throw new OnebrainError("MIGRATE_FAILED", `The merged config would not be valid, so nothing was changed: ${(err as Error).message}`, {
        details: { from: theirConfigFile, to: self.configPath },
        hint: "Fix or remove the key named above in one of the two config files, then run the same command again.",
        cause: err,
      });
    }
    const theirsValid = validateConfig(theirs ?? {}, theirConfigFile);
    const theirWorkspace = path.resolve(theirsValid.agents.defaults.workspace ?? path.join(from, "workspace"));
    const myWorkspace = path.resolve(mineValid.agents.defaults.workspace ?? path.join(self.stateDir, "workspace"));

    let backup: string | null = null;
    const sourceDb = path.join(from, "brain.db");
    let sessions: SessionImport | null = null;
    if (fs.existsSync(sourceDb)) {
      if (!dryRun) backup = await backupBeforeChange(self.storePath, self.stateDir, now);
      sessions = await migrateDatabase(self, sourceDb, { force, dryRun, now });
    }

    let config: ConfigMigration | null = null;
    if (merge) {
      let keptAs: string | null = null;
      const write = !dryRun && merge.sections.length > 0;
      if (write) {
        try {
          keptAs = writeMergedConfig(self.configPath, merge.merged, merge.sections, now);
        } catch (err) {
          const done = sessions ? "Sessions were imported; " : "";
          throw new OnebrainError("MIGRATE_FAILED", `${done}the config ${self.configPath} could not be written: ${(err as Error).message}`, {
            details: { to: self.configPath, backup },
            hint: "Fix the cause (disk space, permissions), then run the same command again: imported sessions are recognised and skipped.",
            cause: err,
          });
        }
      }
      config = { from: theirConfigFile, to: self.configPath, added: merge.added, replaced: merge.replaced, skipped: merge.skipped, keptAs, written: write };
    }

    const workspace =
      theirWorkspace === myWorkspace
        ? { from: theirWorkspace, to: myWorkspace, copied: [], replaced: [], skipped: [] }
        : copyWorkspace(theirWorkspace, myWorkspace, { force, dryRun });

    return { from, to: self.stateDir, dryRun, backup, sessions, config, workspace, next: nextSteps(from, opts.from, dryRun, now) };
  } finally {
    for (const lock of locks.reverse()) lock.release();
  }
}

function nextSteps(from: string, given: string, dryRun: boolean, now: number): string[] {
  if (dryRun) return [`run it for real: onebrain migrate --from ${given}`];
  return [
    "start this brain and check the imported sessions: onebrain gateway (then onebrain status)",
    `archive the old state dir so that nothing starts it again: mv ${from} ${from}.archived-${fileStamp(new Date(now)).slice(0, 8)}   (or remove it: rm -r ${from})`,
    "remove any service or cron job that still starts the old brain",
  ];
}
