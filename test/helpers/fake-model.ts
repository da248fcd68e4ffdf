/**
 * A fake model server on 127.0.0.1 that speaks both wire formats with real SSE:
 * Anthropic `POST /v1/messages` (baseUrl `anthropicUrl`) and OpenAI `POST /v1/chat/completions`
 * (baseUrl `openaiUrl`). By default it answers `echo: <last user message>` in a few chunks, with
 * usage. Tests script failures per request with `queue(...)` or for every request with `behaviour`,
 * and read what the model was sent from `requests`.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

/** What the server does with one request. */
export type Behaviour =
  /** Answer (the default); `delayMs` before each text chunk makes it slow; `text` overrides the echo. */
  | { kind: "reply"; text?: string; delayMs?: number }
  /** An HTTP error in the format's own error body, optionally with Retry-After. */
  | { kind: "status"; status: number; retryAfter?: string; message?: string }
  /** Read the request, then never answer (not even headers). */
  | { kind: "hang" }
  /** Start the stream, send `afterChunks` text chunks, then go silent with the socket open. */
  | { kind: "stall"; afterChunks: number }
  /** Send `afterChunks` text chunks, then break the stream: bad JSON, an end without the terminal event, or a reset socket. */
  | { kind: "malformed"; afterChunks: number; how: "bad-json" | "truncated" | "reset" }
  /** Send `afterChunks` text chunks, then the format's in-stream error (Anthropic `event: error`). */
  | { kind: "stream-error"; afterChunks: number; status: number };

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

const ANTHROPIC_ERROR_TYPES: Record<number, string> = { 400: "invalid_request_error", 401: "authentication_error", 403: "permission_error", 404: "not_found_error", 408: "timeout_error", 429: "rate_limit_error", 500: "api_error", 529: "overloaded_error" };
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
  readonly requests: RecordedRequest[] = [];
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
    const behaviour = this.#queue.shift() ?? this.behaviour;

    const key = format === "anthropic" ? req.headers["x-api-key"] : req.headers.authorization?.replace(/^Bearer /, "");
    if (this.apiKey !== undefined && key !== this.apiKey) return this.#error(res, format, 401, format === "anthropic" ? "invalid x-api-key" : "Incorrect API key provided.");
    if (format === "anthropic" && req.headers["anthropic-version"] !== "2023-06-01") return this.#error(res, format, 400, "anthropic-version: header is required");
    if (body.stream !== true || typeof body.max_tokens !== "number" || !Array.isArray(body.messages)) return this.#error(res, format, 400, "expected stream: true, max_tokens and messages");

    if (behaviour.kind === "hang") return;
    if (behaviour.kind === "status") return this.#error(res, format, behaviour.status, behaviour.message ?? "scripted failure", behaviour.retryAfter);

    const lastUser = [...body.messages].reverse().find((m: any) => m.role === "user")?.content ?? "";
    const fullText = behaviour.kind === "reply" && behaviour.text !== undefined ? behaviour.text : `echo: ${lastUser}`;
    // Honour max_tokens the way a real model does: cut the reply and say why.
    const all = chunksOf(fullText);
    const chunks = all.slice(0, body.max_tokens);
    const cut = chunks.length < all.length;
    const input = words(typeof body.system === "string" ? body.system : "") + body.messages.reduce((n: number, m: any) => n + words(String(m.content)), 0);
    record.usage = { input, output: chunks.length };
    const wire = format === "anthropic" ? anthropicWire(body.model, input, chunks.length, cut) : openaiWire(body.model, input, chunks.length, cut, body.stream_options?.include_usage === true);

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

  #error(res: http.ServerResponse, format: "anthropic" | "openai", status: number, message: string, retryAfter?: string): void {
    const type = ANTHROPIC_ERROR_TYPES[status] ?? "api_error";
    const body = format === "anthropic" ? { type: "error", error: { type, message } } : { error: { message, type: status === 429 ? "rate_limit_exceeded" : "invalid_request_error", param: null, code: status === 401 ? "invalid_api_key" : null } };
    res.writeHead(status, { "content-type": "application/json", ...(retryAfter !== undefined ? { "retry-after": retryAfter } : {}) });
    res.end(JSON.stringify(body));
  }
}

interface Wire {
  head: string[];
  delta(text: string, index: number): string;
  tail: string[];
  error(status: number): string;
}

const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

function anthropicWire(model: string, input: number, output: number, cut: boolean): Wire {
  const message = { id: "msg_fake01", type: "message", role: "assistant", model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: input, output_tokens: 1 } };
  return {
    head: [sse("message_start", { type: "message_start", message }), sse("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }), sse("ping", { type: "ping" })],
    delta: (text) => sse("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text } }),
    tail: [
      sse("content_block_stop", { type: "content_block_stop", index: 0 }),
      sse("message_delta", { type: "message_delta", delta: { stop_reason: cut ? "max_tokens" : "end_turn", stop_sequence: null }, usage: { output_tokens: output } }),
      sse("message_stop", { type: "message_stop" }),
    ],
    error: (status) => sse("error", { type: "error", error: { type: ANTHROPIC_ERROR_TYPES[status] ?? "api_error", message: "scripted stream error" } }),
  };
}

function openaiWire(model: string, input: number, output: number, cut: boolean, includeUsage: boolean): Wire {
  const base = { id: "chatcmpl-fake01", object: "chat.completion.chunk", created: 1_700_000_000, model, system_fingerprint: "fp_fake" };
  const chunk = (delta: object, finish: string | null) => `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(includeUsage ? { usage: null } : {}) })}\n\n`;
  return {
    head: [chunk({ role: "assistant", content: "" }, null)],
    delta: (text) => chunk({ content: text }, null),
    tail: [
      chunk({}, cut ? "length" : "stop"),
      ...(includeUsage ? [`data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output } })}\n\n`] : []),
      "data: [DONE]\n\n",
    ],
    error: (status) => `data: ${JSON.stringify({ error: { message: "scripted stream error", code: status } })}\n\n`,
  };
}
