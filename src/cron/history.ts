/**
 * Occurrences of cron jobs: fired (a row claimed in the transaction that submits the message),
 * missed (spans), and what became of each fired one, read from its run and its reply:
 *   running   -> the run goes on, or its reply is being delivered;
 *   delivered -> the reply reached the channel (announce);  done -> the run answered (no delivery);
 *   failed    -> the run failed, or its reply could not be delivered;
 *   unknown   -> the run was cut by a restart or its timeout: it may have acted; never retried.
 */
import { submitMessage, submittedState } from "../brain/submit.ts";
import type { CronOccurrenceState, CronOccurrenceView } from "../protocol/cron.ts";
import type { StoreHandle } from "../store/handle.ts";
import { jobSessionKey, type CronJob } from "./jobs.ts";
import type { MissedSpan } from "./occurrences.ts";

/** An occurrence and its states, as the wire shows them (src/protocol/cron.ts). */
export type Occurrence = CronOccurrenceView;
export type OccurrenceState = CronOccurrenceState;

/**
 * Fires one occurrence (inside the caller's transaction): the row UNIQUE (job, time) and the
 * message, together. Returns null when that occurrence was already fired: nothing is written.
 */
export function fireOccurrence(
  store: StoreHandle,
  job: CronJob,
  scheduledFor: number,
  now: number,
  manual = false,
): { occurrenceId: number; inboundId: number } | null {
  const row = store
    .prepare(
      `INSERT INTO cron_runs (job_id, scheduled_for, state, manual, fired_at) VALUES (?, ?, 'running', ?, ?)
       ON CONFLICT (job_id, scheduled_for) DO NOTHING RETURNING id`,
    )
    .get(job.id, scheduledFor, manual ? 1 : 0, now) as { id: number } | undefined;
  if (!row) return null;
  const { inboundId } = submitMessage(store, {
    source: "cron",
    account: job.id,
    messageId: String(scheduledFor),
    sessionKey: jobSessionKey(job),
    text: job.message,
    sender: `cron:${job.name}`,
    reply: job.delivery.mode === "announce" ? { channel: job.delivery.channel, account: job.delivery.account, target: job.delivery.target } : null,
    timeoutSeconds: job.timeoutSeconds,
    onInterrupt: job.retryUnknown ? "resume" : "abandon",
    now,
  });
  store.prepare("UPDATE cron_runs SET inbound_id = ? WHERE id = ?").run(inboundId, row.id);
  return { occurrenceId: row.id, inboundId };
}

/** Records occurrences that will not run (inside the caller's transaction). */
export function recordMissed(store: StoreHandle, jobId: string, spans: readonly MissedSpan[], note: string, now: number): void {
  const insert = store.prepare(
    `INSERT INTO cron_runs (job_id, scheduled_for, last_for, count, state, ended_at, note) VALUES (?, ?, ?, ?, 'missed', ?, ?)
     ON CONFLICT (job_id, scheduled_for) DO NOTHING`,
  );
  for (const s of spans) insert.run(jobId, s.from, s.count > 1 ? s.to : null, s.count, now, note);
}

/** The state a fired occurrence has reached, from its message's run and reply. */
export function stateOf(store: StoreHandle, inboundId: number): { state: OccurrenceState; note: string | null; endedAt: number | null } {
  const s = submittedState(store, inboundId);
  if (!s || s.inbound === "pending" || s.inbound === "running" || !s.run) return { state: "running", note: null, endedAt: null };
  const ended = s.run.endedAt;
  if (s.run.state === "interrupted")
    return { state: "unknown", note: "cut by a restart or its timeout: it may have acted, and is not run again", endedAt: ended };
  if (s.run.state === "aborted") return { state: "unknown", note: "stopped by the operator", endedAt: ended };
  if (s.run.state === "failed") return { state: "failed", note: s.run.error, endedAt: ended };
  if (!s.reply) return { state: "done", note: null, endedAt: ended };
  if (s.reply.state === "pending") return { state: "running", note: "delivering", endedAt: null };
  if (s.reply.state === "failed") return { state: "failed", note: `not delivered: ${s.reply.error ?? "failed"}`, endedAt: ended };
  return { state: "delivered", note: null, endedAt: ended };
}

/** Brings every running occurrence up to date (one write); returns those that ended now. */
export function syncOccurrences(store: StoreHandle, now: number): Array<{ id: number; jobId: string; state: OccurrenceState }> {
  return store.transaction(() => {
    const open = store.prepare("SELECT id, job_id AS jobId, inbound_id AS inboundId FROM cron_runs WHERE state = 'running'").all() as Array<{
      id: number;
      jobId: string;
      inboundId: number | null;
    }>;
    const ended: Array<{ id: number; jobId: string; state: OccurrenceState }> = [];
    for (const o of open) {
      if (o.inboundId === null) continue;
      const s = stateOf(store, o.inboundId);
      if (s.state === "running") continue;
      store.prepare("UPDATE cron_runs SET state = ?, note = ?, ended_at = ? WHERE id = ? AND state = 'running'").run(s.state, s.note, s.endedAt ?? now, o.id);
      ended.push({ id: o.id, jobId: o.jobId, state: s.state });
    }
    return ended;
  });
}

interface OccurrenceRow {
  id: number;
  job_id: string;
  scheduled_for: number;
  last_for: number | null;
  count: number;
  state: OccurrenceState;
  manual: number;
  inbound_id: number | null;
  fired_at: number | null;
  ended_at: number | null;
  note: string | null;
}

function fromRow(r: OccurrenceRow): Occurrence {
  return {
    id: r.id,
    jobId: r.job_id,
    scheduledFor: r.scheduled_for,
    lastFor: r.last_for,
    count: r.count,
    state: r.state,
    manual: r.manual === 1,
    inboundId: r.inbound_id,
    firedAt: r.fired_at,
    endedAt: r.ended_at,
    note: r.note,
  };
}

/** A job's occurrences, newest first (by time), at most `limit`. */
export function jobHistory(store: StoreHandle, jobId: string, limit = 50): Occurrence[] {
  return (
    store.prepare("SELECT * FROM cron_runs WHERE job_id = ? ORDER BY scheduled_for DESC, id DESC LIMIT ?").all(jobId, limit) as unknown as OccurrenceRow[]
  ).map(fromRow);
}

/** Whether a job has an occurrence still running (no second one starts meanwhile). */
export function hasRunning(store: StoreHandle, jobId: string): boolean {
  return store.prepare("SELECT 1 FROM cron_runs WHERE job_id = ? AND state = 'running' LIMIT 1").get(jobId) !== undefined;
}

/** The newest finished occurrence of each job (the last outcome of `cron list`). */
export function lastOutcomes(store: StoreHandle): Map<string, Occurrence> {
  const rows = store
    .prepare(
      `SELECT r.* FROM cron_runs r WHERE r.id = (SELECT r2.id FROM cron_runs r2 WHERE r2.job_id = r.job_id ORDER BY r2.scheduled_for DESC, r2.id DESC LIMIT 1)`,
    )
    .all() as unknown as OccurrenceRow[];
  return new Map(rows.map((r) => [r.job_id, fromRow(r)]));
}

/** Counts by state since `since` (for alerts and metrics): missed counts the occurrences a span stands for. */
export function countsSince(store: StoreHandle, since: number): Record<OccurrenceState, number> {
  const out: Record<OccurrenceState, number> = { running: 0, delivered: 0, done: 0, failed: 0, missed: 0, unknown: 0 };
  const rows = store.prepare("SELECT state, sum(count) AS n FROM cron_runs WHERE coalesce(ended_at, fired_at) >= ? GROUP BY state").all(since) as Array<{
    state: OccurrenceState;
    n: number;
  }>;
  for (const r of rows) out[r.state] = r.n;
  return out;
}
