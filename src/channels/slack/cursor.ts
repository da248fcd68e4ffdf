/**
 * The Slack channel's cursor, committed with each message it stores: the threads the bot takes part
 * in (their session peers, `C1/<thread_ts>`), each with when it last spoke there. Socket Mode has
 * no replay position (Slack redelivers what was not acked), so this is all a restart needs: in a
 * known thread no mention is needed, and its history is not read again. At most MAX_THREADS, the
 * most recently active kept. JSON, versioned; an unreadable cursor is an empty one.
 */

/** The most threads remembered. */
export const MAX_THREADS = 2000;

/** Thread peer → when it was last active (epoch ms). */
export type Threads = Map<string, number>;

/** The cursor of `threads` (the most recent MAX_THREADS). */
export function encodeCursor(threads: Threads): string {
  const list = [...threads].sort((a, b) => b[1] - a[1]).slice(0, MAX_THREADS);
  return JSON.stringify({ v: 1, threads: list });
}

/** The threads of a cursor (empty for null or anything unreadable). */
export function decodeCursor(cursor: string | null): Threads {
  const out: Threads = new Map();
  if (!cursor) return out;
  try {
    const v = JSON.parse(cursor) as { v?: number; threads?: unknown };
    if (v.v !== 1 || !Array.isArray(v.threads)) return out;
    // Stored newest first; inserted oldest first, so that the map's order is by activity.
    for (const t of v.threads.slice(0, MAX_THREADS).reverse())
      if (Array.isArray(t) && typeof t[0] === "string" && typeof t[1] === "number" && /^[A-Z0-9]+\/\d+\.\d+$/.test(t[0])) out.set(t[0], t[1]);
  } catch {
    // a fresh start: mentions are needed again in old threads, nothing else is lost
  }
  return out;
}

/** Notes `peer` active now; the map keeps at most MAX_THREADS (the oldest dropped). */
export function noteThread(threads: Threads, peer: string, now: number): void {
  threads.delete(peer);
  threads.set(peer, now);
  // A Map iterates in insertion order and a noted thread is inserted last: the first is the stalest.
  if (threads.size > MAX_THREADS) threads.delete(threads.keys().next().value!);
}
