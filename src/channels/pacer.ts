/**
 * Pacing of a channel's own sends under its platform's limits, so that floods (and their long
 * waits) are rare: each limit is "at most `max` sends in any `windowMs`", kept per key (a chat, a
 * group, the whole bot). Sliding windows rather than refilling buckets: a bucket of 20 refilled
 * at 20/min lets 40 through in the first minute, which a platform counting per minute refuses.
 * A platform's own "wait" (a 429 with retry_after) blocks a key for as long as it asks.
 */

/** At most `max` sends in any `windowMs`. */
export interface PaceLimit {
  max: number;
  windowMs: number;
}

/** The keys one send counts against, each with its limit. */
export type PaceKeys = ReadonlyArray<readonly [key: string, limit: PaceLimit]>;

interface Window {
  /** When the latest sends went (at most `max` kept), oldest first. */
  times: number[];
  blockedUntil: number;
}

/** Keyed sliding windows on an injectable clock. */
export class SendPacer {
  readonly #now: () => number;
  readonly #windows = new Map<string, Window>();

  constructor(o: { now?: () => number } = {}) {
    this.#now = o.now ?? Date.now;
  }

  /** How long (ms) until a send counted against `keys` may go: 0 when it may go now. */
  delayMs(keys: PaceKeys): number {
    const now = this.#now();
    let until = now;
    for (const [key, limit] of keys) {
      const w = this.#windows.get(key);
      if (!w) continue;
      until = Math.max(until, w.blockedUntil);
      if (w.times.length >= limit.max) until = Math.max(until, w.times[w.times.length - limit.max]! + limit.windowMs);
    }
    return until - now;
  }

  /** Counts a send going now against every key. */
  take(keys: PaceKeys): void {
    const now = this.#now();
    for (const [key, limit] of keys) {
      let w = this.#windows.get(key);
      if (!w) this.#windows.set(key, (w = { times: [], blockedUntil: 0 }));
      w.times.push(now);
      if (w.times.length > limit.max) w.times.splice(0, w.times.length - limit.max);
    }
    if (this.#windows.size > 1000) this.#forget(now);
  }

  /** The platform asked to wait: nothing counted against `key` goes before `ms` from now. */
  block(key: string, ms: number): void {
    const until = this.#now() + ms;
    const w = this.#windows.get(key);
    if (w) w.blockedUntil = Math.max(w.blockedUntil, until);
    else this.#windows.set(key, { times: [], blockedUntil: until });
  }

  /** Drops windows quiet for longer than any platform window (10 min), so memory stays bounded. */
  #forget(now: number): void {
    for (const [key, w] of this.#windows) if (w.blockedUntil <= now && (w.times.at(-1) ?? 0) + 600_000 <= now) this.#windows.delete(key);
  }
}
