/**
 * What operators and the agent do with cron jobs, one implementation for the RPC methods
 * (`cron.*`), the CLI (over RPC, or on the store under the brain lock when no gateway runs) and
 * the agent's `cron` tool. Errors are coded: CRON_INVALID, CRON_NOT_FOUND, CRON_BUSY.
 */
import { OnebrainError } from "../shared/errors.ts";
import type { StoreHandle } from "../store/handle.ts";
import { fireOccurrence, hasRunning, jobHistory, lastOutcomes, type Occurrence } from "./history.ts";
import { checkJob, CronJobError, findJob, insertJob, jobView, listJobs, removeJob, setPaused, type CronJob, type CronJobInput } from "./jobs.ts";

export type JobView = ReturnType<typeof jobView>;

export interface CronServiceOptions {
  store: StoreHandle;
  agentIds: () => readonly string[];
  /** The channel accounts a job may announce on (running ones in a gateway, configured ones otherwise). */
  channels: () => ReadonlyArray<{ id: string; account: string }>;
  /** Set in a running gateway: wakes the scheduler after a change, and lets `runNow` fire. */
  scheduler?: { wake(): void; kick(): void };
  now?: () => number;
}

export class CronService {
  private readonly o: CronServiceOptions;
  private readonly now: () => number;

  constructor(o: CronServiceOptions) {
    this.o = o;
    this.now = o.now ?? Date.now;
  }

  /** Creates a job once it is checked against this brain. */
  add(input: CronJobInput): JobView {
    const { store } = this.o;
    const job = store.transaction(() => {
      try {
        const checked = checkJob(input, {
          agentIds: this.o.agentIds(),
          channels: this.o.channels(),
          sessionExists: (key) => store.prepare("SELECT 1 FROM sessions WHERE session_key = ? LIMIT 1").get(key) !== undefined,
          now: this.now(),
        });
        return insertJob(store, checked);
      } catch (err) {
        if (err instanceof CronJobError) throw new OnebrainError("CRON_INVALID", err.message, { hint: "onebrain cron add --help" });
        throw err;
      }
    });
    this.o.scheduler?.wake();
    return jobView(job);
  }

  /** Every job with its next occurrence and last outcome. */
  list(): Array<JobView & { last: Occurrence | null }> {
    const last = lastOutcomes(this.o.store);
    return listJobs(this.o.store).map((j) => ({ ...jobView(j), last: last.get(j.id) ?? null }));
  }

  /** One job and its latest occurrences. */
  show(idOrName: string, limit = 20): { job: JobView; runs: Occurrence[] } {
    const job = this.find(idOrName);
    return { job: jobView(job), runs: jobHistory(this.o.store, job.id, limit) };
  }

  /** A job's occurrences, newest first. */
  runs(idOrName: string, limit = 50): Occurrence[] {
    return jobHistory(this.o.store, this.find(idOrName).id, Math.max(1, Math.min(limit, 1000)));
  }

  /** Fires one occurrence now (by hand); refused while one is running. Needs the running gateway. */
  runNow(idOrName: string): { job: JobView; occurrenceId: number; scheduledFor: number } {
    const scheduler = this.o.scheduler;
    if (!scheduler) throw new OnebrainError("GATEWAY_UNREACHABLE", "A job runs only in the running gateway of its brain", { hint: "onebrain gateway start" });
    const { store } = this.o;
    const job = this.find(idOrName);
    const now = this.now();
    const { value, durable } = store.grouped(() => {
      if (hasRunning(store, job.id)) return null;
      return fireOccurrence(store, job, now, now, true);
    });
    if (!value) throw new OnebrainError("CRON_BUSY", `Job ${job.name} has an occurrence still running`, { hint: `onebrain cron runs ${job.name}` });
    void durable.then(() => scheduler.wake());
    scheduler.kick();
    return { job: jobView(job), occurrenceId: value.occurrenceId, scheduledFor: now };
  }

  /** Pauses or resumes a job; resuming does not run what passed while it was paused. */
  setPaused(idOrName: string, paused: boolean): JobView {
    const job = this.find(idOrName);
    this.o.store.transaction(() => setPaused(this.o.store, job.id, paused, this.now()));
    this.o.scheduler?.wake();
    return jobView(this.find(job.id));
  }

  /** Removes a job (its history stays); an occurrence running goes on to its end. */
  remove(idOrName: string): { removed: string } {
    const job = this.find(idOrName);
    this.o.store.transaction(() => removeJob(this.o.store, job.id));
    this.o.scheduler?.wake();
    return { removed: job.id };
  }

  private find(idOrName: string): CronJob {
    const job = typeof idOrName === "string" && idOrName ? findJob(this.o.store, idOrName) : null;
    if (!job) throw new OnebrainError("CRON_NOT_FOUND", `No cron job ${JSON.stringify(idOrName)} in this brain`, { hint: "onebrain cron list" });
    return job;
  }
}
