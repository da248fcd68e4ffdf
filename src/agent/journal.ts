/**
 * The run journal port: what the tool loop writes so that a run survives a crash. The brain
 * implements it over the `tool_calls` and `messages` tables (src/brain/journal.ts).
 *
 * The order is the guarantee: a model turn that calls tools is recorded (assistant line + one
 * 'planned' row per call) before any of its calls acts; a side-effecting call marks itself
 * 'started' on disk (ToolContext.beginSideEffect) before it acts; each result is recorded as it
 * ends; and the next model call waits until the turn's results are durable. After a crash the
 * journal says, for every call, whether it certainly did nothing (run it again), finished (its
 * result is there), or may have acted (never run again: the model is told the outcome is unknown).
 */
import type { ToolCall, ToolContext, ToolResult } from "./tools/types.ts";

/** One call of a model turn, as the journal plans it. */
export interface PlannedCall {
  call: ToolCall;
  /** From the tool (false for an unknown tool): decides what a crash does to the call. */
  sideEffects: boolean;
}

/**
 * The journal of one run. Each method writes at once (committed in order with every other write);
 * its promise resolves when what depends on it is safe: a side-effecting call's result on disk,
 * anything else once written. Whatever a side effect's start depends on reaches the disk before
 * that start does (ToolContext.beginSideEffect).
 */
export interface RunJournal {
  /** Records a model turn that called tools (its `step`, counted from 1), in one write. */
  turn(step: number, text: string, calls: readonly PlannedCall[]): Promise<void>;
  /**
   * Records one call's result as the call ends. With `aborted` (the run's signal had fired), only
   * a side-effecting call that had started is recorded: any other call did nothing, and a
   * resumed run runs it again rather than read "stopped" as its outcome.
   */
  result(step: number, call: ToolCall, result: ToolResult, o?: { aborted: boolean }): Promise<void>;
}

/** Where a resumed run's journal left it. */
export interface ResumePoint {
  /** Model turns with calls already journaled; the loop counts on from here. */
  step: number;
  /** Calls of that last turn that have no result and may run (again): read-only ones, and side-effecting ones that never started. */
  pending: ToolCall[];
}

/** What the brain lends the loop for one run. */
export interface RunHooks {
  journal: RunJournal;
  /** The context one call's tool runs with (its origin, the run's signal, the gateway's ports). */
  toolContext(step: number, call: ToolCall): ToolContext;
  /** Set when the run resumes after a restart. */
  resume?: ResumePoint;
}
