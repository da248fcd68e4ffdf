/**
 * Bounded retries for one provider: exponential backoff with full jitter on 408/409/429/5xx/529
 * and network errors, Retry-After honoured, a no-progress timeout per attempt, and the run's
 * signal over everything. The hard rule: once a delta has reached `onDelta` (or any part of a tool
 * call has arrived), never retry.
 */
import { setTimeout as delay } from "node:timers/promises";
import type { CompletionRequest, CompletionResult } from "./provider.ts";
import { abortFailure, failureDetails, modelFailure, type ModelRef } from "./failure.ts";
import { hasCode, type OnebrainError } from "../shared/errors.ts";

/** How hard to try one provider. */
export interface RetryPolicy {
  /** Retries after the first attempt (so at most retries + 1 requests). */
  retries: number;
  /** An attempt with no progress (headers, stream data) for this long is aborted. */
  requestTimeoutMs: number;
  /** First backoff ceiling; it doubles per retry up to maxDelayMs (full jitter below it). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** The longest Retry-After we wait; a server asking for more is treated as a final answer. */
  maxRetryAfterMs: number;
}

/** The defaults behind `models.retries` and `models.requestTimeoutSeconds`. */
export const defaultRetryPolicy: RetryPolicy = { retries: 2, requestTimeoutMs: 60_000, baseDelayMs: 500, maxDelayMs: 8_000, maxRetryAfterMs: 60_000 };

/** Time and chance, injectable so tests are instant and deterministic. */
export interface RetryClock {
  /** Waits `ms`; rejects when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** In [0, 1), for jitter. */
  random(): number;
  /** Epoch ms, for Retry-After dates and the caller's deadline. */
  now(): number;
}

/** The real clock. */
export const systemClock: RetryClock = {
  sleep: (ms, signal) => delay(ms, undefined, { signal }),
  random: Math.random,
  now: Date.now,
};

/** What one HTTP attempt gets from the retry loop. */
export interface Attempt {
  /** 1 for the first request. */
  number: number;
  /** Aborts on the run's signal and on this attempt's no-progress timeout. */
  signal: AbortSignal;
  /** Call on any sign of life (headers, an SSE event) to push the no-progress timeout back. */
  progress(): void;
  /** Forward text here, never to `req.onDelta` directly: the loop must know text was streamed. */
  onDelta(text: string): void;
  /**
   * Call on each tool-call fragment (a call opened, a piece of its arguments): like a delta, it
   * makes this attempt the only one, so a reply's calls are never half from one answer and half
   * from another, and a model is never billed twice for the same calls.
   */
  onToolFragment(): void;
}

/** One HTTP attempt of a provider: resolves with the reply, or throws (MODEL_FAILED or anything). */
export type SendOnce = (req: CompletionRequest, attempt: Attempt) => Promise<Omit<CompletionResult, "attempts">>;

/** Milliseconds a Retry-After header asks for (delta-seconds or an HTTP date), or undefined. */
export function parseRetryAfter(value: string | undefined | null, now: number): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The full-jitter backoff before retry number `retry` (1-based): uniform in [0, min(max, base * 2^(retry-1))). */
export function backoffMs(retry: number, policy: RetryPolicy, random: () => number): number {
  return Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1)));
}

/** Runs `send` until it answers, the error is final, the retries are spent or the run is over. */
export async function completeWithRetries(
  who: ModelRef,
  send: SendOnce,
  req: CompletionRequest,
  policy: RetryPolicy,
  clock: RetryClock = systemClock,
): Promise<CompletionResult> {
  let streamed = false;
  for (let n = 1; ; n++) {
    if (req.signal.aborted) throw abortFailure(who, req.signal.reason, { attempts: n - 1 });
    let err: OnebrainError;
    try {
      const result = await attempt(who, send, req, n, policy.requestTimeoutMs, () => (streamed = true));
      return { ...result, attempts: n };
    } catch (e) {
      err = e as OnebrainError;
    }
    if (err.code === "TIMEOUT" || failureDetails(err)?.kind === "aborted") throw withAttempts(err, n, streamed);
    const d = failureDetails(err)!;
    if (!d.retryable || streamed || n > policy.retries) throw final(who, err, n, streamed);
    const retryAfterMs = parseRetryAfter(d.retryAfter, clock.now());
    if (retryAfterMs !== undefined && retryAfterMs > policy.maxRetryAfterMs) {
      throw final(
        who,
        err,
        n,
        streamed,
        `the server asked to wait ${Math.ceil(retryAfterMs / 1000)} s, more than the ${policy.maxRetryAfterMs / 1000} s we wait`,
      );
    }
    const wait = retryAfterMs ?? backoffMs(n, policy, () => clock.random());
    if (req.deadline !== undefined && clock.now() + wait >= req.deadline) {
      throw final(who, err, n, streamed, `no time left for a retry before the run's deadline`);
    }
    try {
      await clock.sleep(wait, req.signal);
    } catch {
      throw abortFailure(who, req.signal.reason, { attempts: n });
    }
  }
}

async function attempt(who: ModelRef, send: SendOnce, req: CompletionRequest, n: number, timeoutMs: number, markStreamed: () => void) {
  const ac = new AbortController();
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  // One timer per attempt, pushed back on each sign of progress (refresh() re-arms it in place).
  const progress = () => {
    if (timer) timer.refresh();
    else
      timer = setTimeout(() => {
        timedOut = true;
        ac.abort(new DOMException("the model request made no progress", "AbortError"));
      }, timeoutMs);
  };
  const onAbort = () => ac.abort(req.signal.reason);
  req.signal.addEventListener("abort", onAbort, { once: true });
  progress();
  const onDelta = (text: string) => {
    if (text === "") return;
    markStreamed();
    progress();
    req.onDelta?.(text);
  };
  const onToolFragment = () => {
    markStreamed();
    progress();
  };
  try {
    return await send(req, { number: n, signal: ac.signal, progress, onDelta, onToolFragment });
  } catch (err) {
    if (req.signal.aborted) throw abortFailure(who, req.signal.reason);
    if (timedOut) throw modelFailure(who, "timeout", `no response progress for ${timeoutMs / 1000} s`, { retryable: true }, err);
    if (failureDetails(err)) throw err;
    // The proxy refused its credentials for the tunnel: as final as its 407 to a plain http request.
    if (hasCode(err, "PROXY_FAILED") && err.details.status === 407)
      throw modelFailure(who, "http", `HTTP 407 from the outbound proxy: ${err.message}`, { httpStatus: 407, retryable: false }, err);
    // Anything else escaped the request or the body stream: a refused, reset or dropped connection.
    const e = err as Error & { code?: string; cause?: { code?: string; message?: string } };
    const why = e.cause?.code ?? e.cause?.message ?? (e.code?.startsWith("E") ? e.code : e.message);
    throw modelFailure(who, "network", `network error: ${why}`, { retryable: true }, err);
  } finally {
    clearTimeout(timer);
    req.signal.removeEventListener("abort", onAbort);
  }
}

function withAttempts(err: OnebrainError, attempts: number, streamed: boolean): OnebrainError {
  Object.assign(err.details, { attempts, streamed });
  return err;
}

function final(who: ModelRef, err: OnebrainError, attempts: number, streamed: boolean, why?: string): OnebrainError {
  const d = failureDetails(err)!;
  const notes = [
    attempts > 1 ? `after ${attempts} attempts` : "",
    streamed && d.retryable ? "not retried: part of the reply was already streamed" : "",
    why ?? "",
  ].filter(Boolean);
  const message = err.message.slice(`${who.provider}/${who.model}: `.length);
  return modelFailure(who, d.kind, notes.length ? `${message} (${notes.join("; ")})` : message, { ...d, attempts, streamed }, err.cause ?? err);
}
