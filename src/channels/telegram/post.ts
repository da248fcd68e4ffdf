/**
 * Bot API calls for sends, over the shared keep-alive HTTP client: the request is written the
 * moment `postMethod` is called. Telegram's sendMessage has no idempotency key, so the core
 * commits "a send started" just before calling deliver and, after a crash, has such a part looked
 * for on Telegram (doubt.ts) before it is sent again. The shorter the time between that commit
 * and the request's first byte, the fewer sends are ever in doubt: grammY's client spends
 * milliseconds there (several awaits, then node-fetch), this one spends none. The poll loop's
 * calls come here too: an answer that is not JSON (a proxy's 429 or 502 page) is read here with
 * its status and Retry-After, where grammY would only say that its body did not parse.
 * Failures are GrammyErrors, so failures.ts classifies both paths alike.
 */
import { GrammyError } from "grammy";
import { hasIdleConnection, post } from "../../shared/http-client.ts";

/** Bot API answers are small; a larger one is not a Bot API answer. */
const MAX_ANSWER = 1024 * 1024;

/** A network failure of a send (no answer from the Bot API), with the token kept out of its message. */
export class SendNetworkError extends Error {
  readonly code: string | undefined;
  readonly method: string;
  constructor(method: string, cause: NodeJS.ErrnoException | Error) {
    // A system error by its code (ECONNRESET); ours (the proxy's PROXY_FAILED) in its words.
    const code = (cause as NodeJS.ErrnoException).code;
    super(`network error: ${code?.startsWith("E") ? code : cause.message}`);
    this.method = method;
    this.code = (cause as NodeJS.ErrnoException).code;
  }
}

/**
 * An answer that is not the Bot API's (a proxy's, a load balancer's or a captive portal's page):
 * its status is kept, but a 401 there says nothing about the bot token.
 */
export class ForeignAnswerError extends GrammyError {}

const methodUrl = (apiRoot: string, token: string, method: string) => `${apiRoot.replace(/\/+$/, "")}/bot${token}/${method}`;

/**
 * Makes sure a kept-alive connection to the Bot API is open and idle, so that the next
 * `postMethod` writes at once instead of waiting for a connect (a crash during that wait would
 * leave a send in doubt that never left). Costs a `getMe` only when no idle connection exists.
 */
export async function warmConnection(apiRoot: string, token: string, signal: AbortSignal): Promise<void> {
  if (!hasIdleConnection(apiRoot)) await postMethod(apiRoot, token, "getMe", {}, signal);
}

/** Seconds a Retry-After header asks for (delta-seconds or an HTTP date), or undefined. */
function retryAfterSeconds(value: string | undefined, now = Date.now()): number | undefined {
  const v = value?.trim() ?? "";
  if (/^\d+$/.test(v)) return Number(v);
  const at = Date.parse(v);
  return v && !Number.isNaN(at) ? Math.max(1, Math.ceil((at - now) / 1000)) : undefined;
}

/**
 * Calls `method` with a JSON `payload`; resolves with its `result`, rejects with a GrammyError (a
 * ForeignAnswerError when the answer is not the Bot API's) or a SendNetworkError. `maxAnswer`:
 * the longest answer read (a getUpdates batch can be several MB).
 */
export async function postMethod<T>(
  apiRoot: string,
  token: string,
  method: string,
  payload: Record<string, unknown>,
  signal: AbortSignal,
  maxAnswer = MAX_ANSWER,
): Promise<T> {
  // `post` writes the request before it returns its promise: nothing here is awaited before that.
  const sent = post(methodUrl(apiRoot, token, method), { "content-type": "application/json" }, JSON.stringify(payload), signal);
  let status: number;
  let text: string;
  let retryAfter: string | undefined;
  try {
    const res = await sent;
    status = res.status;
    retryAfter = res.header("retry-after");
    text = await res.text(maxAnswer);
  } catch (err) {
    throw new SendNetworkError(method, err as Error);
  }
  type Answer = { ok?: boolean; result?: T; error_code?: number; description?: string; parameters?: Record<string, unknown> };
  let answer: Answer | null = null;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === "object" && typeof (parsed as { ok?: unknown }).ok === "boolean") answer = parsed as Answer;
  } catch {
    // not JSON: not the Bot API's answer (below)
  }
  if (answer?.ok === true) return answer.result as T;
  const parameters = answer?.parameters ?? {};
  // A 429 from something in front of the Bot API (a proxy, another Bot API server) may say how long in its header only.
  const headerWait = status === 429 && parameters.retry_after === undefined ? retryAfterSeconds(retryAfter) : undefined;
  if (headerWait !== undefined) parameters.retry_after = headerWait;
  const err = {
    ok: false as const,
    error_code: answer?.error_code ?? status,
    description: answer ? (answer.description ?? `HTTP ${status}`) : `not a Bot API answer (HTTP ${status})`,
    parameters,
  };
  throw new (answer ? GrammyError : ForeignAnswerError)(`Call to '${method}' failed!`, err, method, payload);
}
