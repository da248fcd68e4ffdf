/** `onebrain migrate --from DIR`: fold another (stopped) brain into this (stopped) one. */
import { migrateBrain, type MigrateReport } from "../../migrate/migrate.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";
import { printJson, printLines, rows, withProfile } from "../output.ts";

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function sessionLines(r: MigrateReport): Array<[string, string]> {
  const s = r.sessions;
  if (!s) return [["sessions", "none: the other brain has no database"]];
  const sessions = [`${s.sessions.imported} imported`];
  if (s.sessions.endedOnImport) sessions.push(`${s.sessions.endedOnImport} of them as ended (this brain has a live session under the same key)`);
  if (s.sessions.replaced) sessions.push(`${s.sessions.replaced} replaced (--force)`);
  if (s.sessions.alreadyHere) sessions.push(`${s.sessions.alreadyHere} already here, skipped (--force replaces them)`);
  const out: Array<[string, string]> = [
    ["sessions", sessions.join(", ")],
    [
      "messages",
      `${s.messages} transcript lines, ${plural(s.runs, "run")}, ${plural(s.inbound.imported, "inbound message")}${s.inbound.alreadyHere ? ` (${s.inbound.alreadyHere} already here, reused)` : ""}`,
    ],
  ];
  if (s.unfinished.runsInterrupted || s.unfinished.inboundFailed)
    out.push(["unfinished", `${plural(s.unfinished.runsInterrupted, "run")} left running there imported as interrupted; not run again here`]);
  if (s.leftBehind.unansweredMessages || s.leftBehind.undeliveredReplies) {
    out.push([
      "left behind",
      `${plural(s.leftBehind.unansweredMessages, "queued message")} never answered, ${plural(s.leftBehind.undeliveredReplies, "reply", "replies")} never delivered (not carried over)`,
    ]);
  }
  if (s.cursors.imported || s.cursors.replaced || s.cursors.alreadyHere)
    out.push(["cursors", `${s.cursors.imported} imported, ${s.cursors.replaced} replaced, ${s.cursors.alreadyHere} already here`]);
  return out;
}

function configLines(r: MigrateReport): Array<[string, string]> {
  const c = r.config;
  if (!c) return [["config", "none: the other brain has no config file"]];
  const out: Array<[string, string]> = [["config", c.added.length ? `added ${c.added.join(", ")}` : "nothing to add"]];
  if (c.replaced.length) out.push(["", `replaced ${c.replaced.join(", ")} (--force)`]);
  for (const s of c.skipped) out.push(["", `skipped ${s.key}: ${s.reason}`]);
  if (c.keptAs) out.push(["", `the previous file is kept as ${c.keptAs}`]);
  return out;
}

function workspaceLines(r: MigrateReport): Array<[string, string]> {
  const w = r.workspace;
  if (w.from === w.to) return [["workspace", `shared (${w.to}): nothing to copy`]];
  const out: Array<[string, string]> = [["workspace", w.copied.length ? `copied ${w.copied.join(", ")}` : "nothing to copy"]];
  if (w.replaced.length) out.push(["", `replaced ${w.replaced.join(", ")} (--force)`]);
  for (const s of w.skipped) out.push(["", `skipped ${s.file}: ${s.reason}`]);
  return out;
}

/** The command. */
export default async function migrateCommand(global: GlobalOptions, opts: { from?: string; force?: boolean; dryRun?: boolean; json?: boolean }): Promise<void> {
  const r = await migrateBrain({ paths: brainPaths(global), from: opts.from!, force: Boolean(opts.force), dryRun: Boolean(opts.dryRun) });
  if (opts.json) return printJson({ ok: true, ...r, next: r.next.map((n) => withProfile(n)) });
  printLines([
    r.dryRun ? `migrate (dry run, nothing changed): would move ${r.from} into ${r.to}` : `migrate: moved ${r.from} into ${r.to}`,
    ...rows([
      ...sessionLines(r),
      ...configLines(r),
      ...workspaceLines(r),
      ["backup", r.backup ?? (r.dryRun ? "none (dry run)" : "none (this brain had no database)")],
    ]),
    ...r.next.map((n) => `next: ${n}`),
  ]);
}
