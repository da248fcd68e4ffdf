/**
 * What a failed REST call of a delivery means, decided once here:
 *   - the lib's RateLimitError (a wait over rest.ts's REJECT_WAIT_MS) or a 429: wait that long;
 *   - 403 50001/50013/50007, 404 10003: Discord refuses this conversation for good (no access,
 *     no permission, the user takes no DMs from the bot, the channel is gone): permanent;
 *   - no answer after the request went out (reset, timeout) or 500/502/504 (the request may have
 *     been carried out behind the error): in doubt, the core checks before sending it again;
 *   - anything else (a refused connection, 503, 401...): retried with backoff. After a 401
 *     @discordjs/rest forgets the token: every later call fails until the channel makes a new client.
 */
import { DiscordAPIError, HTTPError, RateLimitError } from "./rest.ts";

/** A failure, classified. */
export type SendFailure =
  | { kind: "rateLimited"; retryAfterMs: number; detail: string }
  | { kind: "permanent"; reason: string; detail: string }
  | { kind: "retry"; inDoubt: boolean; detail: string };

/** Discord's error codes that refuse a conversation for good, in plain words. */
const REFUSALS: Record<number, string> = {
  10003: "the channel no longer exists",
  50001: "the bot has no access to this channel",
  50013: "the bot lacks the permission to send messages here",
  50007: "the user does not accept direct messages from the bot",
};

/** Statuses after which the request may still have been carried out. */
const MAYBE_DONE = new Set([500, 502, 504]);

/** Network errors raised before anything was written (the connection never opened). */
const NEVER_WRITTEN = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "PROXY_FAILED"]);

/** A short, secret-free description of a failed call. */
export function describeFailure(err: unknown): string {
  if (err instanceof DiscordAPIError) return `${err.status} ${err.message} (code ${err.code})`;
  if (err instanceof HTTPError) return `${err.status} ${err.message}`;
  if (err instanceof RateLimitError) return `rate limited on ${err.route} for ${err.retryAfter} ms${err.global ? " (global)" : ""}`;
  const e = err as { code?: string; name?: string; message?: string };
  return `${e?.code ?? e?.name ?? "error"}: ${e?.message ?? String(err)}`;
}

/** Classifies a failed send. */
export function classifySend(err: unknown): SendFailure {
  const detail = describeFailure(err);
  if (err instanceof RateLimitError) return { kind: "rateLimited", retryAfterMs: Math.max(err.retryAfter, err.timeToReset, 0), detail };
  if (err instanceof DiscordAPIError) {
    if (err.status === 429) {
      const after = Number((err.rawError as { retry_after?: number }).retry_after);
      return { kind: "rateLimited", retryAfterMs: Number.isFinite(after) && after > 0 ? Math.ceil(after * 1000) : 1000, detail };
    }
    const refused = typeof err.code === "number" ? REFUSALS[err.code] : undefined;
    if (refused && (err.status === 403 || err.status === 404)) return { kind: "permanent", reason: refused, detail };
    return { kind: "retry", inDoubt: false, detail };
  }
  if (err instanceof HTTPError) return { kind: "retry", inDoubt: MAYBE_DONE.has(err.status), detail };
  const e = err as { code?: string; written?: boolean; message?: string };
  // After a 401 the lib drops the token and refuses every request before writing it (its error has no code).
  if (e?.written === undefined && (e?.message ?? "").startsWith("Expected token to be set")) return { kind: "retry", inDoubt: false, detail };
  // No answer: Discord may have the request, unless it never left (a refused connection, a failed proxy tunnel).
  const inDoubt = e?.written !== false && !NEVER_WRITTEN.has(e?.code ?? "");
  return { kind: "retry", inDoubt, detail };
}
