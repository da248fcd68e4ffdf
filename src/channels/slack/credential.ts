/**
 * What Slack's two tokens say. The app-level token (`xapp-1-A0123ABCD-…`) names the app: its id is
 * the channel's account and the key of the host-wide lease (one Socket Mode connection set per app
 * per host). The bot token (`xoxb-…`) is asked who it is with `auth.test` for `channels status
 * --probe` and doctor. `apps.connections.open` is never called by a probe: it is rate limited to
 * about one call a minute, which the running gateway's reconnects need.
 */
import { jsonObject, scrub, type ProbeResult } from "../probe.ts";

/** The app id an app-level token names (`xapp-1-A0123ABCD-…` → "A0123ABCD"), or null for another form. */
export function slackAppId(appToken: string): string | null {
  const m = /^xapp-\d+-(A[A-Z0-9]{4,20})-/.exec(appToken);
  return m ? m[1]! : null;
}

/** Why a token is not of the kind its key wants, or null when its form fits. */
export function tokenFormProblem(kind: "app" | "bot", token: string): string | null {
  if (kind === "app" && !token.startsWith("xapp-"))
    return "channels.slack.appToken (SLACK_APP_TOKEN) must be an app-level token (xapp-…, Basic Information → App-Level Tokens, scope connections:write)";
  if (kind === "bot" && !token.startsWith("xoxb-"))
    return "channels.slack.botToken (SLACK_BOT_TOKEN) must be a bot token (xoxb-…, OAuth & Permissions → Bot User OAuth Token)";
  return null;
}

/** The longest answer read: auth.test's is well under 4 KiB. */
const MAX_ANSWER = 64 * 1024;

/** Asks Slack's Web API at `apiRoot` who the bot token is (`auth.test`), within `timeoutMs`. Never throws; never returns a token. */
export async function probeSlack(o: { token: string; companion?: string; apiRoot: string; timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<ProbeResult> {
  const timeoutMs = o.timeoutMs ?? 5000;
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  const hide = (s: string) => scrub(scrub(s, o.token), o.companion ?? "");
  const formProblem = tokenFormProblem("app", o.token) ?? (o.companion ? tokenFormProblem("bot", o.companion) : null);
  if (formProblem) return { ok: false, latencyMs: 0, error: formProblem };
  if (!o.companion) return { ok: false, latencyMs: 0, error: "no bot token: set channels.slack.botToken or SLACK_BOT_TOKEN (xoxb-…)" };
  const signal = AbortSignal.timeout(timeoutMs);
  const url = `${o.apiRoot.replace(/\/+$/, "")}/auth.test`;
  try {
    const { post } = await import("../../shared/http-client.ts");
    const res = await post(url, { authorization: `Bearer ${o.companion}`, "content-type": "application/x-www-form-urlencoded" }, "", signal, o.env);
    const body = jsonObject(await res.text(MAX_ANSWER));
    if (res.status === 429)
      return { ok: false, latencyMs: ms(), status: 429, error: `auth.test: rate limited by Slack (retry after ${res.header("retry-after") ?? "?"} s)` };
    if (!body)
      return {
        ok: false,
        latencyMs: ms(),
        status: res.status,
        error: `auth.test: ${o.apiRoot} answered ${res.status} with something that is not Slack's JSON (is channels.slack.apiRoot right?)`,
      };
    if (body.ok === true && typeof body.user_id === "string") {
      const user = typeof body.user === "string" ? body.user : null;
      const team = typeof body.team === "string" ? body.team : "";
      return { ok: true, latencyMs: ms(), identity: { id: body.user_id, username: user, name: team ? `${user ?? body.user_id} in ${team}` : (user ?? "") } };
    }
    const error = typeof body.error === "string" ? body.error : `status ${res.status}`;
    const words =
      error === "invalid_auth" || error === "token_revoked" || error === "account_inactive"
        ? ` (the bot token was refused: reinstall the app or copy its Bot User OAuth Token again)`
        : "";
    return { ok: false, latencyMs: ms(), status: res.status, error: hide(`auth.test failed: ${error}${words}`) };
  } catch (err) {
    if (signal.aborted) return { ok: false, latencyMs: ms(), error: `auth.test got no answer from ${o.apiRoot} within ${timeoutMs} ms` };
    const e = err as { code?: string; message?: string };
    return { ok: false, latencyMs: ms(), error: hide(`auth.test could not reach ${o.apiRoot}: ${e.code ?? e.message}`) };
  }
}
