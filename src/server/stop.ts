/**
 * The stop sequence: named steps run in order, each guarded, all within one deadline.
 *
 * A stop must end, whatever its steps do: a step that throws is logged and the next one runs (the
 * state dir may be gone, so writing the owner record fails with ENOENT); a step that hangs is
 * abandoned at the deadline, and the steps marked `final` (releasing the lock) still run. The
 * caller exits with the outcome's code; the kernel frees the port and the lock at exit anyway,
 * so a stop never leaves a half-stopped process holding them.
 */
import { errorCatalog } from "../shared/errors.ts";

export interface StopBudget {
  /** Milliseconds left for draining (clients, agent runs) before the cleanup reserve. */
  drainMs(): number;
}

export interface StopStep {
  /** Named in the log when it fails or hangs ("release the brain lock"). */
  readonly name: string;
  run(budget: StopBudget): void | Promise<void>;
  /** Runs even after an earlier step hung past the deadline; must be synchronous. */
  readonly final?: boolean;
}

export interface StopOutcome {
  ok: boolean;
  /** Steps that threw, with the message. */
  failed: Array<{ step: string; error: string }>;
  /** The step still running at the deadline, if one hung. */
  hung: string | null;
  /** 0 for a clean stop, STOP_INCOMPLETE's exit code otherwise. */
  exitCode: number;
  ms: number;
}

export interface StopLog {
  warn(details: Record<string, unknown>, msg: string): void;
  error(details: Record<string, unknown>, msg: string): void;
}

export interface StopTiming {
  /** `gateway.shutdownGraceMs`: the whole stop ends within it (but is given at least `minMs`). */
  graceMs: number;
  now?: () => number;
  /** Floor of the deadline, so a grace of 0 still lets the cleanup run. */
  minMs?: number;
}

/** The cleanup reserve: what is kept back from the drain for closing the store, the log and the lock. */
export function cleanupReserveMs(graceMs: number): number {
  return Math.min(1_000, Math.floor(graceMs / 4));
}

/** When a stop started at `startMs` must have ended. */
export function stopDeadline(startMs: number, t: Pick<StopTiming, "graceMs" | "minMs">): number {
  return startMs + Math.max(t.graceMs, t.minMs ?? 1_000);
}

/** Runs `steps` in order within the grace period; never rejects, always resolves by the deadline. */
export async function runStop(steps: readonly StopStep[], log: StopLog, timing: StopTiming): Promise<StopOutcome> {
  const now = timing.now ?? Date.now;
  const start = now();
  const deadline = stopDeadline(start, timing);
  const drainUntil = start + Math.max(0, timing.graceMs - cleanupReserveMs(timing.graceMs));
  const budget: StopBudget = { drainMs: () => Math.max(0, drainUntil - now()) };
  const failed: StopOutcome["failed"] = [];
  let hung: string | null = null;

  const guarded = (step: StopStep): void | Promise<void> => {
    const fail = (err: unknown) => {
      const error = err instanceof Error ? err.message : String(err);
      failed.push({ step: step.name, error });
      log.warn(
        { step: step.name, err: { message: error, code: (err as { code?: unknown })?.code } },
        `stop step "${step.name}" failed: ${error}; going on with the stop`,
      );
    };
    try {
      const r = step.run(budget);
      return r instanceof Promise ? r.catch(fail) : undefined;
    } catch (err) {
      fail(err);
    }
  };

  let i = 0;
  for (; i < steps.length; i++) {
    const step = steps[i]!;
    const running = guarded(step);
    if (!running) continue;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((r) => (timer = setTimeout(() => r("late"), Math.max(0, deadline - now()))));
    const result = await Promise.race([running.then(() => "done" as const), late]);
    clearTimeout(timer);
    if (result === "late") {
      hung = step.name;
      log.error({ step: step.name, graceMs: timing.graceMs }, `stop step "${step.name}" still running at the stop deadline; abandoning it and exiting`);
      break;
    }
  }
  // After a hang only the final (synchronous) steps run: they give back the lock and the owner record.
  for (i++; hung !== null && i < steps.length; i++) if (steps[i]!.final) void guarded(steps[i]!);

  const ok = failed.length === 0 && hung === null;
  return { ok, failed, hung, exitCode: ok ? 0 : errorCatalog.STOP_INCOMPLETE.exitCode, ms: now() - start };
}
