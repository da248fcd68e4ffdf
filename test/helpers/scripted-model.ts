/**
 * A model provider (our own ModelProvider interface, not an outside service) whose turns come
 * from a script: each turn streams its text and may ask for tool calls. It records every request.
 * The wire formats are tested against the fake model server; this drives the loop in-process.
 */
import type { ChatTurn, CompletionRequest, CompletionResult, ModelProvider } from "../../src/agent/provider.ts";
import type { ToolCall } from "../../src/agent/tools/types.ts";

/** One model turn: text and tool calls. */
export interface Turn {
  text?: string;
  calls?: ToolCall[];
}

/** A turn, or a function of the request that gives one (it may wait, or throw). */
export type TurnScript = Turn | ((req: CompletionRequest, n: number) => Turn | Promise<Turn>);

/** What a request looked like when it was made (copied: the loop's history grows afterwards). */
export interface SeenRequest {
  system: string;
  messages: ChatTurn[];
  tools: string[] | undefined;
}

/** A call as a model turn writes it. */
export function call(id: string, name: string, input: Record<string, unknown> = {}): ToolCall {
  return { id, name, input };
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true }));
}

/** The scripted provider: turns are taken in order; with none left, it answers "done". */
export class ScriptedModel implements ModelProvider {
  readonly provider = "scripted";
  readonly model = "m1";
  readonly requests: SeenRequest[] = [];
  turns: TurnScript[];

  constructor(turns: TurnScript[] = []) {
    this.turns = turns;
  }

  async complete(req: CompletionRequest): Promise<CompletionResult> {
    const n = this.requests.length;
    this.requests.push({ system: req.system, messages: structuredClone(req.messages), tools: req.tools?.map((t) => t.name) });
    const next = this.turns.shift() ?? { text: "done" };
    const turn = typeof next === "function" ? await Promise.race([next(req, n), aborted(req.signal)]) : next;
    req.signal.throwIfAborted();
    const text = turn.text ?? "";
    if (text) req.onDelta?.(text);
    const calls = turn.calls ?? [];
    return {
      text,
      toolCalls: calls,
      provider: this.provider,
      model: this.model,
      stopReason: calls.length ? "tool_use" : "end_turn",
      cut: false,
      refused: false,
      usage: null,
      attempts: 1,
    };
  }
}

/** Every tool call in a request's history has its result in the next turn (what both APIs require). */
export function callsAnswered(messages: readonly ChatTurn[]): boolean {
  for (let i = 0; i < messages.length; i++) {
    const t = messages[i]!;
    if (t.role !== "assistant" || !t.toolCalls?.length) continue;
    const next = messages[i + 1];
    if (next?.role !== "tool") return false;
    const ids = next.results.map((r) => r.callId);
    if (ids.length !== t.toolCalls.length || t.toolCalls.some((c, k) => ids[k] !== c.id)) return false;
  }
  // And no result without its call.
  return messages.every(
    (t, i) => t.role !== "tool" || (messages[i - 1]?.role === "assistant" && (messages[i - 1] as { toolCalls?: unknown[] }).toolCalls?.length),
  );
}
