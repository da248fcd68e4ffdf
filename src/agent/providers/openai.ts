/**
 * OpenAI-compatible Chat Completions, streaming: OpenAI itself, OpenRouter, Ollama, vLLM,
 * llama.cpp's server, LM Studio. Only the common subset is used, so one client fits them all:
 * `data: {chunk}` lines with choices[0].delta.content and finish_reason, a usage chunk when
 * `stream_options.include_usage` is honoured, and `data: [DONE]`.
 */
import type { CompletionRequest, ModelProvider } from "../provider.ts";
import { isRetryableStatus, modelFailure, type ModelRef } from "../failure.ts";
import { completeWithRetries, type SendOnce } from "../retry.ts";
import { asNumber, asObject, parseData, postEvents, truncated, withDefaults, type ProviderOptions } from "./http.ts";

/** The public endpoint; `/chat/completions` is appended (so other servers' baseUrl ends in /v1). */
export const OPENAI_BASE_URL = "https://api.openai.com/v1";

/** A provider speaking OpenAI-compatible Chat Completions. */
export function createOpenAIProvider(opts: ProviderOptions): ModelProvider {
  const { who, baseUrl, policy, clock } = withDefaults(opts, OPENAI_BASE_URL);
  const apiKey = opts.apiKey;

  const send: SendOnce = async (req, attempt) => {
    const events = postEvents(
      {
        who,
        url: `${baseUrl}/chat/completions`,
        // Local servers need no key, and some reject an empty "Bearer " header.
        headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
        body: requestBody(who.model, req),
        secret: apiKey,
      },
      attempt,
    );
    let text = "";
    let stopReason: string | null = null;
    let usage: { inputTokens: number; outputTokens: number } | null = null;
    let done = false;
    for await (const ev of events) {
      if (ev.data === "[DONE]") {
        done = true;
        break;
      }
      const chunk = parseData(who, ev.data);
      // OpenRouter and others report a failure after the 200 as a chunk with `error`.
      if (chunk.error !== undefined) throw streamError(who, chunk.error);
      const choice = asObject(Array.isArray(chunk.choices) ? chunk.choices[0] : undefined);
      const content = asObject(choice.delta).content;
      if (typeof content === "string" && content) {
        text += content;
        attempt.onDelta(content);
      }
      if (typeof choice.finish_reason === "string") stopReason = choice.finish_reason;
      const u = asObject(chunk.usage);
      const input = asNumber(u.prompt_tokens);
      const output = asNumber(u.completion_tokens);
      if (input !== undefined && output !== undefined) usage = { inputTokens: input, outputTokens: output };
    }
    // Some servers close after the finish_reason chunk without [DONE]; the reply is complete then.
    if (!done && stopReason === null) throw truncated(who, "[DONE] or a finish_reason");
    return { text, provider: who.provider, model: who.model, stopReason, usage };
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
    // max_tokens rather than max_completion_tokens: the local servers only know the former.
    max_tokens: req.maxTokens,
    messages: [...(req.system ? [{ role: "system", content: req.system }] : []), ...req.messages.map((m) => ({ role: m.role, content: m.content }))],
    stream: true,
    stream_options: { include_usage: true },
  };
}

function streamError(who: ModelRef, error: unknown) {
  const e = asObject(error);
  const code = asNumber(e.code) ?? asNumber(e.status);
  const status = code !== undefined && code >= 400 && code < 600 ? code : 500;
  const message = typeof e.message === "string" ? e.message : typeof error === "string" ? error : "unknown error";
  return modelFailure(who, "http", `stream error: ${message.slice(0, 300)}`, { httpStatus: status, retryable: isRetryableStatus(status) });
}
