/**
 * Bot API calls for sends, over the shared keep-alive HTTP client: the request is written the
 * moment `postMethod` is called. Telegram's sendMessage has no idempotency key, so the core
 * commits "a send started" just before calling deliver and, after a crash, has such a part looked
 * for on Telegram (doubt.ts) before it is sent again. The shorter the time between that commit
 * and the request's first byte, the fewer sends are ever in doubt: grammY's client spends
 * milliseconds there (several awaits, then node-fetch), this one spends none. Polling and the
 * other calls stay on grammY.
 * Failures are GrammyErrors, so failures.ts classifies both paths alike.
 */
import { GrammyError } from "grammy";
import { hasIdleConnection, post } from "../../shared/http-client.ts";

/** Bot API answers are small; a larger one is not a Bot API answer. */
const MAX_ANSWER = 1024 * 1024;

/** A network failure of a send (no answer from the Bot API), with the token kept out of its message. */
export class SendNetworkError extends Error {
  readonly code: string | undefined;
  constructor(method: string, cause: NodeJS.ErrnoException | Error) {
    super(`network error calling ${method}: ${(cause as NodeJS.ErrnoException).code ?? cause.message}`);
    this.code = (cause as NodeJS.ErrnoException).code;
  }
}

const methodUrl = (apiRoot: string, token: string, method: string) => `${apiRoot.replace(/\/+$/, "")}/bot${token}/${method}`;

/**
 * Makes sure a kept-alive connection to the Bot API is open and idle, so that the next
 * `postMethod` writes at once instead of waiting for a connect (a crash during that wait would
 * leave a send in doubt that never left). Costs a `getMe` only when no idle connection exists.
 */
export async function warmConnection(apiRoot: string, token: string, signal: AbortSignal): Promise<void> {
  if (!hasIdleConnection(apiRoot)) await postMethod(apiRoot, token, "getMe", {}, signal);
}

/** Calls `method` with a JSON `payload`; resolves with its `result`, rejects with a GrammyError or a SendNetworkError. */
export async function postMethod<T>(apiRoot: string, token: string, method: string, payload: Record<string, unknown>, signal: AbortSignal): Promise<T> {
  // `post` writes the request before it returns its promise: nothing here is awaited before that.
  const sent = post(methodUrl(apiRoot, token, method), { "content-type": "application/json" }, JSON.stringify(payload), signal);
  let status: number;
  let text: string;
  let retryAfter: string | undefined;
  try {
    const res = await sent;
    status = res.status;
    retryAfter = res.header("retry-after");
    text = await res.text(MAX_ANSWER);
  } catch (err) {
    throw new SendNetworkError(method, err as Error);
  }
  let answer: { ok?: boolean; result?: T; error_code?: number; description?: string; parameters?: Record<string, unknown> };
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    answer = { ok: false, error_code: status, description: `not a Bot API answer (HTTP ${status})` };
  }
  if (answer.ok === true) return answer.result as T;
  const parameters = answer.parameters ?? {};
  // A 429 from something in front of the Bot API (a proxy, another Bot API server) may say how long in its header only.
  if (status === 429 && parameters.retry_after === undefined && /^\d+$/.test(retryAfter?.trim() ?? "")) parameters.retry_after = Number(retryAfter);
  const err = { ok: false as const, error_code: answer.error_code ?? status, description: answer.description ?? `HTTP ${status}`, parameters };
  throw new GrammyError(`Call to '${method}' failed! (${err.error_code}: ${err.description})`, err, method, payload);
}
