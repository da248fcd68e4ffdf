/** Latency statistics of the chat benches, and the merging of several load runs into one. */
import type { RunResult } from "./chat-clients.ts";

/** Nearest-rank percentile of sorted samples, rounded to 0.01 ms. */
function pct(sorted: readonly number[], p: number): number {
  if (!sorted.length) return 0;
  return Math.round(sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]! * 100) / 100;
}

/** p50/p90/p99/max (ms) of a run's latencies. */
export function latencyStats(latencies: readonly number[]) {
  const s = [...latencies].sort((a, b) => a - b);
  return { p50_ms: pct(s, 50), p90_ms: pct(s, 90), p99_ms: pct(s, 99), max_ms: pct(s, 100) };
}

/** Sums the counts of several runs (latencies concatenated, the first error kept). */
export function merged(runs: RunResult[]): RunResult {
  const sum = (f: (r: RunResult) => number) => runs.reduce((n, r) => n + f(r), 0);
  return {
    type: "result",
    sent: sum((r) => r.sent),
    answered: sum((r) => r.answered),
    errorReplies: sum((r) => r.errorReplies),
    sendErrors: sum((r) => r.sendErrors),
    unanswered: sum((r) => r.unanswered),
    firstError: runs.find((r) => r.firstError)?.firstError ?? null,
    latenciesMs: runs.flatMap((r) => r.latenciesMs),
    measuredSpanMs: sum((r) => r.measuredSpanMs),
    sendLagP99Ms: Math.max(...runs.map((r) => r.sendLagP99Ms)),
    sendLagMaxMs: Math.max(...runs.map((r) => r.sendLagMaxMs)),
    clientCpuMs: sum((r) => r.clientCpuMs),
  };
}
