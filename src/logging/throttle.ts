/**
 * Warnings that anyone on the network can cause (a refused origin, a wrong secret, a reset
 * socket) are rate limited per cause: the first `perWindow` of a cause in a window are logged,
 * the rest only counted, and when the window ends one line says how many were suppressed (with
 * the last one's fields as a sample). Without this, a client repeating one refused request
 * thousands of times a second rotates every earlier line out of the log, the evidence included.
 */
import type { Logger } from "pino";

type Level = "warn" | "info" | "debug" | "error";

interface Cause {
  windowStart: number;
  logged: number;
  suppressed: number;
  level: Level;
  sample: object;
  timer: NodeJS.Timeout | undefined;
}

export interface ThrottleOptions {
  /** Lines per cause per window; default 10. */
  perWindow?: number;
  /** Default one minute. */
  windowMs?: number;
  now?: () => number;
}

/** Rate limits log lines per cause (see above). Causes are a fixed set chosen by the code, never client input. */
export class LogThrottle {
  private readonly causes = new Map<string, Cause>();
  private readonly perWindow: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly logger: Pick<Logger, Level>;

  constructor(logger: Pick<Logger, Level>, o: ThrottleOptions = {}) {
    this.logger = logger;
    this.perWindow = o.perWindow ?? 10;
    this.windowMs = o.windowMs ?? 60_000;
    this.now = o.now ?? Date.now;
  }

  /** Logs `msg` at `level` unless its cause (the message itself) already used up this window. */
  log(level: Level, fields: object, msg: string, perWindow = this.perWindow): void {
    const now = this.now();
    let c = this.causes.get(msg);
    if (c && now - c.windowStart >= this.windowMs) {
      this.flush(msg);
      c = undefined;
    }
    if (!c) {
      c = { windowStart: now, logged: 0, suppressed: 0, level, sample: fields, timer: undefined };
      this.causes.set(msg, c);
    }
    if (c.logged < perWindow) {
      c.logged++;
      this.logger[level](fields, msg);
      return;
    }
    c.suppressed++;
    c.sample = fields;
    // The summary is due at the window's end even when the flood stops before it.
    c.timer ??= setTimeout(() => this.flush(msg), Math.max(0, c.windowStart + this.windowMs - now)).unref();
  }

  /** Writes the pending summaries now (at stop, so none is lost). */
  flushAll(): void {
    for (const msg of Array.from(this.causes.keys())) this.flush(msg);
  }

  private flush(msg: string): void {
    const c = this.causes.get(msg);
    if (!c) return;
    clearTimeout(c.timer);
    this.causes.delete(msg);
    if (c.suppressed > 0) {
      this.logger[c.level]({ suppressed: c.suppressed, windowMs: this.windowMs, last: c.sample }, `suppressed ${c.suppressed} similar warnings: ${msg}`);
    }
  }
}
