/**
 * Cron jobs in the brain's store: created once checked (schedule, agent, session, delivery),
 * listed with their next occurrence and last outcome, paused, resumed and removed. A job belongs
 * to the brain whose database holds it; only that brain's gateway fires it (scheduler.ts).
 */
import type { CronDelivery } from "../protocol/cron.ts";
import { newShortCode } from "../shared/short-code.ts";
import type { StoreHandle } from "../store/handle.ts";
import { type MissedPolicy } from "./occurrences.ts";
import { clip } from "../shared/text.ts";
import { describeSchedule, nextAfter, parseDuration, parseSchedule, ScheduleError, type Schedule } from "./schedule.ts";

/** Where a job's answer goes: a channel target through the outbox, or nowhere. */
export type Delivery = CronDelivery;

export interface CronJob {
  id: string;
  name: string;
  schedule: Schedule;
  agentId: string;
  /** An existing session's key, or null: the job's own session (`agent:<agent>:cron:<id>`). */
  sessionKey: string | null;
  message: string;
  delivery: Delivery;
  missed: MissedPolicy;
  catchupWindowMs: number;
  timeoutSeconds: number;
  retryUnknown: boolean;
  paused: boolean;
  cursor: number;
  createdAt: number;
  updatedAt: number;
}

/** A job as someone asks for it (CLI flags, `cron.add`, the agent's tool). */
export interface CronJobInput {
  name: string;
  at?: string;
  every?: string;
  cron?: string;
  tz?: string;
  message: string;
  agent?: string;
  /** "isolated" (default) or an existing session key. */
  session?: string;
  /** Announce to `channel` (and `account`, when it has several) at `target`; omitted: no delivery. */
  deliver?: { channel: string; account?: string; target: string };
  missed?: MissedPolicy;
  catchupWindow?: string;
  timeout?: string;
  retryUnknown?: boolean;
}

/** What a job may be checked against: the brain's agents, its channel accounts, and its sessions. */
export interface JobContext {
  agentIds: readonly string[];
  channels: ReadonlyArray<{ id: string; account: string }>;
  sessionExists(key: string): boolean;
  now: number;
}

/** A job that cannot be created, with the sentence that says why (CRON_INVALID). */
export class CronJobError extends Error {}

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const MAX_MESSAGE = 16 * 1024;

/** The job's own session key. */
export function isolatedSessionKey(agentId: string, jobId: string): string {
  return `agent:${agentId}:cron:${jobId}`;
}

/** The session a job's occurrences run in. */
export function jobSessionKey(job: Pick<CronJob, "sessionKey" | "agentId" | "id">): string {
  return job.sessionKey ?? isolatedSessionKey(job.agentId, job.id);
}

function duration(text: string | undefined, fallback: number, what: string): number {
  if (text === undefined) return fallback;
  const ms = parseDuration(text);
  if (ms === null) throw new CronJobError(`Cannot read ${JSON.stringify(clip(text, 40))} as ${what}: expected a duration such as 30s, 10m or 1h`);
  return ms;
}

/** The catch-up window: at most 366 days (a longer one is a date out of range, not a policy). */
function catchupWindow(text: string | undefined): number {
  const ms = duration(text, 3_600_000, "a catch-up window");
  if (ms > 366 * 86_400_000) throw new CronJobError("The catch-up window must be at most 366d");
  return ms;
}

/** Checks an input against the brain; the job row it would be (without id). */
export function checkJob(input: CronJobInput, ctx: JobContext): Omit<CronJob, "id"> {
  if (typeof input.name !== "string" || !NAME.test(input.name))
    throw new CronJobError(
      `Job name ${JSON.stringify(input.name)} is not usable: 1-64 characters of a-z, 0-9, ".", "_" and "-", starting with a letter or digit`,
    );
  if (typeof input.message !== "string" || input.message.trim() === "")
    throw new CronJobError("A job needs a message: what the agent is asked at each occurrence");
  if (input.message.length > MAX_MESSAGE) throw new CronJobError(`The message is ${input.message.length} characters: at most ${MAX_MESSAGE}`);
  let schedule: Schedule;
  try {
    schedule = parseSchedule(input, ctx.now);
  } catch (err) {
    if (err instanceof ScheduleError) throw new CronJobError(err.message);
    throw err;
  }
  if (schedule.kind === "at" && schedule.at <= ctx.now) throw new CronJobError(`The time ${new Date(schedule.at).toISOString()} is already past`);
  const agentId = input.agent ?? ctx.agentIds[0]!;
  if (!ctx.agentIds.includes(agentId)) throw new CronJobError(`No agent ${JSON.stringify(agentId)} in this brain (agents: ${ctx.agentIds.join(", ")})`);
  let sessionKey: string | null = null;
  if (input.session !== undefined && input.session !== "isolated") {
    const main = `agent:${agentId}:main`;
    if (!input.session.startsWith(`agent:${agentId}:`))
      throw new CronJobError(`Session ${JSON.stringify(input.session)} is not one of agent ${agentId}'s: use "isolated" or a key such as ${main}`);
    if (input.session !== main && !ctx.sessionExists(input.session))
      throw new CronJobError(`No session ${JSON.stringify(input.session)} in this brain: use "isolated", ${main}, or a key from \`onebrain status\``);
    sessionKey = input.session;
  }
  const missed = input.missed ?? "latest";
  if (!["skip", "latest", "all"].includes(missed)) throw new CronJobError(`missed must be skip, latest or all, not ${JSON.stringify(missed)}`);
  const timeoutMs = duration(input.timeout, 600_000, "a timeout");
  if (timeoutMs < 1000 || timeoutMs > 86_400_000) throw new CronJobError("The timeout must be between 1s and 1d");
  return {
    name: input.name,
    schedule,
    agentId,
    sessionKey,
    message: input.message,
    delivery: checkDelivery(input.deliver, ctx),
    missed,
    catchupWindowMs: catchupWindow(input.catchupWindow),
    timeoutSeconds: Math.ceil(timeoutMs / 1000),
    retryUnknown: input.retryUnknown === true,
    paused: false,
    cursor: ctx.now,
    createdAt: ctx.now,
    updatedAt: ctx.now,
  };
}

function checkDelivery(d: CronJobInput["deliver"], ctx: JobContext): Delivery {
  if (d === undefined) return { mode: "none" };
  const accounts = ctx.channels.filter((c) => c.id === d.channel).map((c) => c.account);
  const known = [...new Set(ctx.channels.map((c) => c.id))].join(", ") || "none";
  if (!accounts.length) throw new CronJobError(`No channel ${JSON.stringify(d.channel)} in this brain to announce on (channels: ${known})`);
  const account = d.account ?? (accounts.length === 1 ? accounts[0]! : undefined);
  if (account === undefined) throw new CronJobError(`Channel ${d.channel} has several accounts (${accounts.join(", ")}): name one`);
  if (!accounts.includes(account)) throw new CronJobError(`Channel ${d.channel} has no account ${JSON.stringify(account)} (accounts: ${accounts.join(", ")})`);
  if (typeof d.target !== "string" || d.target.trim() === "" || d.target.length > 256)
    throw new CronJobError(`An announce needs a target on ${d.channel}: the chat, channel or user id to post to`);
  return { mode: "announce", channel: d.channel, account, target: d.target.trim() };
}

interface JobRow {
  id: string;
  name: string;
  schedule: string;
  agent_id: string;
  session_key: string | null;
  message: string;
  delivery: string;
  missed: MissedPolicy;
  catchup_window_ms: number;
  timeout_seconds: number;
  retry_unknown: number;
  paused: number;
  cursor: number;
  created_at: number;
  updated_at: number;
}

function fromRow(r: JobRow): CronJob {
  return {
    id: r.id,
    name: r.name,
    schedule: JSON.parse(r.schedule) as Schedule,
    agentId: r.agent_id,
    sessionKey: r.session_key,
    message: r.message,
    delivery: JSON.parse(r.delivery) as Delivery,
    missed: r.missed,
    catchupWindowMs: r.catchup_window_ms,
    timeoutSeconds: r.timeout_seconds,
    retryUnknown: r.retry_unknown === 1,
    paused: r.paused === 1,
    cursor: r.cursor,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Creates a checked job (call inside a write); a taken name is refused. */
export function insertJob(store: StoreHandle, job: Omit<CronJob, "id">): CronJob {
  if (store.prepare("SELECT 1 FROM cron_jobs WHERE name = ?").get(job.name)) throw new CronJobError(`A job named ${JSON.stringify(job.name)} exists already`);
  const id = newShortCode();
  store
    .prepare(
      `INSERT INTO cron_jobs (id, name, schedule, agent_id, session_key, message, delivery, missed, catchup_window_ms, timeout_seconds,
         retry_unknown, paused, cursor, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)`,
    )
    .run(
      id,
      job.name,
      JSON.stringify(job.schedule),
      job.agentId,
      job.sessionKey,
      job.message,
      JSON.stringify(job.delivery),
      job.missed,
      job.catchupWindowMs,
      job.timeoutSeconds,
      job.retryUnknown ? 1 : 0,
      job.cursor,
      job.createdAt,
      job.updatedAt,
    );
  return { ...job, id };
}

/** Every job, by name. */
export function listJobs(store: StoreHandle): CronJob[] {
  return (store.prepare("SELECT * FROM cron_jobs ORDER BY name").all() as unknown as JobRow[]).map(fromRow);
}

/** A job by id or name; null when there is none. */
export function findJob(store: StoreHandle, idOrName: string): CronJob | null {
  const row = store.prepare("SELECT * FROM cron_jobs WHERE id = ? OR name = ?").get(idOrName.toUpperCase(), idOrName) as JobRow | undefined;
  return row ? fromRow(row) : null;
}

/** Pauses or resumes a job; a resumed job does not run what passed while it was paused (its cursor moves to now). */
export function setPaused(store: StoreHandle, id: string, paused: boolean, now: number): void {
  if (paused) store.prepare("UPDATE cron_jobs SET paused = 1, updated_at = ? WHERE id = ?").run(now, id);
  else store.prepare("UPDATE cron_jobs SET paused = 0, cursor = max(cursor, ?), updated_at = ? WHERE id = ?").run(now, now, id);
}

/** Removes a job; its history stays in cron_runs. */
export function removeJob(store: StoreHandle, id: string): void {
  store.prepare("DELETE FROM cron_jobs WHERE id = ?").run(id);
}

/** The next occurrence of a job, or null (paused, or a one-shot that has fired). */
export function nextOccurrence(job: CronJob): number | null {
  return job.paused ? null : nextAfter(job.schedule, job.cursor);
}

/** A job for people and JSON: its schedule in words and its next occurrence. */
export function jobView(job: CronJob): CronJob & { scheduleText: string; next: number | null; sessionKeyUsed: string } {
  return { ...job, scheduleText: describeSchedule(job.schedule), next: nextOccurrence(job), sessionKeyUsed: jobSessionKey(job) };
}
