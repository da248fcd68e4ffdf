/**
 * `onebrain import openclaw [--from DIR | --profile NAME] [--force] [--dry-run] [--json]`: an
 * OpenClaw (Clawdbot, Moltbot) state dir into this brain. `--profile` after `import` names
 * OpenClaw's profile (~/.openclaw-NAME); before it (or ONEBRAIN_PROFILE) it names this brain, as
 * everywhere else. Commander hands both to the global option, so they are told apart here by
 * where they stand, as the browser commands do.
 */
import { importOpenclaw, type ImportReport } from "../../migrate/openclaw/import.ts";
import { SECTIONS, plural, type ReportItem } from "../../migrate/openclaw/report.ts";
import { resolvePaths } from "../../paths/paths.ts";
import { hintProfileOf } from "../brain.ts";
import { profilesAround } from "../profile-argv.ts";
import { printJson, printLines, setHintProfile, withProfile } from "../output.ts";

/** The brain profile (before `import`) and OpenClaw's (after it) from a command line. */
export function splitImportProfiles(argv: readonly string[]): { brain: string | undefined; openclaw: string | undefined } {
  const p = profilesAround(argv, "import");
  return { brain: p.brain, openclaw: p.command };
}

const MAX_ITEMS = 3;

function items(list: readonly ReportItem[], withWhy: boolean): string[] {
  const shown = list.slice(0, MAX_ITEMS).map((i) => (withWhy && i.why ? `${i.what}: ${i.why}` : i.what));
  if (list.length > MAX_ITEMS) shown.push(`(+${list.length - MAX_ITEMS} more: --json lists all)`);
  return shown;
}

function countsLine(r: ImportReport): string {
  const c = r.counts;
  const extra = [
    c.sessionsEnded ? `${c.sessionsEnded} of them ended` : "",
    c.sessionsSkipped ? `${c.sessionsSkipped} skipped: key already here` : "",
    c.sessionsLeft ? `${c.sessionsLeft} left` : "",
  ].filter(Boolean);
  return [
    `${plural(c.sessions, "session")}${extra.length ? ` (${extra.join("; ")})` : ""}`,
    `${plural(c.messages, "transcript line")} (${c.toolLines} tool)${c.linesLeft ? `, ${c.linesLeft} lines left` : ""}`,
    `${plural(c.cronJobs, "cron job")}${c.cronLeft ? ` (${c.cronLeft} left)` : ""}`,
    plural(c.pairings, "approved sender"),
    `${plural(c.agents, "agent")}, ${plural(c.bindings, "binding")} and ${plural(c.configKeys, "config key")} set`,
  ].join("; ");
}

/** The report in a screen: a few lines per section. */
export function reportLines(r: ImportReport): string[] {
  const s = r.source;
  const head = r.dryRun ? "import openclaw (dry run: nothing was written)" : "import openclaw";
  const out = [
    `${head}: ${s.dir} -> ${r.to}`,
    `  source    ${s.product}, ${s.layout === "sqlite" ? "SQLite layout" : "file layout"}${typeof s.versions.app === "string" ? ` (${s.versions.app.split("\n")[0]})` : ""}; chosen by ${s.why}${s.configFile ? `; config ${s.configFile}` : "; no config file"}`,
  ];
  if (s.others.length) out.push(`            also found: ${s.others.join(", ")} (use --from to import that one)`);
  for (const n of s.notes) out.push(`            ${n}`);
  for (const name of SECTIONS) {
    const sec = r.sections[name];
    if (!sec.took.length && !sec.left.length) continue;
    const label = name.padEnd(9);
    if (sec.took.length) out.push(`  ${label} took: ${items(sec.took, false).join("; ")}`);
    items(sec.left, true).forEach((l, i) => out.push(`  ${i === 0 && !sec.took.length ? label : "".padEnd(9)} left: ${l}`));
  }
  out.push(`  counts    ${countsLine(r)}`);
  if (!r.dryRun) {
    out.push(`  backup    ${r.backup ?? "none (this brain had no database yet)"}`);
    out.push(`  config    ${r.configWritten ? `written to ${r.configFile}${r.configKeptAs ? ` (the old one kept as ${r.configKeptAs})` : ""}` : "unchanged"}`);
  }
  return [...out, ...r.next.map((n) => `next: ${n}`)];
}

/** The command. */
export default async function importOpenclawCommand(
  _global: unknown,
  opts: { from?: string; force?: boolean; dryRun?: boolean; json?: boolean },
): Promise<void> {
  const split = splitImportProfiles(process.argv.slice(2));
  setHintProfile(hintProfileOf(split.brain));
  const paths = resolvePaths({ profile: split.brain });
  const r = await importOpenclaw({ paths, from: opts.from, profile: split.openclaw, force: Boolean(opts.force), dryRun: Boolean(opts.dryRun) });
  if (opts.json) return printJson({ ok: true, ...r, next: r.next.map((n) => withProfile(n)) });
  printLines(reportLines(r));
}
