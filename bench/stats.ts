/** Summary statistics for bench samples, and the shape of one result line. */

export interface Summary {
  median: number;
  p90: number;
  min: number;
  max: number;
  runs: number;
}

/** A measurement compared with its target and with the OpenClaw reference. */
export interface BenchResult {
  name: string;
  unit: string;
  median?: number;
  p90?: number;
  min?: number;
  max?: number;
  runs: number;
  target: number;
  pass: boolean;
  openclaw: string;
  /** Set when the measurement itself could not be made; the bench then exits non-zero. */
  error?: string;
  [extra: string]: unknown;
}

/** Rounds to one decimal: sub-0.1 precision is noise for process timings and RSS. */
export function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

/** Median (mean of the middle two for even counts), nearest-rank p90, min and max. */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error("summarize: no samples");
  const s = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  const p90 = s[Math.max(0, Math.ceil(0.9 * s.length) - 1)]!;
  return { median: round1(median), p90: round1(p90), min: round1(s[0]!), max: round1(s[s.length - 1]!), runs: s.length };
}

/** Builds a result whose verdict is "median <= target". */
export function resultOf(
  name: string,
  unit: string,
  samples: readonly number[],
  target: number,
  openclaw: string,
  extra: Record<string, unknown> = {},
): BenchResult {
  const s = summarize(samples);
  return { name, unit, ...s, target, pass: s.median <= target, openclaw, ...extra };
}

/** A result for a measurement that failed to run (it never passes). */
export function errorResult(name: string, unit: string, target: number, openclaw: string, err: unknown): BenchResult {
  return { name, unit, runs: 0, target, pass: false, openclaw, error: err instanceof Error ? err.message : String(err) };
}
