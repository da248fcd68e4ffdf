/**
 * Which occurrences of a job to fire now and which were missed: a pure function of the schedule,
 * the job's cursor (the last occurrence already decided), the time and the missed policy.
 *
 * Only the newest occurrence that has come due can be on time, and only within its grace (a
 * minute, or half its period when that is shorter): every older one was passed while the
 * gateway was down or busy. What happens to those is the job's policy:
 *   - skip:   none of them runs;
 *   - latest: the newest one runs if it is within the catch-up window;
 *   - all:    every one within the catch-up window runs, in order.
 * Everything not run is reported as missed, in spans (first, last, count), never silently.
 */
import { nextAfter, type Schedule } from "./schedule.ts";

export type MissedPolicy = "skip" | "latest" | "all";

/** A run of consecutive occurrences that will not run. */
export interface MissedSpan {
  from: number;
  to: number;
  count: number;
}

export interface Decision {
  /** Occurrences to fire now, oldest first. */
  fire: number[];
  missed: MissedSpan[];
  /** The new cursor: the newest occurrence decided (unchanged when nothing came due). */
  cursor: number;
}

/** The longest an on-time occurrence may wait for the scheduler. */
export const GRACE_MS = 60_000;
/** Occurrences looked at in one decision; beyond it the rest of an outage is decided next time. */
export const MAX_SCAN = 10_000;

/** What to do with the occurrences after `cursor` up to `now`. */
export function decide(s: Schedule, cursor: number, now: number, policy: { missed: MissedPolicy; catchupWindowMs: number }): Decision {
  const due: number[] = [];
  let t = nextAfter(s, cursor);
  while (t !== null && t <= now && due.length < MAX_SCAN) {
    due.push(t);
    t = nextAfter(s, t);
  }
  if (due.length === 0) return { fire: [], missed: [], cursor };
  const newest = due[due.length - 1]!;
  // Cut short by MAX_SCAN: the newest scanned is not the newest due, so nothing here is on time.
  const complete = t === null || t > now;
  const period = t !== null ? t - newest : GRACE_MS * 2;
  const onTime = complete && now - newest <= Math.min(GRACE_MS, Math.max(1, Math.floor(period / 2)));
  const inWindow = (x: number) => now - x <= policy.catchupWindowMs;
  let fire: number[];
  if (policy.missed === "all") fire = due.filter((x, i) => inWindow(x) || (onTime && i === due.length - 1));
  else if (policy.missed === "latest") fire = complete && (onTime || inWindow(newest)) ? [newest] : [];
  else fire = onTime ? [newest] : [];
  const firing = new Set(fire);
  return { fire, missed: spans(due.filter((x) => !firing.has(x))), cursor: newest };
}

/** Consecutive missed occurrences (in `due` order, with no fired one between them) as spans. */
function spans(missed: readonly number[]): MissedSpan[] {
  // Fired occurrences are always the newest ones (policy `all` fires a suffix, the others at most
  // the last), so the missed ones are one prefix: a single span.
  if (missed.length === 0) return [];
  return [{ from: missed[0]!, to: missed[missed.length - 1]!, count: missed.length }];
}
