/**
 * The fake model's wire builders (part of fake-model.ts): the SSE frames of a text answer and of
 * a tool-calling answer in each format, shaped as the public APIs document them. A call's argument
 * JSON is cut at awkward places (inside keys, strings and escapes), as real streams cut it.
 */

/** A tool call the fake is told to make. */
export interface ScriptedCall {
  name: string;
  /** The input; a string is sent as the raw argument text, as is (it may be invalid JSON). */
  input: unknown;
  /** Default: a fresh `toolu_fake…` / `call_fake…` id. */
  id?: string;
}

/** Anthropic's error `type` for each status. */
const ANTHROPIC_ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  408: "timeout_error",
  429: "rate_limit_error",
  500: "api_error",
  529: "overloaded_error",
};

/** An error body in the shape each real API uses, worded as it words 401/403/404 unless `message` is given. */
export function errorBody(format: "anthropic" | "openai", status: number, message?: string, model?: string, param?: string): unknown {
  const type = ANTHROPIC_ERROR_TYPES[status] ?? "api_error";
  let body: unknown;
  if (format === "anthropic") {
    const text =
      message ??
      (
        { 401: "invalid x-api-key", 403: "Your API key does not have permission to use the specified resource.", 404: `model: ${model}` } as Record<
          number,
          string
        >
      )[status] ??
      "scripted failure";
    body = { type: "error", error: { type, message: text }, request_id: "req_fake01" };
  } else {
    const text =
      message ??
      (
        {
          401: "Incorrect API key provided: sk-test-****cdef. You can find your API key at https://platform.openai.com/account/api-keys.",
          403: "You are not allowed to sample from this model",
          404: `The model \`${model}\` does not exist or you do not have access to it.`,
        } as Record<number, string>
      )[status] ??
      "scripted failure";
    const code = param ? "unsupported_parameter" : (({ 401: "invalid_api_key", 404: "model_not_found" } as Record<number, string>)[status] ?? null);
    body = {
      error: {
        message: text,
        type: status === 429 ? "rate_limit_exceeded" : status >= 500 ? "server_error" : "invalid_request_error",
        param: param ?? null,
        code,
      },
    };
  }
  return body;
}

/** The error answer of an account without credit, in each API's documented words and status. */
export function outOfCredit(format: "anthropic" | "openai"): { status: number; body: unknown } {
  const [status, body] =
    format === "anthropic"
      ? [
          402,
          {
            type: "error",
            error: {
              type: "billing_error",
              message: "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.",
            },
            request_id: "req_fake01",
          },
        ]
      : [
          429,
          {
            error: {
              message:
                "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
              type: "insufficient_quota",
              param: null,
              code: "insufficient_quota",
            },
          },
        ];
  return { status, body };
}

/** The frames of a text answer: head, one per text chunk, tail, or an in-stream error. */
export interface Wire {
  head: string[];
  delta(text: string, index: number): string;
  tail: string[];
  error(status: number): string;
}

/** How a stream ends: by itself, cut at the token limit, or declined by the model. */
export type End = "done" | "cut" | "refused";

/** One SSE event with an `event:` line, as Anthropic sends them. */
export const sse = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/** The Anthropic frames of a text answer. */
export function anthropicWire(model: string, input: number, output: number, end: End): Wire {
  const message = {
    id: "msg_fake01",
    type: "message",
    role: "assistant",
    model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: input, output_tokens: 1 },
  };
  return {
    head: [
      sse("message_start", { type: "message_start", message }),
      sse("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
      sse("ping", { type: "ping" }),
    ],
    delta: (text) => sse("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text } }),
    tail: [
      sse("content_block_stop", { type: "content_block_stop", index: 0 }),
      sse("message_delta", {
        type: "message_delta",
        delta: { stop_reason: { done: "end_turn", cut: "max_tokens", refused: "refusal" }[end], stop_sequence: null },
        usage: { output_tokens: output },
      }),
      sse("message_stop", { type: "message_stop" }),
    ],
    error: (status) => sse("error", { type: "error", error: { type: ANTHROPIC_ERROR_TYPES[status] ?? "api_error", message: "scripted stream error" } }),
  };
}

/** The OpenAI frames of a text answer. */
export function openaiWire(model: string, input: number, output: number, end: End, includeUsage: boolean): Wire {
  const base = { id: "chatcmpl-fake01", object: "chat.completion.chunk", created: 1_700_000_000, model, system_fingerprint: "fp_fake" };
  const chunk = (delta: object, finish: string | null) =>
    `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(includeUsage ? { usage: null } : {}) })}\n\n`;
  return {
    head: [chunk({ role: "assistant", content: "" }, null)],
    delta: (text) => chunk({ content: text }, null),
    tail: [
      chunk({}, { done: "stop", cut: "length", refused: "content_filter" }[end]),
      ...(includeUsage
        ? [`data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output } })}\n\n`]
        : []),
      "data: [DONE]\n\n",
    ],
    error: (status) => `data: ${JSON.stringify({ error: { message: "scripted stream error", code: status } })}\n\n`,
  };
}

/** A tool-calling answer's frames; `tool` marks those that carry a part of a call. */
export interface ToolFrames {
  frames: { frame: string; tool: boolean }[];
  /** Tokens the answer reports as output (text chunks plus argument fragments). */
  output: number;
}

/** The argument text to send for a scripted input. */
export function rawArguments(input: unknown): string {
  return typeof input === "string" ? input : JSON.stringify(input ?? {});
}

/** Cuts text into pieces of 1, 4, 2, 7, 3 characters in turn (never inside a surrogate pair). */
export function splitAwkwardly(text: string): string[] {
  const chars = Array.from(text);
  const sizes = [1, 4, 2, 7, 3];
  const out: string[] = [];
  for (let at = 0, n = 0; at < chars.length; n++) {
    const size = sizes[n % sizes.length]!;
    out.push(chars.slice(at, at + size).join(""));
    at += size;
  }
  return out;
}

/**
 * An Anthropic answer with tool calls: a text block first when there is text, then one `tool_use`
 * block per call (opened with `input: {}` and an empty `input_json_delta`, as the API does, then
 * the argument fragments), `stop_reason: "tool_use"`.
 */
export function anthropicToolFrames(model: string, input: number, textChunks: string[], calls: Required<ScriptedCall>[]): ToolFrames {
  const frames: ToolFrames["frames"] = [];
  const add = (event: string, data: unknown, tool = false) => frames.push({ frame: sse(event, { type: event, ...(data as object) }), tool });
  let output = textChunks.length;
  const message = { id: "msg_fake02", type: "message", role: "assistant", model, content: [], stop_reason: null, stop_sequence: null };
  add("message_start", { message: { ...message, usage: { input_tokens: input, output_tokens: 1 } } });
  let index = 0;
  if (textChunks.length) {
    add("content_block_start", { index, content_block: { type: "text", text: "" } });
    frames.push({ frame: sse("ping", { type: "ping" }), tool: false });
    for (const text of textChunks) add("content_block_delta", { index, delta: { type: "text_delta", text } });
    add("content_block_stop", { index });
    index++;
  }
  for (const call of calls) {
    add("content_block_start", { index, content_block: { type: "tool_use", id: call.id, name: call.name, input: {} } }, true);
    const raw = rawArguments(call.input);
    // A call without arguments streams nothing but the empty fragment.
    const pieces = raw === "{}" ? [] : splitAwkwardly(raw);
    for (const partial_json of ["", ...pieces]) add("content_block_delta", { index, delta: { type: "input_json_delta", partial_json } }, true);
    output += pieces.length;
    add("content_block_stop", { index });
    index++;
  }
  add("message_delta", { delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { output_tokens: output } });
  add("message_stop", {});
  return { frames, output };
}

/**
 * An OpenAI answer with tool calls: text deltas first when there is text, then per call a first
 * fragment with its index, id, type and name (arguments ""), then the argument fragments;
 * `finish_reason: "tool_calls"`. `reuseIndex` puts every call at index 0, as some Ollama and vLLM
 * versions do.
 */
export function openaiToolFrames(
  model: string,
  input: number,
  textChunks: string[],
  calls: Required<ScriptedCall>[],
  o: { includeUsage: boolean; reuseIndex: boolean },
): ToolFrames {
  const base = { id: "chatcmpl-fake02", object: "chat.completion.chunk", created: 1_700_000_000, model, system_fingerprint: "fp_fake" };
  const frames: ToolFrames["frames"] = [];
  const chunk = (delta: object, finish: string | null = null, tool = false) =>
    frames.push({
      frame: `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(o.includeUsage ? { usage: null } : {}) })}\n\n`,
      tool,
    });
  let output = textChunks.length;
  chunk({ role: "assistant", content: textChunks.length ? "" : null, refusal: null });
  for (const content of textChunks) chunk({ content });
  calls.forEach((call, i) => {
    const index = o.reuseIndex ? 0 : i;
    chunk({ tool_calls: [{ index, id: call.id, type: "function", function: { name: call.name, arguments: "" } }] }, null, true);
    const pieces = splitAwkwardly(rawArguments(call.input));
    for (const args of pieces) chunk({ tool_calls: [{ index, function: { arguments: args } }] }, null, true);
    output += pieces.length;
  });
  chunk({}, "tool_calls");
  if (o.includeUsage) {
    frames.push({
      frame: `data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output } })}\n\n`,
      tool: false,
    });
  }
  frames.push({ frame: "data: [DONE]\n\n", tool: false });
  return { frames, output };
}
