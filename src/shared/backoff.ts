/** The one backoff of the channels: exponential with jitter, and a plain jittered delay. */

/** Exponential backoff with jitter: attempt 1 waits ~base, doubling up to `max`; half of it random. */
export function backoffMs(attempt: number, o: { baseMs: number; maxMs: number; random: () => number }): number {
  const exp = Math.min(o.maxMs, o.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + (o.random() * exp) / 2);
}

/** A delay of about `ms` with ±20 % jitter (so two brains retrying a conflict do not stay in step). */
export function jittered(ms: number, random: () => number): number {
  return Math.round(ms * (0.8 + random() * 0.4));
}

/** Waits `ms`, or less if `signal` aborts; never rejects. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
