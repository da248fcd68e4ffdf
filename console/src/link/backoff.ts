/**
 * Reconnect delays: 1 s doubling to 30 s, with jitter so that many tabs (or many operators)
 * reconnecting to a restarted gateway do not all arrive in the same instant.
 */

export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
  /** Fraction of the delay that is random: 0.3 gives a delay between 70% and 100% of the step. */
  jitter?: number;
}

/** The delay before reconnect attempt `attempt` (1-based); `random` returns [0, 1). Never above `maxMs`. */
export function backoffDelay(attempt: number, random: () => number = Math.random, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 1_000;
  const max = options.maxMs ?? 30_000;
  const jitter = options.jitter ?? 0.3;
  // Capping the exponent keeps 2 ** n finite however long the gateway stays away.
  const step = Math.min(max, base * 2 ** Math.min(Math.max(attempt, 1) - 1, 30));
  return Math.round(step * (1 - jitter * random()));
}
