/**
 * One run from its claim (or its resumption) to its outcome: wait until the claim is on disk,
 * ask the agent (with the run's journal and tool contexts when tools are wired), then write the
 * outcome and its reply in one transaction and tell the clients.
 *
 * A run cut short because this process is letting go of the brain (a stop, or another process
 * took it) writes nothing: it stays 'running' and the next start resumes it (resume.ts).
 */
import type { RunHooks } from "../agent/journal.ts";
import type { Channel } from "../channels/channel.ts";
import { metrics } from "../metrics/instruments.ts";
import { BrainJournal } from "./journal.ts";
import type { BrainOptions } from "./ports.ts";
import { finishRun, type ClaimedRun, type RunOutcome } from "./runs.ts";
import { sessionStatusText } from "./status-command.ts";
import { createToolContext } from "./tool-context.ts";

/** What a run needs from the brain that runs it. */
export interface RunEnv {
  o: BrainOptions;
  now: () => number;
  channel(id: string, account: string): Channel | undefined;
  /** True once this process lets go of its runs (stopping, or fenced): an aborted run is then left to resume. */
  leaving(): boolean;
  /** Called when the journal finds the run taken over by another process. */
  fence(): void;
}

/** "Left to resume": the run wrote nothing and stays 'running'. */
type Paused = { kind: "paused" };

function errorReply(err: unknown, timeoutSeconds: number, timedOut: boolean): string {
  if (timedOut) return `I could not answer within ${timeoutSeconds} s. Please try again.`;
  const e = err as { code?: string; details?: { httpStatus?: number; userReply?: unknown } };
  // The agent words model failures itself (a refused key, an unknown model: what it is and the fix).
  if (typeof e.details?.userReply === "string") return e.details.userReply;
  const status = e.details?.httpStatus ? ` (HTTP ${e.details.httpStatus})` : "";
  return `The model did not answer${status}. Please try again in a moment.`;
}

/** Runs one claimed message to its end. Throws only when the store fails (the caller stops the brain). */
export async function executeRun(env: RunEnv, run: ClaimedRun, claimed: Promise<void>, abort: AbortController, defaultTimeout: number): Promise<void> {
  const { o } = env;
  // A submitted message (cron, webhook) has its own timeout and no one typing to.
  const timeoutSeconds = run.submission?.timeoutSeconds ?? defaultTimeout;
  const channel = run.submission ? undefined : env.channel(run.channel, run.account);
  let typing = false;
  try {
    // The model is called only once the claim is durable: after a crash this message is then
    // 'running' (resumed by the next start), never claimed a second time.
    await claimed;
    typing = channel?.typing !== undefined;
    channel?.typing?.(run.peer, true);
    let outcome: RunOutcome | Paused;
    try {
      outcome = await think(env, run, abort, timeoutSeconds);
    } catch (err) {
      o.logger.error({ err, runId: run.runId }, "run failed unexpectedly");
      outcome = env.leaving()
        ? { kind: "paused" }
        : { kind: "error", text: "Something went wrong on my side. Please try again.", error: (err as Error).message };
    }
    if (outcome.kind === "paused") {
      metrics.runs.inc({ outcome: "interrupted" });
      return;
    }
    const finished = o.store.grouped(() => finishRun(o.store, run, outcome, o.epoch, env.now()));
    await finished.durable;
    if (finished.value === null) return; // another process resumed it and will answer
    metrics.runs.inc({ outcome: outcome.kind === "notice" ? (outcome.state === "done" ? "notice" : outcome.state) : outcome.kind });
    const base = { type: "chat" as const, runId: run.runId, sessionKey: run.sessionKey };
    if (outcome.kind === "reply") o.emit({ ...base, state: "final", text: outcome.text, model: outcome.model });
    else if (outcome.kind === "notice" && outcome.state === "done") o.emit({ ...base, state: "final", text: outcome.text, model: null });
    else o.emit({ ...base, state: outcome.kind === "error" ? "error" : "aborted", text: outcome.text });
  } finally {
    if (typing) channel?.typing?.(run.peer, false);
  }
}

async function think(env: RunEnv, run: ClaimedRun, abort: AbortController, timeoutSeconds: number): Promise<RunOutcome | Paused> {
  const { o } = env;
  if (run.command === "status") return { kind: "notice", text: sessionStatusText(o.store, run, o.agent.describe(run.agentId), env.now()), state: "done" };
  if (run.command) return { kind: "notice", text: "Started a new session.", state: "done" };
  const missing = o.agent.notConfigured(run.agentId);
  if (missing) return { kind: "notice", text: missing, state: "done" };
  // A timer cleared when the run ends, not AbortSignal.timeout(): that one stays alive (with
  // everything the run's closures hold) for the whole timeout, so at hundreds of messages a
  // second the heap grew by rate x timeout.
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    abort.abort(new DOMException(`run timed out after ${timeoutSeconds} s`, "TimeoutError"));
  }, timeoutSeconds * 1000);
  try {
    const r = await o.agent.reply({
      agentId: run.agentId,
      sessionKey: run.sessionKey,
      history: run.history,
      signal: abort.signal,
      onDelta: (delta) => o.emit({ type: "chat", state: "delta", runId: run.runId, sessionKey: run.sessionKey, delta }),
      ...(o.tools ? { run: hooks(env, run, abort.signal) } : {}),
    });
    return { kind: "reply", text: r.text, model: r.model };
  } catch (err) {
    if (!timedOut && abort.signal.aborted && env.leaving()) return { kind: "paused" };
    if (!timedOut && abort.signal.aborted) return { kind: "notice", text: "Stopped.", state: "aborted" };
    o.logger.warn({ err, runId: run.runId, timedOut }, "run ended without an answer");
    // A submitted run that timed out may have acted (its tools ran): its outcome is unknown.
    if (timedOut && run.submission) return { kind: "notice", text: `Timed out after ${timeoutSeconds} s: the outcome is unknown.`, state: "interrupted" };
    return { kind: "error", text: errorReply(err, timeoutSeconds, timedOut), error: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/** The run's journal and tool contexts for the agent. */
function hooks(env: RunEnv, run: ClaimedRun, signal: AbortSignal): RunHooks {
  const { o } = env;
  const journal = new BrainJournal({ store: o.store, run, epoch: o.epoch, now: env.now, onLost: () => env.fence() });
  return {
    journal,
    toolContext: (step, call) => createToolContext({ ports: o.tools!, run, step, call, signal, journal }),
    ...(run.resume ? { resume: run.resume } : {}),
  };
}
