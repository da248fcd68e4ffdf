/**
 * The cron scheduler of a running gateway: only the process holding the brain lock runs one, and
 * each fire is written with the fencing epoch checked in the same write. On each tick it brings
 * running occurrences up to date, then decides each idle job's due occurrences (occurrences.ts):
 * missed spans and fired occurrences are written with the job's cursor in one group commit, so
 * after a crash an occurrence is either fired (its row and message exist: it runs once, or is
 * `unknown`) or not yet decided (decided again, by the same policy). A job with an occurrence
 * still running decides nothing until it ends: no overlap.
 *
 * It sleeps until the next occurrence of any job (at most a minute, a second while an occurrence
 * runs, to follow it to its outcome), and is woken at once by job changes.
 */
import type { StoreHandle } from "../store/handle.ts";
import { fireOccurrence, hasRunning, recordMissed, syncOccurrences, type OccurrenceState } from "./history.ts";
import { listJobs, nextOccurrence, type CronJob } from "./jobs.ts";
import { decide } from "./occurrences.ts";

export interface SchedulerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** What a tick did, for events, metrics and alerts. */
export interface TickReport {
  fired: Array<{ jobId: string; scheduledFor: number }>;
  missed: Array<{ jobId: string; count: number; why: string }>;
  ended: Array<{ id: number; jobId: string; state: OccurrenceState }>;
}

export interface SchedulerOptions {
  store: StoreHandle;
  /** This process's fencing epoch: a fire is written only while the brain's epoch is still it. */
  epoch: number;
  agentIds: () => readonly string[];
  logger: SchedulerLogger;
  /** Starts runs for what was just fired (the brain's kick). */
  kick: () => void;
  onTick?: (report: TickReport) => void;
  now?: () => number;
  /** The longest sleep between ticks. */
  maxSleepMs?: number;
}

/** Runs a brain's cron jobs while its gateway runs. */
export class CronScheduler {
  private readonly o: SchedulerOptions;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private ticking = false;
  private again = false;

  constructor(o: SchedulerOptions) {
    this.o = o;
    this.now = o.now ?? Date.now;
  }

  /** Starts ticking (after the brain has recovered its runs: an interrupted occurrence is settled first). */
  start(): void {
    this.stopped = false;
    this.wake();
  }

  /** Stops; a fire in progress completes (it is one synchronous write). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Ticks as soon as possible (a job was added, resumed or run by hand, or a run ended). */
  wake(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), 0);
    this.timer.unref();
  }

  /** One pass: sync, decide, fire; then sleep until the next thing to do. */
  async tick(): Promise<TickReport | null> {
    if (this.stopped) return null;
    if (this.ticking) {
      this.again = true;
      return null;
    }
    this.ticking = true;
    let report: TickReport | null = null;
    try {
      report = this.pass();
      if (report.fired.length) this.o.kick();
      this.o.onTick?.(report);
    } catch (err) {
      this.o.logger.error({ err }, "cron: a tick failed; the next one tries again");
    } finally {
      this.ticking = false;
      this.schedule();
    }
    return report;
  }

  private pass(): TickReport {
    const { store } = this.o;
    const now = this.now();
    const ended = syncOccurrences(store, now);
    const report: TickReport = { fired: [], missed: [], ended };
    const agents = this.o.agentIds();
    const { value } = store.grouped(() => {
      if (store.epoch() !== this.o.epoch) return "fenced" as const;
      for (const job of listJobs(store)) {
        if (job.paused || hasRunning(store, job.id)) continue;
        this.decideJob(job, now, agents, report);
      }
      return "ok" as const;
    });
    if (value === "fenced") {
      this.o.logger.error({ epoch: this.o.epoch }, "cron: another process took this brain; this scheduler stops");
      this.stop();
    }
    return report;
  }

  private decideJob(job: CronJob, now: number, agents: readonly string[], report: TickReport): void {
    const { store } = this.o;
    const d = decide(job.schedule, job.cursor, now, { missed: job.missed, catchupWindowMs: job.catchupWindowMs });
    if (d.cursor === job.cursor) return;
    let fire = d.fire;
    let missed = d.missed;
    let why = `passed while the gateway was down or busy (policy ${job.missed})`;
    if (!agents.includes(job.agentId)) {
      // Never run with another agent (or workspace) than the job was made for.
      missed = [...missed, ...fire.map((t) => ({ from: t, to: t, count: 1 }))];
      fire = [];
      why = `agent "${job.agentId}" is not configured in this brain`;
    }
    if (missed.length) {
      recordMissed(store, job.id, missed, why, now);
      const count = missed.reduce((n, s) => n + s.count, 0);
      report.missed.push({ jobId: job.id, count, why });
      this.o.logger.warn({ job: job.name, count, why }, "cron: occurrences missed");
    }
    for (const t of fire) {
      if (fireOccurrence(store, job, t, now)) report.fired.push({ jobId: job.id, scheduledFor: t });
    }
    store.prepare("UPDATE cron_jobs SET cursor = ? WHERE id = ?").run(d.cursor, job.id);
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.again) {
      this.again = false;
      return this.wake();
    }
    const now = this.now();
    let at = now + (this.o.maxSleepMs ?? 60_000);
    try {
      const running = this.o.store.prepare("SELECT 1 FROM cron_runs WHERE state = 'running' LIMIT 1").get() !== undefined;
      if (running) at = Math.min(at, now + 1000);
      for (const job of listJobs(this.o.store)) {
        // A job with a run going decides nothing until it ends: the one-second poll covers it.
        if (running && hasRunning(this.o.store, job.id)) continue;
        const next = nextOccurrence(job);
        if (next !== null) at = Math.min(at, next);
      }
    } catch (err) {
      this.o.logger.error({ err }, "cron: could not read the jobs; trying again in a minute");
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), Math.max(0, at - now));
    this.timer.unref();
  }
}
