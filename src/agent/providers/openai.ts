/**
 * OpenAI-compatible Chat Completions, streaming: OpenAI itself, OpenRouter, Ollama, vLLM,
 * llama.cpp's server, LM Studio. Only the common subset is used, so one client fits them all:
 * `data: {chunk}` lines with choices[0].delta.content / tool_calls and finish_reason, a usage
 * chunk when `stream_options.include_usage` is honoured, and `data: [DONE]`
 * (`openai-assembler.ts` reads the chunks).
 */
import type { ChatTurn, CompletionRequest, ModelProvider } from "../provider.ts";
import { failureDetails, isRetryableStatus, modelFailure, type ModelRef } from "../failure.ts";
import { completeWithRetries, type Attempt, type SendOnce } from "../retry.ts";
import { asNumber, asObject, completion } from "./assembly.ts";
import { parseData, postEvents, jsonCache, truncated, withDefaults, type MaxTokensParam, type ProviderOptions } from "./http.ts";

/** The tool list as this format sends it, serialized once per list. */
const toolsJson = jsonCache();
import { OpenAIAssembler } from "./openai-assembler.ts";

/** The public endpoint; `/chat/completions` is appended (so other servers' baseUrl ends in /v1). */
export const OPENAI_BASE_URL = "https://api.openai.com/v1";

/**
 * Which field carries the token limit at `baseUrl`. OpenAI's own API (and Azure OpenAI) wants
 * max_completion_tokens: max_tokens is deprecated there and its reasoning models (o1, o3,
 * o4-mini, gpt-5) refuse it with a 400. Every other server gets max_tokens, the one Ollama,
 * vLLM, llama.cpp, LM Studio and OpenRouter document: they ignore a field they do not know, so
 * guessing max_completion_tokens from a model name would drop the limit without a word, while
 * the other mistake is a 400 that `send` corrects by itself.
 */
export function maxTokensParamFor(baseUrl: string): MaxTokensParam {
  const host = URL.canParse(baseUrl) ? new URL(baseUrl).hostname : "";
  return host === "api.openai.com" || host.endsWith(".openai.azure.com") ? "max_completion_tokens" : "max_tokens";
}

/** True for the API's 400 "Unsupported parameter: 'max_tokens' ... Use 'max_completion_tokens' instead" (or the reverse). */
function refusesParam(err: unknown, param: MaxTokensParam): boolean {
  const d = failureDetails(err);
  return d?.httpStatus === 400 && (d.apiParam === param || (err as Error).message.includes(`Unsupported parameter: '${param}'`));
}

/** A provider speaking OpenAI-compatible Chat Completions. */
export function createOpenAIProvider(opts: ProviderOptions): ModelProvider {
  const { who, baseUrl, policy, clock, env } = withDefaults(opts, OPENAI_BASE_URL);
  const apiKey = opts.apiKey;
  // Remembered for this provider's life (a config reload builds a new one and decides again).
  let param = opts.maxTokensParam ?? maxTokensParamFor(baseUrl);

  const post = (req: CompletionRequest, attempt: Attempt) =>
    postEvents(
      {
        who,
        url: `${baseUrl}/chat/completions`,
        // Local servers need no key, and some reject an empty "Bearer " header.
        headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
        body: requestBody(who.model, req, param),
        secret: apiKey,
        env,
      },
      attempt,
    );

  /** The stream's first event, switching the token-limit field once if the server refuses the one sent. */
  const open = async (req: CompletionRequest, attempt: Attempt) => {
    let events = post(req, attempt);
    try {
      return { events, first: await events.next() };
    } catch (err) {
      if (!refusesParam(err, param)) throw err;
      param = param === "max_tokens" ? "max_completion_tokens" : "max_tokens";
      events = post(req, attempt);
      return { events, first: await events.next() };
    }
  };

  const send: SendOnce = async (req, attempt) => {
    const opened = await open(req, attempt);
    const events = (async function* () {
      try {
        if (!opened.first.done) yield opened.first.value;
        yield* opened.events;
      } finally {
        await opened.events.return(undefined); // a stream left after its first event still lets its connection go
      }
    })();
    const asm = new OpenAIAssembler({ onText: (t) => attempt.onDelta(t), onToolFragment: () => attempt.onToolFragment() });
    let done = false;
    for await (const ev of events) {
      if (ev.data === "[DONE]") {
        done = true;
        break;
      }
      const chunk = parseData(who, ev.data);
      // OpenRouter and others report a failure after the 200 as a chunk with `error`.
      if (chunk.error !== undefined) throw streamError(who, chunk.error);
      asm.push(chunk);
    }
    // Some servers close after the finish_reason chunk without [DONE]; the reply is complete then.
    if (!done && asm.stopReason === null) throw truncated(who, "[DONE] or a finish_reason");
    return completion(who, asm, "length", "content_filter");
  };

  return {
    provider: who.provider,
    model: who.model,
    complete: (req) => completeWithRetries(who, send, req, policy, clock),
  };
}

function requestBody(model: string, req: CompletionRequest, param: MaxTokensParam) {
  return {
    model,
    [param]: req.maxTokens,
    messages: [...(req.system ? [{ role: "system", content: req.system }] : []), ...openaiMessages(req.messages)],
    ...(req.tools?.length
      ? {
          tools: toolsJson(req.tools, () =>
            req.tools!.map((t) => ({ type: "function", function: { name: t.name, description: t.description, parameters: t.inputSchema } })),
          ),
        }
      : {}),
    stream: true,
    stream_options: { include_usage: true },
  };
}

/**
 * The history in the API's shape: an assistant turn's calls as `tool_calls` (arguments as JSON
 * text; content null when the turn said nothing), and one `role: "tool"` message per result.
 */
function openaiMessages(turns: readonly ChatTurn[]): Record<string, unknown>[] {
  return turns.flatMap((t): Record<string, unknown>[] => {
    if (t.role === "tool") return t.results.map((r) => ({ role: "tool", tool_call_id: r.callId, content: r.content }));
    if (t.role === "assistant" && t.toolCalls?.length) {
      return [
        {
          role: "assistant",
          content: t.content || null,
          tool_calls: t.toolCalls.map((c) => ({
            id: c.id,
            type: "function",
            // A call whose arguments were not an object goes back with none: its error result says why.
            function: { name: c.name, arguments: JSON.stringify(c.inputError === undefined ? c.input : {}) },
          })),
        },
      ];
    }
    return [{ role: t.role, content: t.content }];
  });
}

function streamError(who: ModelRef, error: unknown) {
  const e = asObject(error);
  const code = asNumber(e.code) ?? asNumber(e.status);
  const status = code !== undefined && code >= 400 && code < 600 ? code : 500;
  const message = typeof e.message === "string" ? e.message : typeof error === "string" ? error : "unknown error";
  return modelFailure(who, "http", `stream error: ${message.slice(0, 300)}`, { httpStatus: status, retryable: isRetryableStatus(status) });
}
