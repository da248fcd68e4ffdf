/**
 * The Anthropic Messages API, streaming (https://docs.anthropic.com/en/api/messages-streaming).
 * Events: message_start (input usage), content_block_start/delta/stop, message_delta (stop
 * reason, output usage), message_stop (the end), ping, and `error`, which fails the request.
 */
import type { CompletionRequest, ModelProvider } from "../provider.ts";
import { isRetryableStatus, modelFailure, type ModelRef } from "../failure.ts";
import { completeWithRetries, type SendOnce } from "../retry.ts";
import { asNumber as num, asObject as obj, parseData, postEvents, truncated, withDefaults, type ProviderOptions } from "./http.ts";

/** The public endpoint; `/v1/messages` is appended. */
export const ANTHROPIC_BASE_URL = "https://api.anthropic.com";
const API_VERSION = "2023-06-01";

/** A provider speaking the Anthropic Messages API. */
export function createAnthropicProvider(opts: ProviderOptions): ModelProvider {
  const { who, baseUrl, policy, clock, env } = withDefaults(opts, ANTHROPIC_BASE_URL);
  const apiKey = opts.apiKey;

  const send: SendOnce = async (req, attempt) => {
    const events = postEvents(
      {
        who,
        url: `${baseUrl}/v1/messages`,
        headers: { "anthropic-version": API_VERSION, ...(apiKey ? { "x-api-key": apiKey } : {}) },
        body: requestBody(who.model, req),
        secret: apiKey,
        env,
      },
      attempt,
    );
    let text = "";
    let stopReason: string | null = null;
    let inputTokens: number | undefined;
    let outputTokens: number | undefined;
    let stopped = false;
    for await (const ev of events) {
      if (ev.event === "ping") continue;
      const data = parseData(who, ev.data);
      // The event line and the payload's `type` agree; a proxy that drops event lines still has `type`.
      const type = ev.event === "message" ? String(data.type) : ev.event;
      if (type === "error") throw streamError(who, data);
      if (type === "message_start") {
        const usage = obj(obj(data.message).usage);
        inputTokens = sumTokens(usage.input_tokens, usage.cache_creation_input_tokens, usage.cache_read_input_tokens);
        outputTokens = num(usage.output_tokens) ?? outputTokens;
      } else if (type === "content_block_start") {
        const block = obj(data.content_block);
        if (block.type === "text" && typeof block.text === "string" && block.text) {
          text += block.text;
          attempt.onDelta(block.text);
        }
      } else if (type === "content_block_delta") {
        const delta = obj(data.delta);
        // Thinking and tool-input deltas are not reply text.
        if (delta.type === "text_delta" && typeof delta.text === "string") {
          text += delta.text;
          attempt.onDelta(delta.text);
        }
      } else if (type === "message_delta") {
        const reason = obj(data.delta).stop_reason;
        if (typeof reason === "string") stopReason = reason;
        const usage = obj(data.usage);
        outputTokens = num(usage.output_tokens) ?? outputTokens;
        if (num(usage.input_tokens) !== undefined)
          inputTokens = sumTokens(usage.input_tokens, usage.cache_creation_input_tokens, usage.cache_read_input_tokens);
      } else if (type === "message_stop") {
        stopped = true;
        break;
      }
    }
    if (!stopped) throw truncated(who, "message_stop");
    const usage = inputTokens !== undefined && outputTokens !== undefined ? { inputTokens, outputTokens } : null;
    return {
      text,
      toolCalls: [],
      provider: who.provider,
      model: who.model,
      stopReason,
      cut: stopReason === "max_tokens",
      refused: stopReason === "refusal",
      usage,
    };
  };

  return {
    provider: who.provider,
    model: who.model,
    complete: (req) => completeWithRetries(who, send, req, policy, clock),
  };
}

function requestBody(model: string, req: CompletionRequest) {
  return {
    model,
    max_tokens: req.maxTokens,
    // An empty system string is rejected by the API; omitting it means "no system prompt".
    ...(req.system ? { system: req.system } : {}),
    messages: req.messages.flatMap((m) => (m.role === "tool" ? [] : [{ role: m.role, content: m.content }])),
    stream: true,
  };
}

/** Error types of a mid-stream `error` event, mapped to the HTTP status they stand for. */
const STATUS_OF: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

function streamError(who: ModelRef, data: Record<string, unknown>) {
  const error = obj(data.error);
  const type = typeof error.type === "string" ? error.type : "error";
  const status = STATUS_OF[type] ?? 500;
  const message = typeof error.message === "string" ? `: ${error.message.slice(0, 300)}` : "";
  return modelFailure(who, "http", `stream error ${type}${message}`, { httpStatus: status, retryable: isRetryableStatus(status) });
}

/** Cached prompt tokens are reported apart from input_tokens, but they are input all the same. */
function sumTokens(...values: unknown[]): number | undefined {
  const nums = values.map(num);
  return nums[0] === undefined ? undefined : nums.reduce<number>((a, b) => a + (b ?? 0), 0);
}
