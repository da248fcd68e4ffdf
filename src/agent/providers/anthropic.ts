/**
 * The Anthropic Messages API, streaming (https://docs.anthropic.com/en/api/messages-streaming).
 * Events: message_start (input usage), content_block_start/delta/stop, message_delta (stop
 * reason, output usage), message_stop (the end), ping, and `error`, which fails the request.
 * `anthropic-assembler.ts` reads the events; this file sends the request and shapes the history.
 */
import type { ChatTurn, CompletionRequest, ModelProvider } from "../provider.ts";
import { isRetryableStatus, modelFailure, type ModelRef } from "../failure.ts";
import { completeWithRetries, type SendOnce } from "../retry.ts";
import { AnthropicAssembler } from "./anthropic-assembler.ts";
import { asObject as obj, completion } from "./assembly.ts";

/** The tool list as this format sends it, serialized once per list. */
const toolsJson = jsonCache();
import { parseData, postEvents, jsonCache, truncated, withDefaults, type ProviderOptions } from "./http.ts";

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
    const asm = new AnthropicAssembler({ onText: (t) => attempt.onDelta(t), onToolFragment: () => attempt.onToolFragment() });
    for await (const ev of events) {
      if (ev.event === "ping") continue;
      const data = parseData(who, ev.data);
      // The event line and the payload's `type` agree; a proxy that drops event lines still has `type`.
      const type = ev.event === "message" ? String(data.type) : ev.event;
      if (type === "error") throw streamError(who, data);
      asm.push(type, data);
      if (asm.done) break;
    }
    if (!asm.done) throw truncated(who, "message_stop");
    return completion(who, asm, "max_tokens", "refusal");
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
    messages: anthropicMessages(req.messages),
    ...(req.tools?.length
      ? { tools: toolsJson(req.tools, () => req.tools!.map((t) => ({ name: t.name, description: t.description, input_schema: t.inputSchema }))) }
      : {}),
    stream: true,
  };
}

type Block = Record<string, unknown>;

/**
 * The history in the API's shape. A turn's tool calls become `tool_use` blocks after its text; the
 * results become one user message of `tool_result` blocks, which must come right after the calls
 * and first in their message, so a user text that follows them joins that same message (the API
 * wants user and assistant to alternate).
 */
function anthropicMessages(turns: readonly ChatTurn[]): { role: "user" | "assistant"; content: string | Block[] }[] {
  const out: { role: "user" | "assistant"; content: string | Block[] }[] = [];
  let resultsOpen = false;
  for (const t of turns) {
    if (t.role === "tool") {
      const blocks = t.results.map((r) => ({ type: "tool_result", tool_use_id: r.callId, content: r.content, is_error: r.isError }));
      const last = out.at(-1);
      if (resultsOpen && last && Array.isArray(last.content)) last.content.push(...blocks);
      else out.push({ role: "user", content: blocks });
      resultsOpen = true;
      continue;
    }
    if (t.role === "user" && resultsOpen) {
      // The API refuses an empty text block; an empty user turn adds nothing to the results.
      if (t.content.trim()) (out.at(-1)!.content as Block[]).push({ type: "text", text: t.content });
    } else if (t.role === "assistant" && t.toolCalls?.length) {
      out.push({
        role: "assistant",
        content: [
          ...(t.content.trim() ? [{ type: "text", text: t.content }] : []),
          // A call whose arguments were not an object goes back with none: its error result says why.
          ...t.toolCalls.map((c) => ({ type: "tool_use", id: c.id, name: c.name, input: c.inputError === undefined ? c.input : {} })),
        ],
      });
    } else out.push({ role: t.role, content: t.content });
    resultsOpen = false;
  }
  return out;
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
