/** What a Discord bot token says: the bot user id it carries, and a live `GET /users/@me` for `channels status --probe` and doctor. */
import { jsonObject, scrub, type ProbeResult } from "../probe.ts";

/**
 * The bot's user id a token names: its first segment is the id in base64 (`MTIz…` → "123…"), as
 * Discord mints them. Null when it is not a snowflake (a token of another form).
 */
export function discordBotId(token: string): string | null {
  const head = token.split(".")[0] ?? "";
  if (!/^[A-Za-z0-9_-]{4,40}={0,2}$/.test(head)) return null;
  const id = Buffer.from(head, "base64url").toString("utf8");
  return /^\d{15,21}$/.test(id) ? id : null;
}

/** The longest answer read: a user object is well under 4 KiB. */
const MAX_ANSWER = 64 * 1024;

/** Asks Discord's REST API at `apiRoot` who `token` is, within `timeoutMs`. Never throws; never returns the token. */
export async function probeDiscord(o: { token: string; apiRoot: string; timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<ProbeResult> {
  const timeoutMs = o.timeoutMs ?? 5000;
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  const signal = AbortSignal.timeout(timeoutMs);
  const url = `${o.apiRoot.replace(/\/+$/, "")}/v10/users/@me`;
  try {
    // Through the outbound proxy like every other call to a platform; loaded only when a probe runs.
    const { get } = await import("../../shared/http-client.ts");
    const res = await get(url, { authorization: `Bot ${o.token}`, "user-agent": "DiscordBot (https://github.com/onebrain, 0.1)" }, signal, o.env);
    const text = await res.text(MAX_ANSWER);
    const body = jsonObject(text);
    if (res.status === 200 && body && typeof body.id === "string") {
      const username = typeof body.username === "string" ? body.username : null;
      const name = typeof body.global_name === "string" ? body.global_name : (username ?? "");
      return { ok: true, latencyMs: ms(), identity: { id: body.id, username, name } };
    }
    if (res.status === 401)
      return { ok: false, latencyMs: ms(), status: 401, error: "GET /users/@me: the token was refused (401 Unauthorized: reset or mistyped)" };
    if (!body)
      return {
        ok: false,
        latencyMs: ms(),
        status: res.status,
        error: `GET /users/@me: ${o.apiRoot} answered ${res.status} with something that is not Discord's JSON (is channels.discord.apiRoot right?)`,
      };
    const why = typeof body.message === "string" ? body.message : `status ${res.status}`;
    return { ok: false, latencyMs: ms(), status: res.status, error: scrub(`GET /users/@me failed: ${res.status} ${why}`, o.token) };
  } catch (err) {
    if (signal.aborted) return { ok: false, latencyMs: ms(), error: `GET /users/@me got no answer from ${o.apiRoot} within ${timeoutMs} ms` };
    const e = err as { code?: string; message?: string };
    return { ok: false, latencyMs: ms(), error: scrub(`GET /users/@me could not reach ${o.apiRoot}: ${e.code ?? e.message}`, o.token) };
  }
}
