/**
 * What the Discord channel reports while its Gateway connection is down: `reconnecting` for the
 * first failed attempts (a drop now and then is normal on Discord), `degraded` once
 * DEGRADED_AFTER connections in a row failed or Discord's daily session budget makes it wait long.
 * Degraded still serves: `/readyz` stays 200 and says why, `status`, the console and `/metrics`
 * show the state, and the channel keeps trying on its own (no gateway restart).
 */
import type { ChannelState } from "../channel.ts";

/** Failed connections in a row after which the channel is `degraded` rather than `reconnecting`. */
export const DEGRADED_AFTER = 3;
/** A wait for Discord's session budget longer than this is `degraded`. */
export const LONG_BUDGET_WAIT_MS = 60_000;

/** One failed attempt, and what comes next. */
export interface Attempt {
  /** Failed connections since the last healthy one (Supervisor.attempt). */
  attempt: number;
  /** When the trouble began (the last healthy connection ended). */
  since: number;
  /** What ended the last attempt, in words. */
  lastError: string;
  next: { mode: "resume" | "identify"; delayMs: number; why: string };
  now: number;
}

/** The state to show after a failed connection. */
export function afterFailure(a: Attempt): ChannelState {
  const nextAttemptAt = a.now + a.next.delayMs;
  if (a.attempt < DEGRADED_AFTER) return { state: "reconnecting", attempt: a.attempt, nextAttemptAt, lastError: a.lastError };
  const wait = Math.max(1, Math.round(a.next.delayMs / 1000));
  return {
    state: "degraded",
    since: a.since,
    detail:
      `the Discord Gateway connection failed ${a.attempt} times in a row (last: ${a.lastError}); ` +
      `next ${a.next.mode === "resume" ? "RESUME" : "IDENTIFY"} in ${wait} s (${a.next.why}). ` +
      "Messages sent meanwhile are read back once connected; if this lasts, check https://discordstatus.com and this host's network",
  };
}

/** The state while an IDENTIFY waits for Discord's daily session budget (null: a short wait, nothing to report). */
export function budgetWait(waitMs: number, remaining: number, since: number): ChannelState | null {
  if (waitMs <= LONG_BUDGET_WAIT_MS) return null;
  return {
    state: "degraded",
    since,
    detail:
      `Discord's daily session budget is nearly spent (${remaining} left): the next IDENTIFY waits ${Math.round(waitMs / 60_000)} min for it to reset. ` +
      "Something started many sessions for this bot today (restarts in a loop, or another program with the same token)",
  };
}
