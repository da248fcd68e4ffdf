/**
 * The run journal over the store (the port is src/agent/journal.ts): `tool_calls` holds each
 * call's state, `messages` the assistant and tool lines the model sees again. Every write goes
 * through the group commit; the promises resolve when it is on disk.
 *
 * Every write first checks that the run is still this process's (state 'running', its epoch):
 * a process that lost the brain (frozen, then resumed after another took the lock and resumed
 * the run) can neither start a side effect nor add a line.
 */
import type { PlannedCall, RunJournal } from "../agent/journal.ts";
import { ToolRefusedError } from "../agent/tools/refused.ts";
import type { ToolCall, ToolResult } from "../agent/tools/types.ts";
import { appendMessage } from "../sessions/store.ts";
import type { StoreHandle } from "../store/handle.ts";
import type { ProcessGroupRecord } from "./ports.ts";

/** The run a journal writes for. */
export interface JournalRun {
  runId: number;
  sessionId: number;
}

/** The journal of one run, plus the call-state writes ToolContext needs. */
export class BrainJournal implements RunJournal {
  private readonly store: StoreHandle;
  private readonly run: JournalRun;
  private readonly epoch: number;
  private readonly now: () => number;
  private readonly onLost: () => void;

  /** `onLost` is called when a write finds the run taken over by another process (then it throws). */
  constructor(o: { store: StoreHandle; run: JournalRun; epoch: number; now: () => number; onLost: () => void }) {
    this.store = o.store;
    this.run = o.run;
    this.epoch = o.epoch;
    this.now = o.now;
    this.onLost = o.onLost;
  }

  /**
   * The assistant line with its calls, a 'planned' row per call and the run's step count, in one
   * write. Not waited for on disk: until a call starts acting nothing depends on it (a crash before
   * the fsync makes the same model call again), and `begin` waits for an fsync that covers it,
   * since group commits reach the disk in order. This saves an fsync on every read-only round trip.
   */
  async turn(step: number, text: string, calls: readonly PlannedCall[]): Promise<void> {
    const { runId, sessionId } = this.run;
    this.write(() => {
      const now = this.now();
      appendMessage(this.store, { sessionId, role: "assistant", content: text, now, runId, data: JSON.stringify(calls.map((c) => c.call)) });
      const insert = this.store.prepare(
        `INSERT INTO tool_calls (run_id, step, call_id, name, input, side_effects, state, created_at, epoch)
         VALUES (?, ?, ?, ?, ?, ?, 'planned', ?, ?)`,
      );
      for (const { call, sideEffects } of calls) insert.run(runId, step, call.id, call.name, JSON.stringify(call.input), sideEffects ? 1 : 0, now, this.epoch);
      this.store.prepare("UPDATE runs SET steps = ? WHERE id = ?").run(step, runId);
    });
  }

  /**
   * The call's row 'done' with its result, and its tool line; see RunJournal.result for `aborted`.
   * Waited for on disk only for a call with side effects (so a crash right after still knows its
   * outcome); a read-only result lost to a crash only means the call runs again.
   */
  async result(step: number, call: ToolCall, result: ToolResult, o?: { aborted: boolean }): Promise<void> {
    const { runId, sessionId } = this.run;
    let sideEffects = false;
    const { durable } = this.write(() => {
      const row = this.store
        .prepare("SELECT id, side_effects, state FROM tool_calls WHERE run_id = ? AND step = ? AND call_id = ?")
        .get(runId, step, call.id) as { id: number; side_effects: number; state: string } | undefined;
      // Answered already (a resume wrote "outcome unknown"), or never planned: nothing to add.
      if (!row || row.state === "done" || row.state === "unknown") return;
      if (o?.aborted && (row.side_effects === 0 || row.state !== "started")) return;
      sideEffects = row.side_effects === 1;
      const now = this.now();
      this.store
        .prepare("UPDATE tool_calls SET state = 'done', result = ?, is_error = ?, ended_at = ? WHERE id = ?")
        .run(result.content, result.isError ? 1 : 0, now, row.id);
      const data = JSON.stringify({ callId: call.id, name: call.name, isError: result.isError });
      appendMessage(this.store, { sessionId, role: "tool", content: result.content, now, runId, data });
    });
    if (sideEffects) await durable;
  }

  /**
   * Marks the call 'started' (and the approval executed, only if it was not yet) in one write;
   * resolves once on disk. Rejects when the call already started once, or the approval was used.
   */
  async begin(step: number, callId: string, approvalId?: string): Promise<void> {
    const { runId } = this.run;
    await this.write(() => {
      const now = this.now();
      if (approvalId !== undefined) {
        const used = this.store.prepare("UPDATE approvals SET executed_at = ? WHERE id = ? AND executed_at IS NULL").run(now, approvalId);
        if (Number(used.changes) === 0)
          throw new ToolRefusedError(`Approval ${approvalId} was already used (or does not exist): one approval allows one execution. Ask again.`);
      }
      const started = this.store
        .prepare(
          `UPDATE tool_calls SET state = 'started', started_at = ?, epoch = ?, approval_id = coalesce(?, approval_id)
           WHERE run_id = ? AND step = ? AND call_id = ? AND state IN ('planned', 'awaiting-approval')`,
        )
        .run(now, this.epoch, approvalId ?? null, runId, step, callId);
      if (Number(started.changes) === 0) throw new ToolRefusedError("This call has already started once; it is not started again.");
    }).durable;
  }

  /** Marks the call as waiting for an approval (still never acted: a restart asks again). */
  awaitingApproval(step: number, callId: string): void {
    this.write(() =>
      this.store
        .prepare("UPDATE tool_calls SET state = 'awaiting-approval' WHERE run_id = ? AND step = ? AND call_id = ? AND state = 'planned'")
        .run(this.run.runId, step, callId),
    );
  }

  /** Records the call's process group, in the WAL before this returns (a crash right after leaves it to reap). */
  recordProcess(step: number, callId: string, p: ProcessGroupRecord): void {
    this.store.commitNow(() => {
      this.assertMine();
      this.store
        .prepare("UPDATE tool_calls SET pid = ?, pgid = ?, proc_start = ? WHERE run_id = ? AND step = ? AND call_id = ?")
        .run(p.pid, p.pgid, p.startTime, this.run.runId, step, callId);
    });
  }

  private write<T>(fn: () => T): { value: T; durable: Promise<void> } {
    return this.store.grouped(() => {
      this.assertMine();
      return fn();
    });
  }

  private assertMine(): void {
    const row = this.store.prepare("SELECT epoch, state FROM runs WHERE id = ?").get(this.run.runId) as { epoch: number; state: string } | undefined;
    if (row?.state === "running" && row.epoch === this.epoch) return;
    if (row && row.epoch !== this.epoch) {
      this.onLost();
      throw new Error(`run ${this.run.runId} is no longer this process's (epoch ${this.epoch}): another gateway process took the brain and resumed it`);
    }
    throw new Error(`run ${this.run.runId} has ended; nothing more is journaled for it`);
  }
}
