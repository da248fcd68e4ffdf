/** What a Telegram bot token says: the bot id it carries, and a live `getMe` for `channels status --probe` and doctor (grammY is loaded only when it runs). */
import { scrub, type ProbeResult } from "../probe.ts";

/** The Telegram bot id of a token (`123456:ABC…` → `123456`), or null when it has no such prefix. */
export function telegramBotId(token: string): string | null {
  const m = /^(\d{1,20}):/.exec(token);
  return m ? m[1]! : null;
}

/** Asks the Bot API at `apiRoot` who `token` is (`getMe`), within `timeoutMs`. Never throws; never returns the token. */
export async function probeTelegram(o: { token: string; apiRoot: string; timeoutMs?: number }): Promise<ProbeResult> {
  const timeoutMs = o.timeoutMs ?? 5000;
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    // grammY is loaded on first use: a status without --probe does not pay for it.
    // grammY is CommonJS: bundled, its exports are only on `default`; under plain Node on both.
    // The HTTP client (http, https, tls and the proxy rules) too: doctor and a plain status never need it.
    const [mod, { agentFor }] = await Promise.all([import("grammy"), import("../../shared/http-client.ts")]);
    const { Api, GrammyError } = (mod as unknown as { default?: typeof mod }).default ?? mod;
    try {
      // Through the outbound proxy like the channel itself (telegram/api.ts; not imported: it loads grammY eagerly).
      const agent = (url: { href: string }) => agentFor(url);
      const api = new Api(o.token, {
        apiRoot: o.apiRoot.replace(/\/+$/, ""),
        timeoutSeconds: Math.ceil(timeoutMs / 1000),
        baseFetchConfig: { agent: agent as never },
      });
      // grammY types its signal as the abort-controller polyfill's; Node's own is what it uses at run time.
      const me = await api.getMe(signal as unknown as Parameters<typeof api.getMe>[0]);
      const name = [me.first_name, me.last_name].filter(Boolean).join(" ");
      return { ok: true, latencyMs: ms(), identity: { id: me.id, username: me.username ?? null, name } };
    } catch (err) {
      if (err instanceof GrammyError) {
        const why = err.error_code === 401 ? "the token was refused (401 Unauthorized: revoked or mistyped)" : `${err.error_code} ${err.description}`;
        return { ok: false, latencyMs: ms(), error: scrub(`getMe failed: ${why}`, o.token), status: err.error_code };
      }
      if (signal.aborted) return { ok: false, latencyMs: ms(), error: `getMe got no answer from ${o.apiRoot} within ${timeoutMs} ms` };
      const cause = (err as { error?: { code?: string; type?: string; message?: string } }).error;
      if (cause?.type === "invalid-json")
        return {
          ok: false,
          latencyMs: ms(),
          error: `getMe: ${o.apiRoot} answered with something that is not the Bot API's JSON (is channels.telegram.apiRoot right?)`,
        };
      const detail = cause?.code ?? cause?.message ?? (err as Error).message;
      return { ok: false, latencyMs: ms(), error: scrub(`getMe could not reach ${o.apiRoot}: ${detail}`, o.token) };
    }
  } catch (err) {
    return { ok: false, latencyMs: ms(), error: scrub(`getMe failed: ${(err as Error).message}`, o.token) };
  }
}
