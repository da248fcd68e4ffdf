/**
 * What one connection can make the gateway hold. Requests are parsed as fast as a client can
 * send them, and each runs at once; without a bound, 400 pipelined `logs.tail` of 4 MiB each
 * are 400 reads of 4 MiB at the same time (2.5 GB resident). So:
 *   - a connection has at most `gateway.ws.maxInflight` requests in flight; more are answered
 *     at once with `TOO_MANY_REQUESTS` (see ws.ts);
 *   - a request that prepares a large answer (a log page, a transcript page, a session list)
 *     first takes its size from two byte budgets: the process's, given back once the answer is
 *     prepared and handed to the socket, and its connection's, given back only once the answer
 *     is written out. So the gateway prepares a bounded amount at once, and a client that reads
 *     slowly holds at most its own budget unsent and slows down only itself. Waiting is first
 *     come, first served, so one connection's burst waits behind itself.
 */
import { DEFAULT_MAX_BYTES, MAX_BYTES } from "../logging/tail.ts";

/** One connection prepares at most one full-size log page at a time. */
export const CONNECTION_BUDGET = MAX_BYTES;
/** The whole gateway prepares at most four full-size answers at a time. */
export const PROCESS_BUDGET = 4 * MAX_BYTES;

/** A first-come-first-served semaphore over bytes. */
export class ByteBudget {
  private used = 0;
  private readonly waiting: Array<{ bytes: number; grant: () => void }> = [];

  readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** Waits until `bytes` (at most the capacity) are free and takes them; resolves with the (idempotent) release. */
  acquire(bytes: number): Promise<() => void> {
    const n = Math.min(Math.max(0, bytes), this.capacity);
    return new Promise((resolve) => {
      const grant = () => {
        this.used += n;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.used -= n;
          this.drain();
        });
      };
      this.waiting.push({ bytes: n, grant });
      this.drain();
    });
  }

  /** Bytes taken now (for tests and status). */
  get inUse(): number {
    return this.used;
  }

  private drain(): void {
    while (this.waiting.length && this.used + this.waiting[0]!.bytes <= this.capacity) this.waiting.shift()!.grant();
  }
}

/** The bytes a request may prepare before its answer is written: 0 for small answers. */
export function preparedBytes(method: string, params: unknown): number {
  const p = (params ?? {}) as { maxBytes?: number };
  switch (method) {
    case "logs.tail":
      return Math.min(p.maxBytes ?? DEFAULT_MAX_BYTES, MAX_BYTES);
    case "chat.history":
    case "sessions.list":
      // Up to 1,000 rows of unknown size: counted as a full share, so a connection runs one at a time.
      return CONNECTION_BUDGET;
    default:
      return 0;
  }
}
