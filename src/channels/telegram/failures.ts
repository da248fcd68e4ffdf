/**
 * What a failed Bot API call means for the poll loop, decided once here:
 *   - 401 (or 404 on a token Telegram does not know): the token is revoked or wrong. Stop; a
 *     retry cannot succeed and a retry storm against Telegram gets the bot rate limited.
 *   - 409: another getUpdates poller on this token (another host), or a webhook is set.
 *   - 429: flood control; wait `retry_after` (or a proxy's Retry-After header, post.ts).
 *   - network errors, 5xx, answers that are not the Bot API's (a proxy's page, whatever its
 *     status), anything else: reconnect with exponential backoff and jitter.
 */
import { GrammyError, HttpError } from "grammy";
import { ForeignAnswerError } from "./post.ts";

export type Verdict =
  | { kind: "unauthorized"; reason: string }
  | { kind: "conflict"; webhook: boolean; description: string }
  | { kind: "retry"; error: string; retryAfterMs?: number };

export const REVOKED_REASON = "the bot token was rejected (revoked?): set a new one and restart the channel";
export const CONFLICT_DETAIL = "another poller uses this token (another host?): stop it";

/** A short, secret-free description of a failed call. */
export function describeFailure(err: unknown, token?: string): string {
  let text: string;
  if (err instanceof GrammyError) text = `${err.error_code} ${err.description}`;
  else if (err instanceof HttpError) {
    const cause = err.error as { code?: string; type?: string; message?: string } | undefined;
    text = `${err.message.replace(/!$/, "")}: ${cause?.code ?? cause?.type ?? cause?.message ?? "no answer"}`;
  } else text = (err as Error)?.message ?? String(err);
  return token ? text.split(token).join("<token>") : text;
}

/** Classifies a failed call of `method`. */
export function classify(err: unknown, method: string, token?: string): Verdict {
  if (err instanceof GrammyError) {
    const code = err.error_code;
    // A page from something in front of Telegram (a proxy) says nothing about the token, nor about other pollers.
    const telegram = !(err instanceof ForeignAnswerError);
    if (telegram && (code === 401 || (code === 404 && method === "getMe"))) return { kind: "unauthorized", reason: REVOKED_REASON };
    if (telegram && code === 409) return { kind: "conflict", webhook: /webhook/i.test(err.description), description: err.description };
    if (code === 429) {
      const after = Number(err.parameters?.retry_after);
      if (after > 0) return { kind: "retry", error: `Telegram asked to wait ${after} s (flood control: ${describeFailure(err)})`, retryAfterMs: after * 1000 };
    }
  }
  return { kind: "retry", error: describeFailure(err, token) };
}

/** True when Telegram refused a message's formatting (the part is then resent as plain text). */
export function isEntityError(err: unknown): boolean {
  return err instanceof GrammyError && err.error_code === 400 && /can't parse entities|can't find end|unsupported start tag|entity/i.test(err.description);
}

// The backoff lives in one shared place (src/shared/backoff.ts); re-exported for the Telegram files.
export { backoffMs, jittered } from "../../shared/backoff.ts";
