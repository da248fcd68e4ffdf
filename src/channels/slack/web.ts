/**
 * The Web API client of the Slack channel: @slack/web-api's WebClient, set up so that onebrain's
 * delivery keeps control:
 *   - `retryConfig: { retries: 0 }`: the SDK would resend a chat.postMessage whose answer was lost
 *     (a reset, a timeout) — a blind resend that posts a reply twice; the core's in-doubt path
 *     looks the post up by its metadata instead (send.ts);
 *   - `rejectRateLimitedCalls`: a 429 comes back at once as the SDK's rate-limited error
 *     (Retry-After in seconds) and the core waits, instead of a delivery pass blocked here;
 *   - requests go through src/shared/node-fetch.ts (HTTPS_PROXY / NO_PROXY, answers capped).
 */
import { ErrorCode, WebClient, type WebAPICallResult } from "@slack/web-api";
import type { Logger } from "pino";
import { nodeFetch } from "../../shared/node-fetch.ts";
import { slackLogger } from "./log.ts";

/** A request without an answer in this time is aborted (in doubt for a post). */
export const REQUEST_TIMEOUT_MS = 15_000;
/** Slack's answers are small; a larger one is refused, not held in memory. */
export const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

/** A WebClient for `token` at `apiRoot`, through `env`'s proxy, with the SDK's retries off. */
export function createWeb(o: { token: string; apiRoot: string; env: NodeJS.ProcessEnv; logger: Logger }): WebClient {
  return new WebClient(o.token, webOptions(o));
}

/** The options of every WebClient the channel makes (its own, and Socket Mode's for apps.connections.open). */
export function webOptions(o: { apiRoot: string; env: NodeJS.ProcessEnv; logger: Logger }) {
  return {
    logger: slackLogger(o.logger),
    slackApiUrl: `${o.apiRoot.replace(/\/+$/, "")}/`,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: REQUEST_TIMEOUT_MS,
    fetch: nodeFetch({ env: o.env, service: "Slack", maxAnswerBytes: MAX_ANSWER_BYTES }) as unknown as typeof fetch,
  };
}

/** What a failed Web API call was, in the terms the channel acts on. */
export type Failure =
  /** Slack answered `{ok: false, error}`: it did not carry the call out. */
  | { kind: "refused"; error: string }
  /** 429: not carried out; wait `retryAfterMs`. */
  | { kind: "ratelimited"; retryAfterMs: number }
  /** No answer (reset, timeout): a write may have been carried out if it was `written`. */
  | { kind: "noanswer"; message: string; written: boolean }
  /** An HTTP status other than 200/429 (a proxy, an outage): not carried out by Slack's API. */
  | { kind: "http"; status: number }
  | { kind: "other"; message: string };

/** Classifies an error thrown by a WebClient call. */
export function failureOf(err: unknown): Failure {
  const e = err as {
    code?: string;
    data?: WebAPICallResult;
    retryAfter?: number;
    statusCode?: number;
    original?: Error & { written?: boolean };
    message?: string;
  };
  if (e.code === ErrorCode.PlatformError) {
    const error = (e.data as { error?: unknown } | undefined)?.error;
    return { kind: "refused", error: typeof error === "string" ? error : "unknown_error" };
  }
  if (e.code === ErrorCode.RateLimitedError) return { kind: "ratelimited", retryAfterMs: Math.max(1, e.retryAfter ?? 1) * 1000 };
  if (e.code === ErrorCode.HTTPError) return { kind: "http", status: e.statusCode ?? 0 };
  // node-fetch.ts marks whether the request had gone out; an error of another origin may have.
  if (e.code === ErrorCode.RequestError)
    return { kind: "noanswer", message: e.original?.message ?? e.message ?? "no answer", written: e.original?.written !== false };
  return { kind: "other", message: e.message ?? String(err) };
}

/** A failure in words for logs and states (never a token: the SDK's messages carry none). */
export function describeFailure(err: unknown): string {
  const f = failureOf(err);
  if (f.kind === "refused") return `Slack refused: ${f.error}`;
  if (f.kind === "ratelimited") return `rate limited by Slack (retry after ${f.retryAfterMs / 1000} s)`;
  if (f.kind === "http") return `HTTP ${f.status} from the Slack API`;
  if (f.kind === "noanswer") return `no answer from Slack (${f.message})`;
  return f.message;
}
