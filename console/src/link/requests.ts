/**
 * Requests in flight on one socket: ids, per-request deadlines, and their answers. When the
 * socket goes, every pending request fails at once with LINK_DOWN instead of hanging.
 */

/** A failed request: a wire error code from the gateway, or LINK_DOWN / TIMEOUT from this side. */
export class RequestError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  cancel(): void;
}

/** The requests waiting for a `res` frame. */
export class PendingRequests {
  private readonly pending = new Map<string, Pending>();
  private nextId = 1;
  private readonly schedule: (ms: number, fn: () => void) => () => void;

  constructor(schedule: (ms: number, fn: () => void) => () => void) {
    this.schedule = schedule;
  }

  /** A fresh request id (also used for `connect`). */
  id(prefix = ""): string {
    return `${prefix}${this.nextId++}`;
  }

  /** Sends `method` through `send` and resolves with the answer's payload, or rejects with a RequestError. */
  start<T>(method: string, params: unknown, timeoutMs: number, send: (frame: string) => void): Promise<T> {
    const id = this.id();
    return new Promise<T>((resolve, reject) => {
      const cancel = this.schedule(timeoutMs, () => {
        this.pending.delete(id);
        reject(new RequestError("TIMEOUT", `${method} got no answer within ${Math.round(timeoutMs / 1000)} s.`));
      });
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, cancel });
      send(JSON.stringify({ type: "req", id, method, ...(params !== undefined ? { params } : {}) }));
    });
  }

  /** Settles the request a `res` frame answers; unknown ids (late answers after a timeout) are dropped. */
  settle(frame: { id: string; ok?: boolean; payload?: unknown; error?: { code?: string; message?: string } }): void {
    const p = this.pending.get(frame.id);
    if (!p) return;
    this.pending.delete(frame.id);
    p.cancel();
    if (frame.ok) p.resolve(frame.payload);
    else p.reject(new RequestError(frame.error?.code ?? "INTERNAL", frame.error?.message ?? "The request failed."));
  }

  /** Fails every pending request: the socket is gone. */
  failAll(): void {
    for (const p of this.pending.values()) {
      p.cancel();
      p.reject(new RequestError("LINK_DOWN", "The connection to the gateway was lost."));
    }
    this.pending.clear();
  }
}
