/**
 * Assembles an OpenAI-compatible Chat Completions stream (its parsed chunks) into reply text, tool
 * calls, finish reason and usage, apart from any I/O so recorded streams can be replayed through it.
 *
 * Tool calls arrive as `choices[0].delta.tool_calls[]` fragments keyed by `index`: the first
 * fragment of a call carries its `id` and `function.name`, later ones append to
 * `function.arguments`. Servers differ, and each difference is handled here:
 * - some (Ollama, some vLLM versions) put every parallel call at index 0: a fragment with a NEW id
 *   and a name at an index already in use starts a new call there. A new id without a name does not
 *   (LM Studio is reported to repeat fresh ids on a call's later fragments); a fragment with no id
 *   continues the current call at its index;
 * - some send each call whole in one fragment, or several calls in one chunk;
 * - some omit `index` (its position in the array stands in) or the id (`call_<n>` stands in);
 * - older ones use the legacy `delta.function_call` (one call, no id) and finish "function_call";
 * - finish_reason may be "tool_calls", "function_call", or even "stop" with calls present: the calls
 *   count either way.
 */
import type { ToolCall } from "../tools/types.ts";
import { appendArgs, CallIds, asNumber, asObject, parseToolInput, type AssemblerSinks } from "./assembly.ts";

interface OpenCall {
  id: string;
  name: string;
  args: string;
}

/** The index the legacy `function_call` delta is kept under (real tool-call indexes are >= 0). */
const LEGACY = -1;

/** One Chat Completions stream's state; `push` each chunk, then read the fields. */
export class OpenAIAssembler {
  text = "";
  stopReason: string | null = null;
  usage: { inputTokens: number; outputTokens: number } | null = null;
  #calls: OpenCall[] = [];
  /** The call currently receiving fragments at each index. */
  #current = new Map<number, OpenCall>();
  #sinks: AssemblerSinks;

  constructor(sinks: AssemblerSinks = {}) {
    this.#sinks = sinks;
  }

  /** Feeds one parsed chunk (not `[DONE]`, not an error chunk). */
  push(chunk: Record<string, unknown>): void {
    const choice = asObject(Array.isArray(chunk.choices) ? chunk.choices[0] : undefined);
    const delta = asObject(choice.delta);
    if (typeof delta.content === "string" && delta.content) {
      this.text += delta.content;
      this.#sinks.onText?.(delta.content);
    }
    if (Array.isArray(delta.tool_calls)) {
      delta.tool_calls.forEach((raw, position) => {
        const tc = asObject(raw);
        this.#fragment(asNumber(tc.index) ?? position, str(tc.id), asObject(tc.function));
      });
    }
    if (delta.function_call && typeof delta.function_call === "object") this.#fragment(LEGACY, "", asObject(delta.function_call));
    if (typeof choice.finish_reason === "string") this.stopReason = choice.finish_reason;
    const u = asObject(chunk.usage);
    const input = asNumber(u.prompt_tokens);
    const output = asNumber(u.completion_tokens);
    if (input !== undefined && output !== undefined) this.usage = { inputTokens: input, outputTokens: output };
  }

  /** The calls in the order the stream opened them, their arguments parsed. */
  toolCalls(): ToolCall[] {
    const ids = new CallIds();
    return this.#calls.map((c, i) => {
      const { input, inputError } = parseToolInput(c.name, c.args);
      return { id: ids.take(c.id, i), name: c.name, input, ...(inputError !== undefined ? { inputError } : {}) };
    });
  }

  #fragment(index: number, id: string, fn: Record<string, unknown>): void {
    const name = str(fn.name);
    let call = this.#current.get(index);
    if (!call || (id && call.id && id !== call.id && name)) {
      call = { id, name: "", args: "" };
      this.#calls.push(call);
      this.#current.set(index, call);
    }
    if (id && !call.id) call.id = id;
    if (name) call.name = name;
    // Arguments are text on the wire; a server that sends an object is taken at its word.
    if (typeof fn.arguments === "string") call.args = appendArgs(call.args, fn.arguments);
    else if (fn.arguments && typeof fn.arguments === "object") call.args = appendArgs(call.args, JSON.stringify(fn.arguments));
    this.#sinks.onToolFragment?.();
  }
}

const str = (v: unknown) => (typeof v === "string" ? v : "");
