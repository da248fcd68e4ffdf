/**
 * The gateway-wide budget for unsent WebSocket bytes. Each connection is cut off once its own
 * unsent bytes pass `gateway.ws.maxBufferedBytes`, but that is per connection: 60 clients that
 * never read could each hold just under it, and the gateway would hold all of it. So after every
 * turn in which frames were written, the unsent bytes of all clients are added up (once per turn,
 * however many frames), and while they pass `gateway.ws.maxTotalBufferedBytes` the client holding
 * the most is closed: the one that costs the most and, reading the least, the likeliest stuck.
 */
import type { LogThrottle } from "../logging/throttle.ts";
import { metrics } from "../metrics/instruments.ts";
import { closeCodes } from "../protocol/codes.ts";
import type { Conn } from "./ws-conn.ts";

/** Unsent bytes in megabytes, in words for a close reason or a log line ("12.3 MB"). */
export function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

export interface OutboundOptions {
  conns(): Iterable<Conn>;
  /** `gateway.ws.maxTotalBufferedBytes`, read at each check (a reload may change it). */
  limit(): number;
  throttle: LogThrottle;
  /** Closes a connection with a code and reason (and terminates it soon after). */
  close(c: Conn, code: number, reason: string): void;
}

export class OutboundBudget {
  /** Connections written to since the last check. */
  private readonly touched = new Set<Conn>();
  private readonly o: OutboundOptions;

  constructor(o: OutboundOptions) {
    this.o = o;
  }

  /** Call when a frame was written to `c`: the total is checked once, at the end of this turn (after the batcher's writes). */
  wrote(c: Conn): void {
    if (this.touched.size === 0) setImmediate(() => this.afterWrites());
    this.touched.add(c);
  }

  /**
   * Unsent bytes only grow by writes, and the last check left the total within the budget: if
   * every connection written to since has sent everything, the total cannot have passed it, and
   * the scan of every client (5,000 idle ones, say) is skipped.
   */
  private afterWrites(): void {
    let backlog = false;
    for (const c of this.touched) if (c.ws.bufferedAmount > 0) backlog = true;
    this.touched.clear();
    if (backlog) this.check();
  }

  /** Unsent bytes of every connection now (evicted ones included until their socket is gone). */
  total(): number {
    let n = 0;
    for (const c of this.o.conns()) n += c.ws.bufferedAmount;
    return n;
  }

  /** Closes the connections holding the most unsent bytes until the rest fit the budget. */
  check(): void {
    const live: Array<{ c: Conn; unsent: number }> = [];
    let total = 0;
    for (const c of this.o.conns()) {
      if (c.evicted) continue;
      const unsent = c.ws.bufferedAmount;
      total += unsent;
      if (unsent > 0) live.push({ c, unsent });
    }
    const limit = this.o.limit();
    if (total <= limit) return;
    live.sort((a, b) => b.unsent - a.unsent);
    for (const { c, unsent } of live) {
      if (total <= limit) break;
      this.evict(c, unsent, total, limit);
      total -= unsent;
    }
  }

  private evict(c: Conn, unsent: number, total: number, limit: number): void {
    c.evicted = true;
    metrics.wsSlowClosed.inc({ limit: "gateway" });
    this.o.throttle.log(
      "warn",
      { conn: c.id, client: c.client.address, unsent, total, limit },
      `closing the client with the most unsent bytes (${megabytes(unsent)}): all clients' unsent bytes passed gateway.ws.maxTotalBufferedBytes`,
      1,
    );
    this.o.close(c, closeCodes.TRY_AGAIN_LATER, `too slow: ${megabytes(unsent)} unsent`);
  }
}
