/**
 * Assembles an Anthropic Messages stream (its parsed event payloads) into reply text, tool calls,
 * stop reason and usage, apart from any I/O so recorded streams can be replayed through it.
 *
 * Content blocks arrive one after another by `index`: a `text` block streams `text_delta`s; a
 * `tool_use` block opens with its id and name (and `input: {}`), streams its arguments as
 * `input_json_delta` fragments that are not JSON until the last one, and is parsed at its
 * `content_block_stop`. Thinking blocks (and any block type we do not know) are not the reply.
 */
import type { ToolCall } from "../tools/types.ts";
import { appendArgs, CallIds, parseToolInput, asNumber as num, asObject as obj, type AssemblerSinks } from "./assembly.ts";

interface OpenCall {
  id: string;
  name: string;
  /** The argument text so far. */
  json: string;
  /** Whether any `input_json_delta` arrived (without one, the block's own `input` stands). */
  streamed: boolean;
  /** The block's `input` at start: `{}` on the real API, the whole input from some proxies. */
  startInput: unknown;
  done?: Pick<ToolCall, "input" | "inputError">;
}

/** One Anthropic stream's state; `push` each event, then read the fields. */
export class AnthropicAssembler {
  text = "";
  stopReason: string | null = null;
  inputTokens: number | undefined;
  outputTokens: number | undefined;
  /** True once `message_stop` arrived: the reply is complete. */
  done = false;
  #calls: OpenCall[] = [];
  #open = new Map<number, OpenCall>();
  #sinks: AssemblerSinks;

  constructor(sinks: AssemblerSinks = {}) {
    this.#sinks = sinks;
  }

  /** Feeds one event: its type (the `event:` line or the payload's `type`) and its payload. */
  push(type: string, data: Record<string, unknown>): void {
    const index = num(data.index) ?? -1;
    if (type === "message_start") {
      const usage = obj(obj(data.message).usage);
      this.inputTokens = sumTokens(usage.input_tokens, usage.cache_creation_input_tokens, usage.cache_read_input_tokens);
      this.outputTokens = num(usage.output_tokens) ?? this.outputTokens;
    } else if (type === "content_block_start") {
      const block = obj(data.content_block);
      if (block.type === "text" && typeof block.text === "string") this.#text(block.text);
      else if (block.type === "tool_use") {
        const call: OpenCall = { id: str(block.id), name: str(block.name), json: "", streamed: false, startInput: block.input };
        this.#calls.push(call);
        this.#open.set(index, call);
        this.#sinks.onToolFragment?.();
      }
    } else if (type === "content_block_delta") {
      const delta = obj(data.delta);
      if (delta.type === "text_delta" && typeof delta.text === "string") this.#text(delta.text);
      else if (delta.type === "input_json_delta") {
        const call = this.#open.get(index);
        if (call && typeof delta.partial_json === "string") {
          call.json = appendArgs(call.json, delta.partial_json);
          call.streamed = true;
          this.#sinks.onToolFragment?.();
        }
      }
    } else if (type === "content_block_stop") {
      const call = this.#open.get(index);
      if (call) {
        call.done = finish(call);
        this.#open.delete(index);
      }
    } else if (type === "message_delta") {
      const reason = obj(data.delta).stop_reason;
      if (typeof reason === "string") this.stopReason = reason;
      const usage = obj(data.usage);
      this.outputTokens = num(usage.output_tokens) ?? this.outputTokens;
      if (num(usage.input_tokens) !== undefined)
        this.inputTokens = sumTokens(usage.input_tokens, usage.cache_creation_input_tokens, usage.cache_read_input_tokens);
    } else if (type === "message_stop") this.done = true;
  }

  /** The calls in the order the stream opened them; a block never closed is judged as it stands. */
  toolCalls(): ToolCall[] {
    const ids = new CallIds();
    return this.#calls.map((c, i) => {
      const { input, inputError } = c.done ?? finish(c);
      return { id: ids.take(c.id, i), name: c.name, input, ...(inputError !== undefined ? { inputError } : {}) };
    });
  }

  /** Usage when the stream reported both counts, else null. */
  get usage(): { inputTokens: number; outputTokens: number } | null {
    return this.inputTokens !== undefined && this.outputTokens !== undefined ? { inputTokens: this.inputTokens, outputTokens: this.outputTokens } : null;
  }

  #text(text: string): void {
    if (!text) return;
    this.text += text;
    this.#sinks.onText?.(text);
  }
}

function finish(call: OpenCall): Pick<ToolCall, "input" | "inputError"> {
  if (!call.streamed && call.startInput && typeof call.startInput === "object" && !Array.isArray(call.startInput)) {
    return { input: call.startInput as Record<string, unknown> };
  }
  return parseToolInput(call.name, call.json);
}

const str = (v: unknown) => (typeof v === "string" ? v : "");

/** Cached prompt tokens are reported apart from input_tokens, but they are input all the same. */
function sumTokens(...values: unknown[]): number | undefined {
  const nums = values.map(num);
  return nums[0] === undefined ? undefined : nums.reduce<number>((a, b) => a + (b ?? 0), 0);
}
