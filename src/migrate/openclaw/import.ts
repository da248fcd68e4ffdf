/**
 * `onebrain import openclaw`: an OpenClaw (or Clawdbot, Moltbot) state dir into this brain, the
 * way `onebrain migrate` folds a brain in. Order of things:
 *   1. find the source and say why it is the one (source.ts);
 *   2. refuse while its gateway runs (running.ts);
 *   3. take this brain's lock (a real run), so no gateway of this brain starts meanwhile;
 *   4. read the source without changing a byte of it (read.ts: databases from private copies);
 *   5. plan: config, sessions, cron jobs, pairings, everything left reported (plan.ts);
 *   6. back up brain.db, then one transaction: sessions, transcripts, jobs, pairings, and inside
 *      it, last, the config's one atomic write (old file kept). A failure undoes both.
 * A dry run does steps 1, 2, 4, 5 and runs 6 on a private copy of brain.db, rolled back: its
 * counts are exact and nothing of this brain (not even a backup) is written.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { configuredAccounts } from "../../channels/inspect.ts";
import { parseConfigText, readConfigText } from "../../config/load.ts";
import { lockForMaintenance, type BrainLock } from "../../lock/brain-lock.ts";
import { describeHolder, inspectLock, type LockState } from "../../lock/inspect.ts";
import type { BrainPaths, Env } from "../../paths/paths.ts";
import type { ProcFs } from "../../proc/process.ts";
import { GatewayLockError, hasCode, OnebrainError } from "../../shared/errors.ts";
import { writeFileAtomic } from "../../shared/fs-atomic.ts";
import { backupBeforeChange, backupStore } from "../../store/backup.ts";
import { openStore } from "../../store/db.ts";
import { applyToStore } from "./apply.ts";
import { planConfig, writeConfig } from "./config-write.ts";
import { planImport } from "./plan.ts";
import { readOpenclawConfig } from "./read-config.ts";
import { readSnapshot } from "./read.ts";
import { Ledger, type ImportCounts, type SectionName, type SectionReport } from "./report.ts";
import { refuseIfRunning } from "./running.ts";
import { asObject, type Snapshot } from "./snapshot.ts";
import { findSource, openclawHome, type SourceDir } from "./source.ts";

export interface ImportOptions {
  /** This brain: where everything goes. */
  paths: BrainPaths;
  /** `--from DIR` (a state dir or its config file). */
  from?: string | undefined;
  /** `--profile NAME` of OpenClaw (~/.openclaw-NAME). */
  profile?: string | undefined;
  force?: boolean;
  dryRun?: boolean;
  env?: Env;
  now?: () => number;
  procFs?: ProcFs;
  tmpDir?: string;
}

/** Everything an import did (or a dry run would do), for text and --json. */
export interface ImportReport {
  source: SourceDir & { versions: Snapshot["versions"]; notes: string[] };
  to: string;
  configFile: string;
  dryRun: boolean;
  /** The backup of brain.db made first (null: dry run, or no database yet). */
  backup: string | null;
  /** The config as it was before, kept beside it (null: unchanged, dry run, or there was none). */
  configKeptAs: string | null;
  configWritten: boolean;
  sections: Record<SectionName, SectionReport>;
  counts: ImportCounts;
  next: string[];
}

const DRY_RUN = Symbol("dry run");

/** The ports the source's gateway would listen on: its config, the variables, else OpenClaw's default. */
function sourcePorts(config: Record<string, unknown> | null, env: Env): number[] {
  const ports: number[] = [];
  const port = asObject(config?.gateway)?.port;
  if (Number.isInteger(port)) ports.push(port as number);
  for (const v of [env.OPENCLAW_GATEWAY_PORT, env.CLAWDBOT_GATEWAY_PORT]) {
    const n = Number(/(\d+)\s*$/.exec(v ?? "")?.[1]);
    if (Number.isInteger(n) && n > 0 && n < 65536) ports.push(n);
  }
  return ports.length ? ports : [18789];
}

/** The raw object and text of this brain's config (a broken one is refused with its own error: it must be fixed first). */
function readMine(file: string): { text: string | undefined; raw: Record<string, unknown> } {
  const text = readConfigText(file);
  if (text === undefined) return { text, raw: {} };
  const raw = parseConfigText(text, file);
  return { text, raw: asObject(raw) ?? {} };
}

function removeWithSidecars(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) fs.rmSync(f, { force: true });
}

/** A private copy of this brain's database for a dry run (a fresh one when it has none). */
async function dryRunTarget(paths: BrainPaths, procFs: ProcFs | undefined): Promise<{ file: string; dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "onebrain-import-dry-"));
  const file = path.join(dir, "brain.db");
  if (!fs.existsSync(paths.storePath)) return { file, dir };
  // A running gateway writes it: take a consistent snapshot. Otherwise a plain copy, which touches nothing.
  if (inspectLock(paths.lockPath, paths.ownerPath, procFs).status === "held") await backupStore(paths.storePath, file);
  else {
    fs.copyFileSync(paths.storePath, file);
    if (fs.existsSync(`${paths.storePath}-wal`)) fs.copyFileSync(`${paths.storePath}-wal`, `${file}-wal`);
  }
  return { file, dir };
}

/** Runs an import; throws coded errors (IMPORT_SOURCE_*, GATEWAY_LOCK_HELD, IMPORT_FAILED, CONFIG_* of this brain's file). */
export async function importOpenclaw(o: ImportOptions): Promise<ImportReport> {
  const env = o.env ?? process.env;
  const now = (o.now ?? Date.now)();
  const dryRun = o.dryRun ?? false;
  const home = openclawHome(env, o.paths.home);
  const source = findSource({ from: o.from, profile: o.profile, env, home });
  const running = await refuseIfRunning({
    source,
    ports: sourcePorts(readOpenclawConfig(source.configFile).config, env),
    ...(o.tmpDir ? { tmpDir: o.tmpDir } : {}),
    ...(o.procFs ? { procFs: o.procFs } : {}),
  });
  // The source is read before this brain is touched: a source it cannot read changes nothing here.
  const snap = readSnapshot(source, { home, env });
  try {
    const lock: BrainLock | null = dryRun ? null : lockThisBrain(o.paths);
    try {
      const ledger = new Ledger();
      const plan = planImport(source, snap, { home, env, ledger });
      const mine = readMine(o.paths.configPath);
      const config = planConfig({
        file: o.paths.configPath,
        text: mine.text,
        mine: mine.raw,
        imported: plan.config,
        force: o.force ?? false,
        sourceDir: source.dir,
        ledger,
      });
      countSettings(ledger, plan.config, mine.raw, config.merged);
      const agentIds = config.parsed.agents.list.length ? config.parsed.agents.list.map((a) => a.id) : ["main"];
      const channels = [...configuredAccounts(config.parsed, env, o.paths.stateDir)];
      for (const c of plan.channelAccounts)
        if (!channels.some((x) => x.id === c.id) && config.parsed.channels[c.id as "telegram"]?.enabled !== false) channels.push(c);
      const applyPlan = { sessions: plan.sessions, cron: plan.cron, pairings: plan.pairings, jobs: { agentIds, channels }, now };

      let backup: string | null = null;
      let keptAs: string | null = null;
      let written = false;
      const target = dryRun ? await dryRunTarget(o.paths, o.procFs) : null;
      try {
        if (!target) backup = await backupBeforeChange(o.paths.storePath, o.paths.stateDir, now);
        const store = openStore(target?.file ?? o.paths.storePath);
        try {
          store.transaction(() => {
            applyToStore(store, applyPlan, ledger);
            if (dryRun) throw DRY_RUN;
            if (config.text !== null) {
              keptAs = writeConfig(o.paths.configPath, config.text, now);
              written = true;
            }
          });
        } catch (err) {
          if (err !== DRY_RUN) {
            if (written) undoConfig(o.paths.configPath, mine.text);
            throw failed(err, o.paths.storePath);
          }
        } finally {
          store.close();
        }
      } finally {
        if (target) {
          removeWithSidecars(target.file);
          fs.rmSync(target.dir, { recursive: true, force: true });
        }
      }
      nextSteps(ledger, o, dryRun, config.text !== null);
      return {
        source: { ...source, versions: snap.versions, notes: running.notes },
        to: o.paths.stateDir,
        configFile: o.paths.configPath,
        dryRun,
        backup,
        configKeptAs: keptAs,
        configWritten: written,
        sections: ledger.sections,
        counts: ledger.counts,
        next: ledger.next,
      };
    } finally {
      lock?.release();
    }
  } finally {
    snap.close();
  }
}

/** This brain's lock for the import, or GATEWAY_LOCK_HELD naming who holds it (its gateway must be stopped too). */
function lockThisBrain(paths: BrainPaths): BrainLock {
  try {
    return lockForMaintenance({ stateDir: paths.stateDir, configPath: paths.configPath, profile: paths.profile, home: paths.home });
  } catch (err) {
    if (!hasCode(err, "GATEWAY_LOCK_HELD")) throw err;
    const state = err.details.lock as LockState;
    throw new GatewayLockError(`Refusing to import: this brain (state dir ${paths.stateDir}) is held by ${describeHolder(state)}. Nothing was imported.`, {
      details: err.details,
      hint: `Stop this brain's gateway first${state.holderPid ? ` (onebrain gateway stop, or kill -TERM ${state.holderPid})` : ""}, then run the import again; --dry-run works while it runs.`,
      cause: err,
    });
  }
}

/** Agents and bindings the import adds (not those this brain had already, nor those it kept its own of). */
function countSettings(ledger: Ledger, imported: Record<string, unknown>, mine: Record<string, unknown>, merged: Record<string, unknown>): void {
  const list = (o: Record<string, unknown>) => (Array.isArray(asObject(o.agents)?.list) ? (asObject(o.agents)!.list as unknown[]) : []);
  const binds = (o: Record<string, unknown>) => (Array.isArray(o.bindings) ? o.bindings : []);
  const added = (get: (o: Record<string, unknown>) => unknown[]) =>
    get(imported).filter((a) => get(merged).some((m) => isDeepStrictEqual(m, a)) && !get(mine).some((m) => isDeepStrictEqual(m, a))).length;
  ledger.counts.agents = added(list);
  ledger.counts.bindings = added(binds);
}

/** Puts the config back as it was (the database transaction failed after the config was written). */
function undoConfig(file: string, text: string | undefined): void {
  try {
    if (text === undefined) fs.rmSync(file, { force: true });
    else writeFileAtomic(fs.realpathSync(file), text, { mode: 0o600 });
  } catch {
    // the kept copy (.before-import-*) still has it
  }
}

function failed(err: unknown, db: string): OnebrainError {
  if (err instanceof OnebrainError) return err;
  return new OnebrainError(
    "IMPORT_FAILED",
    `Cannot import into ${db}: ${(err as Error).message}. Nothing was imported: the database and the config are as they were.`,
    {
      details: { to: db },
      hint: "Fix the cause (disk space, permissions), then run the same command again.",
      cause: err,
    },
  );
}

function nextSteps(ledger: Ledger, o: ImportOptions, dryRun: boolean, configChanges: boolean): void {
  const from = o.from !== undefined ? ` --from ${o.from}` : o.profile !== undefined ? ` --profile ${o.profile}` : "";
  if (dryRun) {
    ledger.next.unshift(`run it for real: onebrain import openclaw${from}${o.force ? " --force" : ""}`);
    return;
  }
  ledger.todo("start this brain's gateway and check it: onebrain gateway (then onebrain status)");
  if (configChanges) ledger.todo("check the config: onebrain config validate");
  ledger.todo("keep OpenClaw's gateway stopped (disable its service: openclaw gateway uninstall), so the bots are answered once");
}
