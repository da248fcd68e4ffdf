/**
 * A fake model server on 127.0.0.1 that speaks both wire formats with real SSE:
 * Anthropic `POST /v1/messages` (baseUrl `anthropicUrl`) and OpenAI `POST /v1/chat/completions`
 * (baseUrl `openaiUrl`). By default it answers `echo: <last user message>` in a few chunks, with
 * usage. Tests script failures per request with `queue(...)`, answers from the request with
 * `respond`, or for every request with `behaviour`, and read what the model was sent from
 * `requests`. A `tools` behaviour answers with tool calls in each API's wire format; a history
 * whose tool calls and results do not pair up gets the API's own 400, as the real ones do.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { contentText, lastUserText, requestError } from "./fake-model-history.ts";
import {
  anthropicToolFrames,
  anthropicWire,
  errorBody,
  openaiToolFrames,
  outOfCredit,
  openaiWire,
  type End,
  type ScriptedCall,
  type ToolFrames,
} from "./fake-model-wire.ts";

export type { ScriptedCall } from "./fake-model-wire.ts";

/** What the server does with one request. */
export type Behaviour =
  /**
   * Answer (the default); `delayMs` before each text chunk makes it slow; `text` overrides the
   * echo; `thinkingTokens` are spent (unseen, as a reasoning model does) before the text, out of the same limit.
   */
  | { kind: "reply"; text?: string; delayMs?: number; thinkingTokens?: number }
  /** An HTTP error in the format's own error body (as the real API words it for 401/403/404 unless `message` is given), optionally with Retry-After. */
  | { kind: "status"; status: number; retryAfter?: string; message?: string }
  /** Read the request, then never answer (not even headers). */
  | { kind: "hang" }
  /** Start the stream, send `afterChunks` text chunks, then go silent with the socket open. */
  | { kind: "stall"; afterChunks: number }
  /** Send `afterChunks` text chunks, then break the stream: bad JSON, an end without the terminal event, or a reset socket. */
  | { kind: "malformed"; afterChunks: number; how: "bad-json" | "truncated" | "reset" }
  /** Send `afterChunks` text chunks, then the format's in-stream error (Anthropic `event: error`). */
  | { kind: "stream-error"; afterChunks: number; status: number }
  /**
   * Send `afterChunks` text chunks, then end as a model that declines: Anthropic's `stop_reason:
   * "refusal"`, OpenAI's `finish_reason: "content_filter"` (its content filter stopped the reply).
   */
  | { kind: "refusal"; afterChunks: number }
  /** The account has no credit left, as each API says it: OpenAI 429 `insufficient_quota`, Anthropic 402 `billing_error`. */
  | { kind: "out-of-credit" }
  /**
   * Answer with tool calls (stop_reason "tool_use" / finish_reason "tool_calls"), after `text` if
   * given; arguments stream in fragments cut at awkward places. `reuseIndex` (OpenAI) puts every
   * call at index 0, as some Ollama and vLLM versions do. `dropAfter` ends the stream, without its
   * terminal event, after that many frames that carry a part of a call (a connection lost mid-call).
   * Default ids are `toolu_fake0001`... / `call_fake0001`..., unique for the server's life; max_tokens is not applied.
   */
  | { kind: "tools"; text?: string; calls: ScriptedCall[]; reuseIndex?: boolean; dropAfter?: number }
  /** Send this event stream as is (a recorded stream replayed). */
  | { kind: "raw"; sse: string };

/** One request as the fake model received it. */
export interface RecordedRequest {
  format: "anthropic" | "openai";
  headers: http.IncomingHttpHeaders;
  body: any;
  /** True when the client went away before the response finished (an abort or a timeout). */
  closedEarly: boolean;
  /** The token counts the fake reported in its answer (absent when it answered with an error). */
  usage?: { input: number; output: number };
}

/** OpenAI's reasoning models refuse `max_tokens` (the real API's check is by model). */
const REASONING_MODEL = /^(o\d|gpt-5)/;

// Unref'd: a slow reply to a client that already left must not keep the test process alive.
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/** Splits a reply into word-sized chunks whose concatenation is the reply. */
export function chunksOf(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? (text ? [text] : []);
}

const words = (s: string) => s.split(/\s+/).filter(Boolean).length;

/** The fake server; `start()` before use, `close()` ends every open request too. */
export class FakeModelServer {
  /** Used when the queue is empty. */
  behaviour: Behaviour = { kind: "reply" };
  /** When set, requests must carry this key (x-api-key or Bearer) or get a 401. */
  apiKey: string | undefined;
  /** When set, only these model ids exist; any other gets the API's own 404. */
  models: string[] | undefined;
  /**
   * False makes the OpenAI side behave like a local server that only knows `max_tokens`: it
   * ignores `max_completion_tokens` (as Ollama and llama.cpp ignore unknown fields) and its
   * reasoning-model check is off.
   */
  knowsMaxCompletionTokens = true;
  /**
   * Decides the answer from the request (after `queue`, before `behaviour`): a tool-loop test
   * answers a question with calls and their results with text. Undefined falls through to `behaviour`.
   */
  respond: ((req: RecordedRequest) => Behaviour | undefined) | undefined;
  readonly requests: RecordedRequest[] = [];
  /** Numbers the default ids of scripted calls, unique for the server's life. */
  #callSeq = 0;
  #queue: Behaviour[] = [];
  #server = http.createServer((req, res) => void this.#handle(req, res));
  #port = 0;

  /** Listens on 127.0.0.1 on a free port. */
  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    this.#port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  /** Stops listening and destroys every connection, hanging ones included. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  /** baseUrl for the Anthropic provider. */
  get anthropicUrl(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** baseUrl for the OpenAI-compatible provider. */
  get openaiUrl(): string {
    return `http://127.0.0.1:${this.#port}/v1`;
  }

  /** Back to the default echo with no queue, no key and no recorded requests (between tests). */
  reset(): void {
    this.behaviour = { kind: "reply" };
    this.apiKey = undefined;
    this.models = undefined;
    this.knowsMaxCompletionTokens = true;
    this.respond = undefined;
    this.requests.length = 0;
    this.#queue = [];
  }

  /** Behaviours for the next requests, in order; then `behaviour` again. */
  queue(...behaviours: Behaviour[]): void {
    this.#queue.push(...behaviours);
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let raw = "";
    for await (const chunk of req) raw += chunk;
    const format = req.url === "/v1/messages" ? "anthropic" : req.url === "/v1/chat/completions" ? "openai" : undefined;
    if (req.method !== "POST" || !format) return void res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    let body: any;
    try {
      body = JSON.parse(raw);
    } catch {
      return this.#error(res, "anthropic", 400, "request body is not JSON");
    }
    const record: RecordedRequest = { format, headers: req.headers, body, closedEarly: false };
    this.requests.push(record);
    res.on("close", () => (record.closedEarly = !res.writableFinished));
    const behaviour = this.#queue.shift() ?? this.respond?.(record) ?? this.behaviour;

    const key = format === "anthropic" ? req.headers["x-api-key"] : req.headers.authorization?.replace(/^Bearer /, "");
    if (this.apiKey !== undefined && key !== this.apiKey) return this.#error(res, format, 401, undefined, undefined, body.model);
    // Any dated version passes (the SDK sends a newer one than our provider); a missing one does not.
    if (format === "anthropic" && !/^\d{4}-\d{2}-\d{2}$/.test(String(req.headers["anthropic-version"])))
      return this.#error(res, format, 400, "anthropic-version: header is required");
    if (this.models !== undefined && !this.models.includes(body.model)) return this.#error(res, format, 404, undefined, undefined, body.model);
    const maxTokens = this.#tokenLimit(format, body);
    if (typeof maxTokens === "string") return this.#error(res, format, 400, maxTokens, undefined, undefined, "max_tokens");
    if (body.stream !== true || !Array.isArray(body.messages)) return this.#error(res, format, 400, "expected stream: true and messages");
    const invalid = requestError(format, body);
    if (invalid) return this.#error(res, format, 400, invalid);

    if (behaviour.kind === "hang") return;
    if (behaviour.kind === "out-of-credit") return this.#outOfCredit(res, format);
    if (behaviour.kind === "status") return this.#error(res, format, behaviour.status, behaviour.message, behaviour.retryAfter, body.model);

    const input = words(typeof body.system === "string" ? body.system : "") + body.messages.reduce((n: number, m: any) => n + words(contentText(m)), 0);
    if (behaviour.kind === "tools") return this.#tools(res, record, behaviour, input);
    if (behaviour.kind === "raw") return void res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" }).end(behaviour.sse);
    const fullText = behaviour.kind === "reply" && behaviour.text !== undefined ? behaviour.text : `echo: ${lastUserText(body.messages)}`;
    // Honour max_tokens the way a real model does: cut the reply and say why.
    const all = chunksOf(fullText);
    const thinking = behaviour.kind === "reply" ? (behaviour.thinkingTokens ?? 0) : 0;
    const chunks = all.slice(0, Math.max(0, maxTokens - thinking));
    const cut = chunks.length < all.length || thinking >= maxTokens;
    record.usage = { input, output: chunks.length };
    const end: End = behaviour.kind === "refusal" ? "refused" : cut ? "cut" : "done";
    const wire =
      format === "anthropic"
        ? anthropicWire(body.model, input, chunks.length, end)
        : openaiWire(body.model, input, chunks.length, end, body.stream_options?.include_usage === true);

    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive" });
    for (const frame of wire.head) res.write(frame);
    const limit = behaviour.kind === "reply" ? chunks.length : behaviour.afterChunks;
    for (const [i, text] of chunks.slice(0, limit).entries()) {
      if (behaviour.kind === "reply" && behaviour.delayMs) await sleep(behaviour.delayMs);
      if (res.destroyed) return;
      res.write(wire.delta(text, i));
    }
    if (behaviour.kind === "stall") return;
    if (behaviour.kind === "malformed") {
      // The pause lets the client read the chunks first: a reset discards whatever is still queued.
      if (behaviour.how === "reset") return void sleep(50).then(() => res.socket?.destroy());
      return void res.end(behaviour.how === "bad-json" ? `data: {"type": "content_block_delta", "delta": {"text": "oops\n\n` : "");
    }
    if (behaviour.kind === "stream-error") return void res.end(wire.error(behaviour.status));
    for (const frame of wire.tail) res.write(frame);
    res.end();
  }

  /** A tool-calling answer, cut short when `dropAfter` says so. */
  #tools(res: http.ServerResponse, record: RecordedRequest, b: Extract<Behaviour, { kind: "tools" }>, input: number): void {
    const prefix = record.format === "anthropic" ? "toolu_fake" : "call_fake";
    const calls = b.calls.map((c) => ({ ...c, id: c.id ?? `${prefix}${String(++this.#callSeq).padStart(4, "0")}` }));
    const text = chunksOf(b.text ?? "");
    const wire: ToolFrames =
      record.format === "anthropic"
        ? anthropicToolFrames(record.body.model, input, text, calls)
        : openaiToolFrames(record.body.model, input, text, calls, {
            includeUsage: record.body.stream_options?.include_usage === true,
            reuseIndex: b.reuseIndex === true,
          });
    record.usage = { input, output: wire.output };
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive" });
    let toolFrames = 0;
    for (const { frame, tool } of wire.frames) {
      if (b.dropAfter !== undefined && tool && toolFrames++ >= b.dropAfter) break;
      res.write(frame);
    }
    res.end();
  }

  /** The reply's token limit from the body, or the API's 400 message when the body's limit field is refused or missing. */
  #tokenLimit(format: "anthropic" | "openai", body: any): number | string {
    if (format === "anthropic") return typeof body.max_tokens === "number" ? body.max_tokens : "max_tokens: Field required";
    if (!this.knowsMaxCompletionTokens) return typeof body.max_tokens === "number" ? body.max_tokens : Infinity;
    if (typeof body.max_tokens === "number" && REASONING_MODEL.test(String(body.model).split("/").pop()!)) {
      return "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.";
    }
    return body.max_completion_tokens ?? body.max_tokens ?? Infinity;
  }

  /** No credit left, in each API's documented words and status. */
  #outOfCredit(res: http.ServerResponse, format: "anthropic" | "openai"): void {
    const { status, body } = outOfCredit(format);
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  }

  /** An error answer in the body shape each real API uses, worded as it words 401/403/404 by default. */
  #error(
    res: http.ServerResponse,
    format: "anthropic" | "openai",
    status: number,
    message?: string,
    retryAfter?: string,
    model?: string,
    param?: string,
  ): void {
    const body = errorBody(format, status, message, model, param);
    res.writeHead(status, { "content-type": "application/json", ...(retryAfter !== undefined ? { "retry-after": retryAfter } : {}) });
    res.end(JSON.stringify(body));
  }
}
