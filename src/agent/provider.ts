/**
 * The model provider extension point: one interface every wire format implements
 * (`providers/anthropic.ts`, `providers/openai.ts`), a registry (`providers/registry.ts`) and one
 * contract suite they all pass (`test/agent/provider-contract.test.ts`).
 *
 * A provider is one configured model at one endpoint ("anthropic/claude-sonnet-4-5",
 * "ollama/llama3.2"). It owns its retries (`retry.ts`): `complete` returns only when the model
 * answered or retrying is pointless. Choosing between providers (fallback) is `models.ts`'s job.
 */
import type { ToolCall, ToolResult, ToolSpec } from "./tools/types.ts";

/**
 * One past message of the conversation. The system prompt is separate, as both APIs prefer.
 * An assistant turn may carry tool calls; the turn after it then carries their results (every
 * call's id, in order): Anthropic sends them as a user message of `tool_result` blocks, OpenAI as
 * one `role: "tool"` message per result. Both APIs refuse a call without its result.
 */
export type ChatTurn =
  | { role: "user"; content: string }
  | { role: "assistant"; content: string; toolCalls?: ToolCall[] }
  | { role: "tool"; results: ToolResult[] };

/** What the agent asks of a model. */
export interface CompletionRequest {
  /** The system prompt; sent as Anthropic's `system` or as the first OpenAI `system` message. */
  system: string;
  /** Oldest first, ending with the user turn to answer. */
  messages: ChatTurn[];
  /** Upper bound of the reply's length, in the model's tokens. */
  maxTokens: number;
  /** Tools the model may call; none: a plain conversation (no `tools` field is sent). */
  tools?: ToolSpec[];
  /**
   * The run's signal (its overall timeout or a cancel). Aborting it ends the HTTP request at once
   * and no retry or fallback follows. An `AbortSignal.timeout()` reason ("TimeoutError") surfaces
   * as TIMEOUT; any other reason as MODEL_FAILED with kind "aborted".
   */
  signal: AbortSignal;
  /**
   * Called with each piece of text as it streams in, in order. Once it has been called, the
   * request is never retried or sent to a fallback: the listener already holds that text, and a
   * second attempt would repeat or contradict it. A failure after a delta is final; so is a
   * failure after any part of a tool call arrived, listener or not.
   */
  onDelta?: (text: string) => void;
  /**
   * When `signal` will fire (epoch ms, on the same clock as the retry `now`), if known. Lets a
   * retry give up at once instead of waiting out a Retry-After that would end past it.
   */
  deadline?: number;
}

/** A finished reply. */
export interface CompletionResult {
  /** The whole reply: exactly the concatenation of the deltas given to `onDelta`. */
  text: string;
  /**
   * Tool calls of this turn, in the order the stream opened them (empty when none). A call whose
   * arguments were not valid JSON carries `inputError` instead of failing the request.
   */
  toolCalls: ToolCall[];
  /** The provider's configured name ("anthropic", "openrouter", "ollama", ...). */
  provider: string;
  model: string;
  /** As the API said it: "end_turn" / "tool_use" / "max_tokens" / "refusal" (Anthropic), "stop" / "tool_calls" / "length" / "content_filter" (OpenAI). */
  stopReason: string | null;
  /** True when the reply stopped at `maxTokens` (Anthropic "max_tokens", OpenAI "length"): the text is cut short. */
  cut: boolean;
  /**
   * True when the model declined (Anthropic "refusal") or the provider's content filter stopped
   * the reply (OpenAI "content_filter"): the text is empty or ends where it was stopped.
   */
  refused: boolean;
  /** Null when the server did not report usage (some local servers do not). */
  usage: { inputTokens: number; outputTokens: number } | null;
  /** HTTP requests made, retries included (1 when the first one answered). */
  attempts: number;
}

/**
 * One model at one endpoint. Implementations must:
 * - stream, calling `req.onDelta` per text delta, and return the full text with usage and stop reason,
 *   `cut` set when the model stopped at the token limit, `refused` when it declined or was filtered;
 * - throw only `OnebrainError`s: MODEL_FAILED with `ModelFailureDetails` (failure.ts), or TIMEOUT when the
 *   run's signal timed out; never put an API key in a message or in details;
 * - treat a stream that ends without its terminal event, or carries JSON they cannot parse, as a
 *   failure of kind "malformed": a silently truncated answer must not pass as complete.
 */
export interface ModelProvider {
  /** The configured provider name; the part before "/" in "provider/model". */
  readonly provider: string;
  readonly model: string;
  /** Sends the request (with retries) and resolves with the complete reply. */
  complete(req: CompletionRequest): Promise<CompletionResult>;
}
