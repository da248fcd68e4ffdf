/** Liveness and readiness: an event-loop lag monitor and a list of named readiness checks. */
import { monitorEventLoopDelay, type ELDHistogram } from "node:perf_hooks";

export interface LagSnapshot {
  /** Over the last full window (default 5 s). */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  windowMs: number;
}

/** Sampling interval of the delay histogram; every sample includes it, so it is subtracted. */
const RESOLUTION_MS = 20;

/** Nanoseconds of timer delay to milliseconds of lag (0.1 ms precision). */
function lagMs(ns: number): number {
  return Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 10) / 10);
}

/** Measures event-loop delay in rolling windows, so a stall shows up within one window and then clears. */
export class LagMonitor {
  private histogram: ELDHistogram | undefined;
  private timer: NodeJS.Timeout | undefined;
  private last: LagSnapshot;
  private readonly windowMs: number;

  constructor(windowMs = 5_000) {
    this.windowMs = windowMs;
    this.last = { p50Ms: 0, p99Ms: 0, maxMs: 0, windowMs };
  }

  start(): void {
    this.histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.histogram.enable();
    this.timer = setInterval(() => this.roll(), this.windowMs);
    this.timer.unref();
  }

  private roll(): void {
    const h = this.histogram;
    if (!h) return;
    this.last = { p50Ms: lagMs(h.percentile(50)), p99Ms: lagMs(h.percentile(99)), maxMs: lagMs(h.max), windowMs: this.windowMs };
    h.reset();
  }

  /** The last complete window, or the current partial one if it is already worse. */
  snapshot(): LagSnapshot {
    const h = this.histogram;
    if (h && h.count > 0) {
      const currentP99 = lagMs(h.percentile(99));
      if (currentP99 > this.last.p99Ms) return { ...this.last, p99Ms: currentP99, maxMs: Math.max(this.last.maxMs, lagMs(h.max)) };
    }
    return this.last;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.histogram?.disable();
  }
}

export interface ComponentState {
  name: string;
  ok: boolean;
  detail?: string;
}

export interface ReadinessReport {
  ready: boolean;
  components: ComponentState[];
  /** Names of the failing components (safe to show anyone). */
  failing: string[];
}

export type ReadinessCheck = () => ComponentState;

/** Runs every check; one that throws counts as failing with its message. */
export function evaluateReadiness(checks: readonly ReadinessCheck[]): ReadinessReport {
  const components = checks.map((check) => {
    try {
      return check();
    } catch (err) {
      return { name: check.name || "check", ok: false, detail: (err as Error).message };
    }
  });
  const failing = components.filter((c) => !c.ok).map((c) => c.name);
  return { ready: failing.length === 0, components, failing };
}
