/** `onebrain doctor [--json] [--deep] [--fix [--yes]] [--url URL]`: checks of this brain and this host; read-only unless --fix. */
import { runDoctor, type DoctorReport, type Status } from "../../diagnostics/doctor/index.ts";
import { errorCatalog, OnebrainError } from "../../shared/errors.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";
import { printJson, printLines } from "../output.ts";

const MARK = { ok: "✓", warn: "!", fail: "✗" } as const;

/** One line per check, grouped; fix hints only under warnings and failures. */
export function renderDoctor(r: DoctorReport): string[] {
  const n = (s: string) => r.checks.filter((c) => c.status === s).length;
  const summary =
    r.worst === "ok"
      ? `all ${r.checks.length} checks ok`
      : [n("fail") ? `${n("fail")} failed` : "", n("warn") ? `${n("warn")} warning(s)` : ""].filter(Boolean).join(", ");
  const lines = [`onebrain doctor: ${summary} (${r.ms} ms)`];
  const width = Math.max(...r.checks.map((c) => c.id.length));
  let group = "";
  for (const c of r.checks) {
    if (c.group !== group) lines.push((group = c.group));
    lines.push(`  ${MARK[c.status]} ${c.id.padEnd(width)}  ${c.finding}`);
    if (c.fix) lines.push(`  ${" ".repeat(width + 4)}fix: ${c.fix}`);
  }
  if (r.fixed) {
    if (r.fixed.length)
      lines.push(`fixed (backup and undo.sh in ${r.backupDir})`, ...r.fixed.map((f) => `  - ${f.action} ${f.path}: ${f.before} -> ${f.after}`));
    else lines.push("fixed: nothing");
    if (r.skipped?.length) lines.push("not fixed", ...r.skipped.map((s) => `  - ${s}`));
  }
  return lines;
}

/** The exit code of a report's worst status: 0, 30 (DOCTOR_WARN) or 31 (DOCTOR_FAIL). */
export function exitCodeFor(worst: Status): number {
  return worst === "fail" ? errorCatalog.DOCTOR_FAIL.exitCode : worst === "warn" ? errorCatalog.DOCTOR_WARN.exitCode : 0;
}

/** The command. */
export default async function doctorCommand(
  global: GlobalOptions,
  opts: { json?: boolean; deep?: boolean; fix?: boolean; yes?: boolean; url?: string; timeout?: string },
): Promise<void> {
  if (opts.yes && !opts.fix)
    throw new OnebrainError("USAGE", "--yes only goes with --fix", { hint: "Run `onebrain doctor --fix --yes`, or `onebrain doctor` to only look." });
  const timeoutMs = Number(opts.timeout ?? 3000);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100)
    throw new OnebrainError("USAGE", `Cannot use ${JSON.stringify(opts.timeout)} as --timeout: expected milliseconds, at least 100`);
  const report = await runDoctor({
    paths: brainPaths(global),
    deep: Boolean(opts.deep),
    fix: Boolean(opts.fix),
    yes: Boolean(opts.yes),
    url: opts.url,
    timeoutMs,
  });
  if (opts.json) printJson(report);
  else printLines(renderDoctor(report));
  process.exitCode = exitCodeFor(report.worst);
}
