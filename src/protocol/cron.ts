/**
 * Cron jobs on the wire (docs/protocol.md, `cron.*`): a job and an occurrence as the methods show
 * them, typed once here for the server, the agent's tool and the console.
 */

/** What became of an occurrence (docs/cron.md). */
export type CronOccurrenceState = "running" | "delivered" | "done" | "failed" | "missed" | "unknown";

/** One occurrence of a job; a `missed` one may stand for `count` occurrences from `scheduledFor` to `lastFor`. Times are epoch ms. */
export interface CronOccurrenceView {
  id: number;
  jobId: string;
  scheduledFor: number;
  lastFor: number | null;
  count: number;
  state: CronOccurrenceState;
  manual: boolean;
  inboundId: number | null;
  firedAt: number | null;
  endedAt: number | null;
  note: string | null;
}

/** Where a job's answer goes. */
export type CronDelivery = { mode: "none" } | { mode: "announce"; channel: string; account: string; target: string };

/** The parts of a job every view shows: `next` is its next occurrence (null when paused or a spent one-shot). */
export interface CronJobSummary {
  id: string;
  name: string;
  scheduleText: string;
  next: number | null;
  paused: boolean;
  message: string;
  delivery: CronDelivery;
  missed: "skip" | "latest" | "all";
  /** The newest occurrence, as `cron.list` gives it. */
  last?: CronOccurrenceView | null;
}
