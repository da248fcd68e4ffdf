/**
 * How model calls fail: MODEL_FAILED with a closed `kind` and a `retryable` flag, or TIMEOUT when
 * the run's own deadline passed. Retries and fallback branch on these details, never on text.
 */
import { OnebrainError } from "../shared/errors.ts";
import { maskSecret } from "../shared/redact.ts";

/** Why a model call failed, in the closed set callers branch on. */
export type ModelFailureKind = "http" | "network" | "timeout" | "malformed" | "aborted";

/** The `details` of a MODEL_FAILED error from a provider. */
export interface ModelFailureDetails {
  provider: string;
  model: string;
  kind: ModelFailureKind;
  /** Whether another attempt could succeed (408, 409, 429, 5xx, 529, network, per-attempt timeout). */
  retryable: boolean;
  httpStatus?: number;
  /** The server's Retry-After header as sent (seconds or an HTTP date); retry.ts reads it. */
  retryAfter?: string;
  /** HTTP requests made before giving up. */
  attempts?: number;
  /** True when some text had already reached `onDelta`, or part of a tool call had arrived (so nothing may be retried). */
  streamed?: boolean;
  /** The request field an API error names (OpenAI's `error.param`), e.g. "max_tokens". */
  apiParam?: string;
  /** The API's own error code (OpenAI's `error.code`), e.g. "unsupported_parameter", "model_not_found". */
  apiCode?: string;
  /** The API's error type (`error.type` in both APIs), e.g. "insufficient_quota" (OpenAI), "billing_error" (Anthropic). */
  apiType?: string;
}

/** Names a provider's model in messages: "anthropic/claude-sonnet-4-5". */
export interface ModelRef {
  provider: string;
  model: string;
}

/** A MODEL_FAILED error with its details; the message starts with "provider/model: ". */
export function modelFailure(
  who: ModelRef,
  kind: ModelFailureKind,
  message: string,
  extra: Partial<ModelFailureDetails> & { retryable: boolean },
  cause?: unknown,
): OnebrainError {
  const details: ModelFailureDetails = { provider: who.provider, model: who.model, kind, ...extra };
  return new OnebrainError("MODEL_FAILED", `${who.provider}/${who.model}: ${message}`, {
    details: details as unknown as Record<string, unknown>,
    hint: hintFor(kind, extra.httpStatus),
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The details of a provider's MODEL_FAILED error, or undefined for any other error. */
export function failureDetails(err: unknown): ModelFailureDetails | undefined {
  if (!(err instanceof OnebrainError) || err.code !== "MODEL_FAILED" || typeof err.details.kind !== "string") return undefined;
  return err.details as unknown as ModelFailureDetails;
}

/** The error for a run whose signal fired: TIMEOUT for a deadline, else MODEL_FAILED "aborted". */
export function abortFailure(who: ModelRef, reason: unknown, extra: Partial<ModelFailureDetails> = {}): OnebrainError {
  if ((reason as { name?: unknown } | undefined)?.name === "TimeoutError") {
    return new OnebrainError("TIMEOUT", `${who.provider}/${who.model}: the run's time limit passed before the model answered`, {
      details: { provider: who.provider, model: who.model, ...extra },
      hint: "Raise reply.timeoutSeconds, or choose a faster model.",
    });
  }
  return modelFailure(who, "aborted", "the request was cancelled", { ...extra, retryable: false });
}

/** The API error types that mean the account is out of credit: OpenAI's 429 "insufficient_quota", Anthropic's 402 "billing_error". */
export const NO_CREDIT_TYPES: ReadonlySet<string> = new Set(["insufficient_quota", "billing_error"]);

/** True for statuses worth retrying: timeouts, conflicts, rate limits, server errors, 529 overloaded. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** Replaces every occurrence of the secret in server-supplied text with its masked form. */
export function scrubSecret(text: string, secret: string | undefined): string {
  return secret && text.includes(secret) ? text.split(secret).join(maskSecret(secret) ?? "…") : text;
}

function hintFor(kind: ModelFailureKind, status: number | undefined): string | undefined {
  if (status === 401 || status === 403) return "Check the provider's API key (models.providers.NAME.apiKey or its environment variable).";
  if (status === 404) return "Check the model id and the provider's baseUrl.";
  if (kind === "network") return "Check that the provider's baseUrl is reachable from this host.";
  if (kind === "malformed") return "The server does not speak the expected API; check models.providers.NAME.kind and baseUrl.";
  return undefined;
}
