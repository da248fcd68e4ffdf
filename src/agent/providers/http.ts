/**
 * The HTTP half both wire formats share: POST a JSON body, turn a non-2xx answer into a coded
 * failure (with the server's own error message, key scrubbed), and yield the SSE events.
 */
import { isRetryableStatus, modelFailure, NO_CREDIT_TYPES, scrubSecret, type ModelRef } from "../failure.ts";
import { defaultRetryPolicy, systemClock, type Attempt, type RetryClock, type RetryPolicy } from "../retry.ts";
import { parseSse, type SseEvent } from "../sse.ts";
import { post, type HttpAnswer } from "../../shared/http-client.ts";

/** What every provider is built from (models.ts fills it from config and env). */
export interface ProviderOptions {
  /** The configured provider name ("anthropic", "openrouter", "ollama", ...). */
  name: string;
  model: string;
  /** Default: the public API of the wire format. */
  baseUrl?: string;
  /** Omitted for local servers that need none. Kept in the provider's closure, never on an object. */
  apiKey?: string;
  retry?: Partial<RetryPolicy>;
  clock?: Partial<RetryClock>;
  /**
   * OpenAI wire format only: the field that carries the reply's token limit. Default: by baseUrl
   * (`maxTokensParamFor` in openai.ts). A 400 refusing it switches to the other one, once.
   */
  maxTokensParam?: MaxTokensParam;
  /** Where HTTPS_PROXY / HTTP_PROXY / NO_PROXY are read (default: the process's environment). */
  env?: NodeJS.ProcessEnv;
}

/** The two names OpenAI-compatible servers give the reply's token limit. */
export type MaxTokensParam = "max_tokens" | "max_completion_tokens";

/** The options with every default applied. */
export function withDefaults(opts: ProviderOptions, defaultBaseUrl: string) {
  return {
    who: { provider: opts.name, model: opts.model },
    env: opts.env ?? process.env,
    baseUrl: (opts.baseUrl ?? defaultBaseUrl).replace(/\/+$/, ""),
    policy: { ...defaultRetryPolicy, ...opts.retry },
    clock: { ...systemClock, ...opts.clock },
  };
}

/** A body value serialized once and spliced into every request that carries it. */
export class RawJson {
  readonly json: string;
  constructor(json: string) {
    this.json = json;
  }
}

/**
 * A cache of values serialized once per key object: `make()`'s JSON, made at the first request
 * that carries it. The tool list is the same ~6 KB on every request of every run, and building
 * and stringifying it per request was a measurable share of the gateway's CPU per reply. Each
 * wire format keeps its own cache (one spec list, two shapes).
 */
export function jsonCache(): (key: object, make: () => unknown) => RawJson {
  const cache = new WeakMap<object, RawJson>();
  return (key, make) => {
    let raw = cache.get(key);
    if (!raw) cache.set(key, (raw = new RawJson(JSON.stringify(make()))));
    return raw;
  };
}

/** A request body as JSON text; top-level RawJson values are spliced in as they are (at the end). */
export function stringifyBody(body: unknown): string {
  if (typeof body !== "object" || body === null) return JSON.stringify(body);
  const raw = Object.entries(body).filter((e): e is [string, RawJson] => e[1] instanceof RawJson);
  if (!raw.length) return JSON.stringify(body);
  const rest = Object.fromEntries(Object.entries(body).filter(([, v]) => !(v instanceof RawJson)));
  const head = JSON.stringify(rest).slice(0, -1);
  return `${head}${head.length > 1 ? "," : ""}${raw.map(([k, v]) => `${JSON.stringify(k)}:${v.json}`).join(",")}}`;
}

/** What one streaming request needs. */
export interface StreamRequest {
  who: ModelRef;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  /** The API key, so that it can be scrubbed from any server text we repeat. */
  secret: string | undefined;
  /** The proxy settings' environment. */
  env: NodeJS.ProcessEnv;
}

/** Error bodies are read only this far: enough for a message, never a whole HTML page. */
const MAX_ERROR_BODY = 4096;

/** Posts the request and yields its SSE events, pushing the attempt's timeout back on each one. */
export async function* postEvents(r: StreamRequest, attempt: Attempt): AsyncGenerator<SseEvent> {
  const res = await post(
    r.url,
    { "content-type": "application/json", accept: "text/event-stream", ...r.headers },
    stringifyBody(r.body),
    attempt.signal,
    r.env,
  );
  attempt.progress();
  if (res.status < 200 || res.status > 299) throw await httpFailure(r, res);
  const type = res.header("content-type") ?? "";
  // Only the clear mismatches are refused here (a server that ignored "stream": true, or a web
  // page at a wrong baseUrl); odd content types from proxies still get parsed, and a stream
  // without its terminal event fails later anyway.
  if (/json|html/i.test(type)) {
    res.discard();
    throw modelFailure(
      r.who,
      "malformed",
      `expected an event stream, got ${JSON.stringify(type)} (is the baseUrl right, and does the server support "stream": true?)`,
      { retryable: false },
    );
  }
  for await (const event of parseSse(res.chunks())) {
    attempt.progress();
    yield event;
  }
}

/** Parses one SSE data payload; unparsable JSON is a malformed stream, not a crash. */
export function parseData(who: ModelRef, data: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(data);
    if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through to the failure below
  }
  throw modelFailure(who, "malformed", `the stream carried data that is not a JSON object: ${JSON.stringify(data.slice(0, 80))}`, { retryable: false });
}

/** The failure for a stream that closed before its terminal event: a truncated reply. */
export function truncated(who: ModelRef, expected: string): Error {
  // Retryable: a dropped proxy connection looks exactly like this (retry.ts still refuses once text was streamed).
  return modelFailure(who, "malformed", `the stream ended before ${expected}`, { retryable: true });
}

async function httpFailure(r: StreamRequest, res: HttpAnswer) {
  const body = scrubSecret(await res.text(MAX_ERROR_BODY), r.secret);
  const api = apiError(body);
  const retryAfterMs = res.header("retry-after-ms");
  const retryAfter = retryAfterMs && /^\d+$/.test(retryAfterMs) ? String(Number(retryAfterMs) / 1000) : res.header("retry-after");
  const statusText = res.statusText ? ` ${res.statusText}` : "";
  // An account out of credit answers 429 at OpenAI: a retry meets the same empty account.
  const noCredit = NO_CREDIT_TYPES.has(api.type ?? "") || NO_CREDIT_TYPES.has(api.code ?? "");
  return modelFailure(r.who, "http", `HTTP ${res.status}${statusText}${api.message ? `: ${api.message}` : ""}`, {
    httpStatus: res.status,
    retryable: !noCredit && isRetryableStatus(res.status),
    ...(retryAfter !== undefined ? { retryAfter } : {}),
    ...(api.param ? { apiParam: api.param } : {}),
    ...(api.code ? { apiCode: api.code } : {}),
    ...(api.type ? { apiType: api.type } : {}),
  });
}

/** Both APIs put the reason at `error.message` and its kind at `error.type` (OpenAI adds `param` and `code`); anything else is shown briefly as text. */
function apiError(body: string): { message: string; param?: string; code?: string; type?: string } {
  try {
    const j = JSON.parse(body) as { error?: { message?: unknown; param?: unknown; code?: unknown; type?: unknown } | string; message?: unknown };
    const e = typeof j.error === "object" && j.error !== null ? j.error : {};
    const m = typeof j.error === "string" ? j.error : (e.message ?? j.message);
    if (typeof m === "string" && m) {
      const text = (k: "param" | "code" | "type") => (typeof e[k] === "string" ? { [k]: e[k] } : {});
      return { message: m.slice(0, 300), ...text("param"), ...text("code"), ...text("type") };
    }
  } catch {
    // not JSON: fall through
  }
  return { message: body.replace(/\s+/g, " ").trim().slice(0, 200) };
}
