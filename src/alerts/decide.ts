/**
 * The watchdog's decision at one check, pure: which conditions open an alert and which open alerts
 * recover. A condition opens once it has stayed bad for its delay (at once for an event that already
 * happened); an open alert recovers once its condition has stayed good for `recoverAfterMs`, so a
 * channel that flaps while its alert is open stays one alert. `tracked` is the watchdog's memory of
 * when each condition went bad or good; it is updated in place.
 */
import type { Signal } from "./conditions.ts";

export interface Tracked {
  detail: string;
  channels: string[];
  immediate: boolean;
  /** When it went bad (null while good). */
  badSince: number | null;
  /** When it went good again, while its alert is still open. */
  goodSince: number | null;
}

export interface OpenAlert {
  id: number;
  condition: string;
  openedAt: number;
}

export interface Decision {
  open: Array<Signal & { badSince: number }>;
  recover: OpenAlert[];
}

/** The wait before condition `c` opens: `afterMs`, doubled per alert of `c` in the recent past, capped at an hour (or afterMs if longer). */
export function openDelay(afterMs: number, recentAlerts: number): number {
  return Math.min(afterMs * 2 ** Math.min(recentAlerts, 20), Math.max(afterMs, 3_600_000));
}

/** Decides one check. `delayOf(condition)` is the condition's current open delay. */
export function decide(o: {
  now: number;
  signals: readonly Signal[];
  open: readonly OpenAlert[];
  tracked: Map<string, Tracked>;
  recoverAfterMs: number;
  delayOf: (condition: string) => number;
}): Decision {
  const { now, tracked } = o;
  const openBy = new Map(o.open.map((a) => [a.condition, a]));
  const bad = new Set<string>();
  const out: Decision = { open: [], recover: [] };
  for (const s of o.signals) {
    if (bad.has(s.condition)) continue;
    bad.add(s.condition);
    const prior = tracked.get(s.condition);
    const alert = openBy.get(s.condition);
    // A restart forgets when things went bad: an open alert says since when, else the source or now.
    const badSince = prior?.badSince ?? alert?.openedAt ?? Math.min(s.since ?? now, now);
    tracked.set(s.condition, { detail: s.detail, channels: s.channels, immediate: s.immediate === true, badSince, goodSince: null });
    if (alert) continue;
    if (s.immediate || now - badSince >= o.delayOf(s.condition)) out.open.push({ ...s, badSince });
  }
  for (const a of o.open) {
    if (bad.has(a.condition)) continue;
    const prior = tracked.get(a.condition);
    const goodSince = prior?.goodSince ?? now;
    tracked.set(a.condition, { detail: prior?.detail ?? "", channels: prior?.channels ?? [], immediate: false, badSince: null, goodSince });
    if (now - goodSince >= o.recoverAfterMs) out.recover.push(a);
  }
  // Deleting the entry being visited is safe while iterating a Map.
  for (const c of tracked.keys()) if (!bad.has(c) && !openBy.has(c)) tracked.delete(c);
  return out;
}
