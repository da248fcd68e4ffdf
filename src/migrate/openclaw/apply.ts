/**
 * The database part of an import, run inside one transaction of this brain's store (all or
 * nothing; a dry run rolls it back after counting): sessions with their transcripts, cron jobs
 * (checked and created by onebrain's own cron code) and pairing approvals. A session whose key
 * this brain already has is skipped; so is a job whose name is taken and a sender already
 * approved. Every transcript is read and converted one session at a time, so a long history
 * never sits in memory whole.
 */
import { checkJob, CronJobError, insertJob, setPaused, type JobContext } from "../../cron/jobs.ts";
import { formatInterval } from "../../cron/schedule.ts";
import { newPairingCode } from "../../channels/pairing.ts";
import type { StoreHandle } from "../../store/handle.ts";
import type { CronPlan } from "./cron.ts";
import type { MappedKey } from "./keys.ts";
import { plural, type Ledger } from "./report.ts";
import type { SourceSession } from "./snapshot.ts";
import { convertTranscript } from "./transcript.ts";

/** A source session and the onebrain key it goes under. */
export interface PlannedSession {
  source: SourceSession;
  mapped: MappedKey;
}

/** An approved sender for onebrain's pairings table. */
export interface PlannedPairing {
  channel: string;
  account: string;
  sender: string;
}

export interface ApplyPlan {
  sessions: PlannedSession[];
  cron: CronPlan[];
  pairings: PlannedPairing[];
  jobs: Omit<JobContext, "sessionExists" | "now">;
  now: number;
}

/** Older generations first, the key's current one last (it stays live). */
function order(a: PlannedSession, b: PlannedSession): number {
  if (a.source.current !== b.source.current) return a.source.current ? 1 : -1;
  return (a.source.startedAt ?? a.source.updatedAt ?? 0) - (b.source.startedAt ?? b.source.updatedAt ?? 0);
}

function importSessions(store: StoreHandle, sessions: readonly PlannedSession[], now: number, L: Ledger): void {
  const byKey = new Map<string, PlannedSession[]>();
  for (const s of sessions) byKey.set(s.mapped.key, [...(byKey.get(s.mapped.key) ?? []), s]);
  const insertSession = store.prepare(
    `INSERT INTO sessions (session_key, agent_id, channel, account, kind, peer, started_at, last_activity_at, ended_at, ended_reason, message_count)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
  );
  const insertLine = store.prepare("INSERT INTO messages (session_id, role, content, created_at, data) VALUES (?, ?, ?, ?, ?)");
  const left = new Map<string, number>();
  for (const [key, group] of byKey) {
    if (store.prepare("SELECT 1 FROM sessions WHERE session_key = ? LIMIT 1").get(key)) {
      L.left("sessions", `${key}${group.length > 1 ? ` (${group.length} sessions)` : ""}`, "this brain already has a session under that key: skipped");
      L.counts.sessionsSkipped += group.length;
      continue;
    }
    const converted = group.sort(order).map((s) => ({ s, c: s.source.lines ? convertTranscript(s.source.lines()) : null }));
    const usable = converted.filter((x) => x.c && x.c.lines.length > 0);
    for (const { s, c } of converted) {
      if (!c) L.left("sessions", `${s.source.key} (${s.source.where})`, s.source.missing ?? "no transcript");
      else if (!c.lines.length) L.left("sessions", `${s.source.key} (${s.source.where})`, "its transcript has no user or assistant lines");
      else continue;
      L.counts.sessionsLeft++;
    }
    usable.forEach(({ s, c }, i) => {
      const lines = c!.lines;
      const started = c!.startedAt ?? s.source.startedAt ?? lines[0]!.createdAt;
      const last = Math.max(started, c!.lastAt ?? s.source.updatedAt ?? started);
      const live = i === usable.length - 1;
      const m = s.mapped;
      const { id } = insertSession.get(
        key,
        m.agentId,
        m.channel,
        m.account,
        m.kind,
        m.peer,
        started,
        last,
        live ? null : last,
        live ? null : "reset",
        lines.length,
      ) as {
        id: number;
      };
      for (const l of lines) insertLine.run(id, l.role, l.content, l.createdAt, l.data);
      L.counts.sessions++;
      if (!live) L.counts.sessionsEnded++;
      L.counts.messages += lines.length;
      L.counts.toolLines += c!.toolLines;
      for (const [why, n] of c!.left) {
        left.set(why, (left.get(why) ?? 0) + n);
        L.counts.linesLeft += n;
      }
    });
    if (!usable.length) continue;
    const was = [...new Set(usable.map((x) => x.s.source.key).filter((k) => k !== key))];
    const merged = usable.some((x) => x.s.mapped.topicMerged) ? "forum topics and threads share their group's one session in onebrain" : undefined;
    L.took(
      "sessions",
      `${key}${was.length ? ` (was ${was.join(", ")})` : ""}: ${plural(
        usable.reduce((n, x) => n + x.c!.lines.length, 0),
        "line",
      )}${usable.length > 1 ? `, ${usable.length} sessions (older ones ended)` : ""}`,
      merged,
    );
  }
  for (const [why, n] of left) L.left("sessions", plural(n, "transcript line"), why);
}

function importCron(store: StoreHandle, plan: ApplyPlan, L: Ledger): void {
  const ctx: JobContext = {
    ...plan.jobs,
    now: plan.now,
    sessionExists: (key) => store.prepare("SELECT 1 FROM sessions WHERE session_key = ? LIMIT 1").get(key) !== undefined,
  };
  for (const p of plan.cron) {
    const what = `job ${JSON.stringify(p.from).slice(0, 70)}`;
    if (store.prepare("SELECT 1 FROM cron_jobs WHERE name = ?").get(p.input.name)) {
      L.left("cron", what, `this brain has a job named ${p.input.name} already: skipped`);
      L.counts.cronLeft++;
      continue;
    }
    let job;
    try {
      const checked = checkJob(p.input, ctx);
      if (p.anchor !== null && checked.schedule.kind === "every") checked.schedule = { ...checked.schedule, anchor: p.anchor };
      job = insertJob(store, checked);
    } catch (err) {
      if (!(err instanceof CronJobError)) throw err;
      L.left("cron", what, `onebrain refuses it: ${err.message}`);
      L.counts.cronLeft++;
      continue;
    }
    if (p.paused) setPaused(store, job.id, true, plan.now);
    L.counts.cronJobs++;
    const where = job.delivery.mode === "announce" ? `, announce ${job.delivery.channel}:${job.delivery.target}` : "";
    L.took("cron", `${job.name}: ${describe(p)}${where}${p.paused ? ", paused (disabled in OpenClaw)" : ""}`, p.notes.length ? p.notes.join("; ") : undefined);
  }
}

function describe(p: CronPlan): string {
  if (p.input.at) return `at ${p.input.at}`;
  if (p.input.every) return `every ${formatInterval(Number(p.input.every.replace("ms", "")))}`;
  return `cron ${p.input.cron ?? ""} (${p.input.tz ?? "UTC"})`;
}

function importPairings(store: StoreHandle, pairings: readonly PlannedPairing[], now: number, L: Ledger): void {
  const insert = store.prepare(
    `INSERT INTO pairings (channel, account, sender, sender_name, peer, code, created_at, expires_at, approved_at, approved_by)
     VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, 'import openclaw')`,
  );
  for (const p of pairings) {
    if (store.prepare("SELECT 1 FROM pairings WHERE channel = ? AND account = ? AND sender = ?").get(p.channel, p.account, p.sender)) {
      L.left("pairing", `${p.channel} ${p.sender}`, "already known to this brain: kept as it is");
      continue;
    }
    let code = newPairingCode();
    while (store.prepare("SELECT 1 FROM pairings WHERE channel = ? AND code = ?").get(p.channel, code)) code = newPairingCode();
    // A direct chat's peer is the sender (the private chat's id is the user's id on these platforms).
    insert.run(p.channel, p.account, p.sender, p.sender, code, now, now, now);
    L.counts.pairings++;
    L.took("pairing", `${p.channel} ${p.sender} approved`);
  }
}

/** Everything of the plan into `store`; call inside a transaction of `store`. */
export function applyToStore(store: StoreHandle, plan: ApplyPlan, L: Ledger): void {
  importSessions(store, plan.sessions, plan.now, L);
  importCron(store, plan, L);
  importPairings(store, plan.pairings, plan.now, L);
}
