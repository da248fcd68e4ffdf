/**
 * `runDoctor`: every check against one shared context, concurrently where they wait on the
 * network; a crashing check is a failure of that check, not of doctor. Read-only unless `fix`:
 * then the safe repairs of the findings are applied (those that stop a process or edit a
 * service only with `yes`), recorded with a backup, and the checks that had them run again.
 */
import { createContext, type DoctorOptions } from "./context.ts";
import { FixJournal } from "./fix.ts";
import { doctorChecks } from "./registry.ts";
import type { DoctorCheck, DoctorContext, DoctorResult, FixRecord, Status } from "./types.ts";

export interface DoctorRunOptions extends DoctorOptions {
  fix?: boolean;
  yes?: boolean;
  checks?: readonly DoctorCheck[];
}

/** One finding as printed by `--json`. */
export interface ReportedCheck {
  id: string;
  group: DoctorResult["group"];
  status: Status;
  finding: string;
  fix?: string;
  details?: unknown;
}

export interface DoctorReport {
  /** True when every check is ok. */
  ok: boolean;
  worst: Status;
  checks: ReportedCheck[];
  /** With --fix: what was changed. */
  fixed?: FixRecord[];
  /** With --fix: repairs left out (they need --yes) or no longer needed. */
  skipped?: string[];
  /** With --fix: where the backup and undo.sh are. */
  backupDir?: string | null;
  ms: number;
}

const RANK: Record<Status, number> = { ok: 0, warn: 1, fail: 2 };

/** The worst status of a list (ok for none). */
export function worstOf(statuses: Iterable<Status>): Status {
  let worst: Status = "ok";
  for (const s of statuses) if (RANK[s] > RANK[worst]) worst = s;
  return worst;
}

/** Runs the given checks; slow (network) ones start first, results keep the registry order. */
export async function runChecks(ctx: DoctorContext, checks: readonly DoctorCheck[] = doctorChecks): Promise<DoctorResult[]> {
  const active = checks.filter((c) => c.applies?.(ctx) ?? true);
  const order = [...active.filter((c) => c.slow), ...active.filter((c) => !c.slow)];
  const pending = new Map<DoctorCheck, Promise<DoctorResult[]>>();
  for (const c of order) {
    pending.set(
      c,
      (async () => {
        try {
          return (await c.run(ctx)).map((f) => ({ ...f, group: c.group }));
        } catch (err) {
          const e = err as Error & { code?: string };
          if (e.code === "USAGE") throw err;
          return [
            {
              id: c.id,
              group: c.group,
              status: "fail" as const,
              finding: `check crashed: ${e.message}`,
              fix: "please report this with the output of `onebrain doctor --json`",
            },
          ];
        }
      })(),
    );
  }
  const out: DoctorResult[] = [];
  for (const c of active) out.push(...(await pending.get(c)!));
  return out;
}

const report = (r: DoctorResult): ReportedCheck => ({
  id: r.id,
  group: r.group,
  status: r.status,
  finding: r.finding,
  ...(r.fix && r.status !== "ok" ? { fix: r.fix } : {}),
  ...(r.details !== undefined ? { details: r.details } : {}),
});

/** Runs doctor. */
export async function runDoctor(o: DoctorRunOptions): Promise<DoctorReport> {
  const t0 = performance.now();
  const checks = o.checks ?? doctorChecks;
  let results = await runChecks(createContext(o), checks);
  let fixInfo: Pick<DoctorReport, "fixed" | "skipped" | "backupDir"> = {};
  if (o.fix) {
    const journal = new FixJournal(o.paths.stateDir, o.now ?? Date.now());
    const fixed: FixRecord[] = [];
    const skipped: string[] = [];
    const touched = new Set<string>();
    for (const r of results) {
      for (const repair of r.repairs ?? []) {
        if (repair.needsYes && !o.yes) {
          skipped.push(`${repair.describe} (needs --yes)`);
          continue;
        }
        const done = repair.apply(journal);
        if (done) {
          fixed.push(done);
          touched.add(r.id);
        } else skipped.push(`${repair.describe} (no longer needed)`);
      }
    }
    fixInfo = { fixed, skipped, backupDir: journal.finish() };
    if (touched.size) {
      // Show the state after the fixes: run again the checks that changed something.
      const belongs = (r: { id: string }, c: DoctorCheck) => r.id === c.id || r.id.startsWith(`${c.id}.`);
      const again = checks.filter((c) => [...touched].some((id) => belongs({ id }, c)));
      const fresh = await runChecks(createContext(o), again);
      results = checks.flatMap((c) => (again.includes(c) ? fresh : results).filter((r) => belongs(r, c)));
    }
  }
  const worst = worstOf(results.map((r) => r.status));
  return { ok: worst === "ok", worst, checks: results.map(report), ...fixInfo, ms: Math.round(performance.now() - t0) };
}
