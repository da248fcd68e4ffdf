/**
 * What became of each WebSocket attempt, so a browser can learn which link broke. A browser's
 * WebSocket reports every failure the same way (close 1006, no status), but the console names
 * each attempt (`/ws?attempt=ID`) and then asks `/api/ws-check?attempt=ID` over plain HTTP:
 *   - never seen: the request did not reach the gateway (network, or a proxy blocked it);
 *   - seen as plain HTTP: a reverse proxy dropped the Upgrade/Connection headers;
 *   - refused: the gateway said no (origin, rate limit, shutting down), and why.
 * Bounded: the newest 512 attempts of the last 5 minutes.
 */

export interface AttemptRecord {
  attempt: string;
  seen: boolean;
  upgraded: boolean;
  refused: { status: number; reason: string } | null;
  /** When the gateway saw it (epoch ms), null when it did not. */
  at: number | null;
}

const ID = /^[A-Za-z0-9_-]{8,64}$/;

/** The attempt id in a request URL (`?attempt=ID`), or null when absent or malformed. */
export function attemptId(url: string | undefined): string | null {
  const q = (url ?? "").indexOf("?");
  if (q === -1) return null;
  const id = new URLSearchParams(url!.slice(q + 1)).get("attempt");
  return id !== null && ID.test(id) ? id : null;
}

export class WsAttempts {
  private readonly seen = new Map<string, AttemptRecord>();
  private readonly max: number;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(opts: { max?: number; ttlMs?: number; now?: () => number } = {}) {
    this.max = opts.max ?? 512;
    this.ttlMs = opts.ttlMs ?? 5 * 60_000;
    this.now = opts.now ?? Date.now;
  }

  /** Records how an attempt arrived (upgraded or as plain HTTP) or that it was refused. */
  record(id: string | null, what: { upgraded: boolean; refused?: { status: number; reason: string } }): void {
    if (!id) return;
    this.seen.delete(id); // re-inserted: the newest last, so eviction takes the oldest
    this.seen.set(id, { attempt: id, seen: true, upgraded: what.upgraded, refused: what.refused ?? null, at: this.now() });
    while (this.seen.size > this.max) this.seen.delete(this.seen.keys().next().value!);
  }

  /** What is known of an attempt; unknown and expired ones are `seen: false`. */
  lookup(id: string): AttemptRecord {
    const r = this.seen.get(id);
    if (r && r.at !== null && this.now() - r.at <= this.ttlMs) return r;
    return { attempt: id, seen: false, upgraded: false, refused: null, at: null };
  }

  /** True for a well-formed attempt id. */
  static valid(id: string | null): id is string {
    return id !== null && ID.test(id);
  }
}
