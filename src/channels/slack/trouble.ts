/**
 * What the Slack channel decides and reports after a connection ends (the supervisor's rules):
 *   - Slack asked for a new connection (`refresh_requested`, `warning`, every few hours): at once;
 *   - a connection that worked for a while ended: a short pause, then again;
 *   - apps.connections.open refused the app token (invalid_auth, not_allowed_token_type, …): stop,
 *     `failed`, in words (retrying cannot fix a token);
 *   - rate limited: Slack's Retry-After;
 *   - anything else: exponential backoff with jitter up to a cap. `reconnecting` for the first
 *     failures, `degraded` from DEGRADED_AFTER in a row: `/readyz` stays 200 and says why, and the
 *     channel goes on trying on its own (never a gateway restart).
 */
import { backoffMs } from "../../shared/backoff.ts";
import type { ChannelState } from "../channel.ts";
import type { ConnectionEnd } from "./connection.ts";
import type { SlackTiming } from "./settings.ts";

/** Failed connections in a row after which the channel is `degraded` rather than `reconnecting`. */
export const DEGRADED_AFTER = 3;
/** A connection that lasted this long worked: the failures before it are forgotten. */
export const HEALTHY_AFTER_MS = 60_000;

/** apps.connections.open errors no retry can fix. */
const TOKEN_REFUSALS: Record<string, string> = {
  invalid_auth: "the app-level token was refused (invalid_auth): copy it again from the app's Basic Information → App-Level Tokens",
  not_authed: "no app-level token reached Slack (not_authed)",
  not_allowed_token_type: "channels.slack.appToken is not an app-level token (not_allowed_token_type): it must be the xapp-… token with connections:write",
  token_revoked: "the app-level token was revoked (token_revoked): make a new one under Basic Information → App-Level Tokens",
  account_inactive: "the app's installation is gone (account_inactive): reinstall the app",
  missing_scope: "the app-level token lacks the connections:write scope (missing_scope)",
};

export type Next = { kind: "stop"; reason: string } | { kind: "connect"; delayMs: number; why: string; failed: boolean };

/** What comes after a connection that ended as `end`, lasting `lastedMs`; `attempt` counts failures in a row before it. */
export function afterEnd(end: ConnectionEnd, o: { lastedMs: number; attempt: number; timing: SlackTiming; random: () => number }): Next {
  const f = end.openFailed;
  if (f?.kind === "refused" && TOKEN_REFUSALS[f.error]) return { kind: "stop", reason: TOKEN_REFUSALS[f.error]! };
  if (f?.kind === "ratelimited") return { kind: "connect", delayMs: f.retryAfterMs, why: "apps.connections.open is rate limited", failed: true };
  if (end.hello && (end.asked === "refresh_requested" || end.asked === "warning"))
    return { kind: "connect", delayMs: 0, why: `Slack asked (${end.asked})`, failed: false };
  if (end.hello && o.lastedMs >= HEALTHY_AFTER_MS)
    return { kind: "connect", delayMs: Math.round(250 + o.random() * 750), why: "the connection ended", failed: false };
  const delayMs = backoffMs(o.attempt + 1, { baseMs: o.timing.baseBackoffMs, maxMs: o.timing.maxBackoffMs, random: o.random });
  return { kind: "connect", delayMs, why: end.reason, failed: true };
}

/** The state to show while waiting `delayMs` after the `attempt`-th failure in a row (since `since`). */
export function troubleState(o: { attempt: number; since: number; lastError: string; delayMs: number; now: number }): ChannelState {
  if (o.attempt < DEGRADED_AFTER) return { state: "reconnecting", attempt: o.attempt, nextAttemptAt: o.now + o.delayMs, lastError: o.lastError };
  return {
    state: "degraded",
    since: o.since,
    detail:
      `the Slack Socket Mode connection failed ${o.attempt} times in a row (last: ${o.lastError}); next try in ${Math.max(1, Math.round(o.delayMs / 1000))} s. ` +
      "Slack sends unacknowledged events again once connected; if this lasts, check https://slack-status.com and this host's network",
  };
}
