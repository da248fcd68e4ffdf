/**
 * What became of a run an OpenClaw client started (`agent`, `agent.wait`, `chat.send`): read from
 * the store, so the answer holds across restarts and retries, and waited for through the run's
 * end event. OpenClaw's run id is the client's idempotency key, which is the WebChat message id.
 */
import { WEBCHAT } from "../../channels/webchat.ts";
import type { GatewayContext } from "../context.ts";

export interface RunOutcome {
  status: "ok" | "error" | "aborted";
  text: string;
  model: string | null;
  sessionKey: string;
  sessionId: number;
  startedAt: number;
  endedAt: number;
  error: string | null;
}

const waiters = new Map<string, Set<() => void>>();

/** Whether anyone waits for a run's end (the event translation is skipped when nobody listens). */
export function anyWaiting(): boolean {
  return waiters.size > 0;
}

/** Called when a run ends (events.ts sees every run's end): wakes whoever waits for it. */
export function runEnded(ocRunId: string): void {
  const set = waiters.get(ocRunId);
  if (!set) return;
  waiters.delete(ocRunId);
  for (const wake of set) wake();
}

/** The run's end from the store, or null while its message waits or runs. */
export function runOutcome(ctx: GatewayContext, ocRunId: string): RunOutcome | null | "unknown" {
  const store = ctx.brain.store;
  const inbound = store
    .prepare("SELECT id, state, session_key FROM inbound WHERE channel = ? AND account = ? AND message_id = ?")
    .get(WEBCHAT, ctx.brain.webchat.account, ocRunId) as { id: number; state: string; session_key: string } | undefined;
  if (!inbound) return "unknown";
  if (inbound.state === "pending" || inbound.state === "running") return null;
  const run = store
    .prepare("SELECT id, session_id, state, model, started_at, ended_at, error FROM runs WHERE inbound_id = ? ORDER BY id DESC LIMIT 1")
    .get(inbound.id) as
    | { id: number; session_id: number; state: string; model: string | null; started_at: number; ended_at: number | null; error: string | null }
    | undefined;
  if (!run)
    return {
      status: "error",
      text: "",
      model: null,
      sessionKey: inbound.session_key,
      sessionId: 0,
      startedAt: 0,
      endedAt: 0,
      error: "the message was dropped before a run began",
    };
  const reply = store.prepare("SELECT content FROM messages WHERE run_id = ? AND role IN ('assistant', 'notice') ORDER BY id DESC LIMIT 1").get(run.id) as
    | { content: string }
    | undefined;
  const status = run.state === "done" ? "ok" : run.state === "aborted" ? "aborted" : "error";
  return {
    status,
    text: reply?.content ?? "",
    model: run.model,
    sessionKey: inbound.session_key,
    sessionId: run.session_id,
    startedAt: run.started_at,
    endedAt: run.ended_at ?? run.started_at,
    error: status === "ok" ? null : (run.error ?? reply?.content ?? run.state),
  };
}

/** Waits for the run's end, at most `timeoutMs`; null on timeout, "unknown" when there is no such run. */
export async function waitRun(ctx: GatewayContext, ocRunId: string, timeoutMs: number, signal?: AbortSignal): Promise<RunOutcome | null | "unknown"> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = runOutcome(ctx, ocRunId);
    if (now !== null) return now;
    const left = deadline - Date.now();
    if (left <= 0 || signal?.aborted) return null;
    // Registered before the next look, so an end between the look and the wait is not missed; re-looked at least every 5 s (a run of a restarted gateway).
    await new Promise<void>((resolve) => {
      const set = waiters.get(ocRunId) ?? new Set();
      waiters.set(ocRunId, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0 && waiters.get(ocRunId) === set) waiters.delete(ocRunId);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, Math.min(left, 5000));
      signal?.addEventListener("abort", done, { once: true });
      set.add(done);
    });
  }
}
