/**
 * onebrain's events as OpenClaw's clients expect them. A run's reply streams as `chat` events
 * (state delta with the text so far, then final, error or aborted) and `agent` events (lifecycle
 * start and end, assistant deltas), each with the run's own `seq`. The run id is the one
 * `chat.send` or `agent` answered: the idempotency key the client chose (its WebChat message id);
 * runs from channels are `run-<id>`.
 */
import { WEBCHAT } from "../../channels/webchat.ts";
import type { GatewayContext } from "../context.ts";
import { runEnded } from "./runs.ts";

export interface OcEvent {
  event: string;
  payload: unknown;
  /** The scope an operator needs to get it (OpenClaw: operator.read for chat and agent). */
  scope: string | null;
}

interface RunState {
  runId: string;
  seq: number;
  text: string;
  startedAt: number;
}

interface ChatEvent {
  state: "delta" | "final" | "error" | "aborted" | "notice";
  runId: number | null;
  sessionKey: string;
  delta?: string;
  text?: string;
  model?: string | null;
}

const runs = new Map<number, RunState>();
/** Runs whose end was never seen (a socket-less brain event stream) are forgotten past this many. */
const MAX_RUNS = 1000;

/** The agent a session key names (`agent:<id>:...`). */
export function agentOf(sessionKey: string): string {
  const m = /^agent:([^:]+):/.exec(sessionKey);
  return m ? m[1]! : "main";
}

/** The OpenClaw run id of a onebrain run: its WebChat message id (the client's idempotency key), else `run-<id>`. */
export function openclawRunId(ctx: GatewayContext, runId: number): string {
  const row = ctx.brain.store.prepare("SELECT i.channel, i.message_id FROM runs r JOIN inbound i ON i.id = r.inbound_id WHERE r.id = ?").get(runId) as
    | { channel: string; message_id: string }
    | undefined;
  return row?.channel === WEBCHAT ? row.message_id : `run-${runId}`;
}

function stateOf(ctx: GatewayContext, runId: number): RunState {
  let s = runs.get(runId);
  if (!s) {
    if (runs.size >= MAX_RUNS) runs.delete(runs.keys().next().value!);
    s = { runId: openclawRunId(ctx, runId), seq: 0, text: "", startedAt: Date.now() };
    runs.set(runId, s);
  }
  return s;
}

const assistant = (text: string, now: number) => ({ role: "assistant", content: [{ type: "text", text }], timestamp: now });

/** Translates one onebrain event (as broadcast to onebrain clients) into OpenClaw events. */
export function openclawEvents(ctx: GatewayContext, event: string, payload: unknown): OcEvent[] {
  if (event !== "chat") return [];
  const e = payload as ChatEvent;
  if (e.runId === null) return [];
  const fresh = !runs.has(e.runId);
  const s = stateOf(ctx, e.runId);
  const now = Date.now();
  const base = { runId: s.runId, sessionKey: e.sessionKey, agentId: agentOf(e.sessionKey) };
  const out: OcEvent[] = [];
  const agent = (stream: string, data: Record<string, unknown>) =>
    out.push({ event: "agent", scope: "operator.read", payload: { ...base, stream, data, seq: ++s.seq, ts: now } });
  const chat = (body: Record<string, unknown>) => out.push({ event: "chat", scope: "operator.read", payload: { ...base, seq: ++s.seq, ...body } });
  if (fresh) agent("lifecycle", { phase: "start", startedAt: s.startedAt });
  if (e.state === "delta") {
    s.text += e.delta ?? "";
    agent("assistant", { text: s.text, delta: e.delta ?? "" });
    chat({ state: "delta", deltaText: e.delta ?? "", message: assistant(s.text, now) });
    return out;
  }
  runs.delete(e.runId);
  const text = e.text ?? s.text;
  const aborted = e.state === "aborted";
  const stopReason = e.state === "final" ? "stop" : e.state === "aborted" ? "aborted" : "error";
  agent("lifecycle", {
    phase: e.state === "error" ? "error" : "end",
    startedAt: s.startedAt,
    endedAt: now,
    aborted,
    stopReason,
    ...(e.state === "error" ? { error: text } : {}),
  });
  if (e.state === "final") chat({ state: "final", stopReason, message: assistant(text, now) });
  else if (aborted) chat({ state: "aborted", stopReason, ...(s.text ? { message: assistant(s.text, now) } : {}) });
  else chat({ state: "error", stopReason, errorMessage: text, message: assistant(text, now) });
  // After the run's rows are written (the brain emits its end once they are): agent.wait and agent look them up.
  queueMicrotask(() => runEnded(s.runId));
  return out;
}
