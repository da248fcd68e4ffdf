/** Liveness and readiness: an event-loop lag monitor and a list of named readiness checks. */

export interface LagSnapshot {
  /** Over the last window (default 5 s). */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  windowMs: number;
}

/**
 * Measures event-loop lag as timer drift: a timer every `intervalMs` records how late it fired.
 * A stall of N ms shows up as N ms of drift on the next tick. Chosen over
 * perf_hooks.monitorEventLoopDelay, which samples every 20 ms (50 wake-ups a second on an idle
 * gateway) and costs about 1.5 MB of resident memory for its histogram.
 */
export class LagMonitor {
  private timer: NodeJS.Timeout | undefined;
  private readonly samples: Float64Array;
  private count = 0;
  private next = 0;
  private expected = 0;
  private readonly intervalMs: number;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(options: { windowMs?: number; intervalMs?: number; now?: () => number } = {}) {
    this.windowMs = options.windowMs ?? 5_000;
    this.intervalMs = options.intervalMs ?? 200;
    this.now = options.now ?? (() => performance.now());
    this.samples = new Float64Array(Math.max(1, Math.round(this.windowMs / this.intervalMs)));
  }

  start(): void {
    this.expected = this.now() + this.intervalMs;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** Records one tick's drift; public so tests can drive it with an injected clock. */
  tick(): void {
    const t = this.now();
    this.record(Math.max(0, t - this.expected));
    this.expected = t + this.intervalMs;
  }

  /** Adds one lag sample (ms) to the window. */
  record(lagMs: number): void {
    this.samples[this.next] = lagMs;
    this.next = (this.next + 1) % this.samples.length;
    this.count = Math.min(this.count + 1, this.samples.length);
  }

  /** Percentiles of the lag samples in the window; zeros before the first tick. */
  snapshot(): LagSnapshot {
    if (this.count === 0) return { p50Ms: 0, p99Ms: 0, maxMs: 0, windowMs: this.windowMs };
    const sorted = Array.from(this.samples.subarray(0, this.count)).sort((a, b) => a - b);
    const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10;
    return { p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1), windowMs: this.windowMs };
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
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

/**
 * A readiness check. `external` marks one that reports something outside this process (a
 * platform, another brain): it counts for /readyz, but not for the process's own health, which
 * systemd's READY and watchdog judge, since a restart cannot fix it.
 */
export type ReadinessCheck = (() => ComponentState) & { external?: boolean };

/** Runs every check (only the process's own with `processOnly`); one that throws counts as failing with its message. */
export function evaluateReadiness(checks: readonly ReadinessCheck[], o: { processOnly?: boolean } = {}): ReadinessReport {
  const components = checks
    .filter((check) => !(o.processOnly && check.external))
    .map((check) => {
      try {
        return check();
      } catch (err) {
        return { name: check.name || "check", ok: false, detail: (err as Error).message };
      }
    });
  const failing = components.filter((c) => !c.ok).map((c) => c.name);
  return { ready: failing.length === 0, components, failing };
}
