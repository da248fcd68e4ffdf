/**
 * When a live session expires: `daily` at `atHour` local time, or `idle` after `idleMinutes`
 * without activity. Pure functions of an injected clock, so tests need no waiting.
 */

export interface ResetPolicy {
  mode: "daily" | "idle";
  atHour: number;
  idleMinutes: number;
}

/** The most recent local `atHour:00` at or before `now` (epoch ms). */
export function lastDailyBoundary(now: number, atHour: number): number {
  const d = new Date(now);
  d.setHours(atHour, 0, 0, 0);
  if (d.getTime() > now) d.setDate(d.getDate() - 1); // setDate keeps the local hour across DST changes
  return d.getTime();
}

/**
 * Whether a session last active at `lastActivityAt` has expired at `now`, and why. A daily
 * session expires once a boundary passed since its last activity; an idle one after the gap.
 */
export function expiry(lastActivityAt: number, now: number, policy: ResetPolicy): "daily" | "idle" | null {
  if (policy.mode === "idle") return now - lastActivityAt >= policy.idleMinutes * 60_000 ? "idle" : null;
  return lastActivityAt < lastDailyBoundary(now, policy.atHour) ? "daily" : null;
}
