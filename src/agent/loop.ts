/**
 * The tool loop: model -> tools -> model, until the model answers without calling a tool.
 *
 * - At most `maxSteps` model turns call tools. After that, one last model call is told (in its
 *   system prompt) to answer with what it has; the tools stay declared, because both APIs refuse
 *   a history with tool calls when no tools are declared. If it still asks for tools, they are not
 *   run and the reply says the limit was reached.
 * - Every turn streams to `onDelta` (a blank line between turns); the reply is the final turn's
 *   text (agent.ts words an empty one).
 * - Each model call goes through `completeWithFallback`, as a plain reply does.
 * - Everything runs under the run's signal (`reply.timeoutSeconds`, a cancel, a stop).
 * - With hooks, each turn with calls and each result is journaled (journal.ts); a resumed run
 *   first runs the calls its journal left open.
 * - With no tools, the request carries none, and past tool exchanges are folded into plain turns.
 */
import type { RunHooks } from "./journal.ts";
import { completeWithFallback } from "./models.ts";
import type { ChatTurn, CompletionResult, ModelProvider } from "./provider.ts";
import { runCalls, sideEffectsOf, type CallRunner, type ToolLog } from "./tools/execute.ts";
import type { Tool, ToolCall, ToolResult, ToolSpec } from "./tools/types.ts";

/** What the last model call of a run that used every tool step is told. */
export const STEP_LIMIT_INSTRUCTION =
  "You have used every tool step allowed for this message. Do not call any more tools: answer now with what you have, and say what is left undone.";

/** One run of the loop. */
export interface LoopRequest {
  providers: readonly ModelProvider[];
  system: string;
  /** Oldest first, ending with the user turn (or, resumed, with the run's journaled turns). */
  history: readonly ChatTurn[];
  maxTokens: number;
  /** The tools the policy enables; empty: a plain conversation. */
  tools: readonly Tool[];
  /** Tools this gateway has that the policy leaves out. */
  disabled?: ReadonlySet<string>;
  maxSteps: number;
  signal: AbortSignal;
  onDelta: (text: string) => void;
  /** Required when `tools` is not empty: calls are journaled before they act. */
  hooks?: RunHooks;
  log?: ToolLog;
}

/** How the loop ended. */
export interface LoopResult {
  /** The final model turn. */
  final: CompletionResult;
  /** Tool calls answered in this run (here, since a resume). */
  toolCalls: number;
  /** True when the final turn still asked for tools after the last step: they were not run. */
  stepLimitHit: boolean;
}

/** Runs the loop (see above). Throws what the model call throws; never because of a tool. */
export async function runLoop(req: LoopRequest): Promise<LoopResult> {
  const withTools = req.tools.length > 0;
  const pending = req.hooks?.resume?.pending ?? [];
  if (!withTools && pending.length === 0) {
    // A plain conversation: one model call, the request exactly as before tools existed.
    const messages = plainHistory(req.history) as ChatTurn[];
    const final = await completeWithFallback(req.providers, {
      system: req.system,
      messages,
      maxTokens: req.maxTokens,
      signal: req.signal,
      onDelta: req.onDelta,
    });
    return { final, toolCalls: 0, stepLimitHit: false };
  }
  const history: ChatTurn[] = [...req.history];
  if (withTools && !req.hooks) throw new Error("runLoop: tools need run hooks (a journal)");
  const runner: CallRunner | null = req.hooks
    ? {
        tools: new Map(req.tools.map((t) => [t.name, t])),
        disabled: req.disabled ?? new Set(),
        hooks: req.hooks,
        signal: req.signal,
        ...(req.log ? { log: req.log } : {}),
      }
    : null;
  const specs = specsOf(req.tools);
  let step = req.hooks?.resume?.step ?? 0;
  let toolCalls = 0;

  if (runner && pending.length) {
    addResults(history, await runCalls(runner, step, pending));
    toolCalls += pending.length;
  }

  let streamed = false;
  for (;;) {
    const last = step >= req.maxSteps;
    let first = true;
    const final = await completeWithFallback(req.providers, {
      system: last && withTools ? `${req.system}\n\n${STEP_LIMIT_INSTRUCTION}` : req.system,
      messages: withTools ? [...history] : [...plainHistory(history)],
      maxTokens: req.maxTokens,
      ...(withTools ? { tools: specs } : {}),
      signal: req.signal,
      onDelta: (text) => {
        if (first && streamed && text) req.onDelta("\n\n");
        first = false;
        streamed ||= text !== "";
        req.onDelta(text);
      },
    });
    const calls = unique(final.toolCalls, req.log);
    if (!withTools || calls.length === 0 || last) return { final, toolCalls, stepLimitHit: withTools && calls.length > 0 };
    step++;
    const journaled = runner!.hooks.journal.turn(
      step,
      final.text,
      calls.map((call) => ({ call, sideEffects: sideEffectsOf(runner!, call) })),
    );
    journaled.catch(() => {}); // awaited below; a failed call run may end the loop before that
    history.push({ role: "assistant", content: final.text, toolCalls: calls });
    // The turn's write need not be on disk before a read-only call runs; a side-effecting call's
    // `beginSideEffect` waits for a later write, which makes this one durable first.
    const results = await runCalls(runner!, step, calls);
    await journaled;
    history.push({ role: "tool", results });
    toolCalls += calls.length;
  }
}

/** A server that repeats a call id within one turn would have its results mixed up: the first call of an id is kept. */
function unique(calls: readonly ToolCall[], log?: ToolLog): ToolCall[] {
  const seen = new Set<string>();
  const out = calls.filter((c) => !seen.has(c.id) && (seen.add(c.id), true));
  if (out.length < calls.length) log?.warn({ ids: calls.map((c) => c.id) }, "the model repeated a tool call id within one turn; the repeats were dropped");
  return out;
}

/** Adds a resumed turn's new results to the history: into its tool turn (in call order), or as one. */
function addResults(history: ChatTurn[], results: readonly ToolResult[]): void {
  const lastTurn = history.at(-1);
  const known = lastTurn?.role === "tool" ? lastTurn.results : [];
  if (lastTurn?.role === "tool") history.pop();
  const call = history.at(-1);
  const order = call?.role === "assistant" ? (call.toolCalls ?? []).map((c) => c.id) : [];
  const all = [...known, ...results].sort((a, b) => order.indexOf(a.callId) - order.indexOf(b.callId));
  history.push({ role: "tool", results: all });
}

/**
 * Past tool exchanges as plain turns, for a request that declares no tools (the APIs refuse tool
 * blocks then): tool turns dropped, calls left out, empty assistant turns dropped, and turns of
 * the same role that end up side by side joined.
 */
export function plainHistory(history: readonly ChatTurn[]): readonly ChatTurn[] {
  // A conversation that never used tools goes out exactly as it is.
  if (!history.some((t) => t.role === "tool" || (t.role === "assistant" && t.toolCalls?.length))) return history;
  const out: Array<{ role: "user" | "assistant"; content: string }> = [];
  for (const t of history) {
    if (t.role === "tool") continue;
    if (t.role === "assistant" && t.content.trim() === "") continue;
    const prev = out.at(-1);
    if (prev?.role === t.role) prev.content = `${prev.content}\n\n${t.content}`;
    else out.push({ role: t.role, content: t.content });
  }
  return out;
}

const specCache = new WeakMap<readonly Tool[], ToolSpec[]>();

/** The specs of a tool list, the same array for the same list: providers serialize it once (jsonCache). */
function specsOf(tools: readonly Tool[]): ToolSpec[] {
  let specs = specCache.get(tools);
  if (!specs) specCache.set(tools, (specs = tools.map((t) => t.spec)));
  return specs;
}
