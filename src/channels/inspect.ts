/**
 * What can be said about a channel from outside it, for `channels status`, the console and
 * doctor: which channels the config sets up and where their credential comes from (never the
 * credential itself), when the store last saw traffic on them, and a live `getMe` probe.
 * Nothing here starts, stops or changes a channel.
 */
import type { Config } from "../config/schema.ts";
import { inspectCredentialLease, type LeaseHolder } from "../lock/lease.ts";
import type { Env } from "../paths/paths.ts";
import { maskSecret } from "../shared/redact.ts";
import type { StoreHandle } from "../store/handle.ts";

/** A channel the config sets up. `secret()` is a function so that no serialisation can leak it. */
export interface ConfiguredChannel {
  id: "telegram";
  /** False when `channels.<id>.enabled` is false. */
  enabled: boolean;
  /** The platform account the credential belongs to (a Telegram bot's numeric id), or null without one. */
  account: string | null;
  /** Where the credential comes from; null: none is set, so the channel cannot run. */
  tokenSource: "config" | "env" | null;
  /** The credential shown by its ends (`123…xyz`), or null. */
  tokenMasked: string | null;
  apiRoot: string;
  secret(): string | null;
}

/** The Telegram bot id of a token (`123456:ABC…` → `123456`), or null when it has no such prefix. */
export function telegramBotId(token: string): string | null {
  const m = /^(\d{1,20}):/.exec(token);
  return m ? m[1]! : null;
}

/** The channels of a config, each with its credential's source (config before env). */
export function configuredChannels(config: Readonly<Config>, env: Env): ConfiguredChannel[] {
  const tg = config.channels.telegram;
  const fromConfig = tg.botToken && tg.botToken.length > 0 ? tg.botToken : null;
  const fromEnv = env.TELEGRAM_BOT_TOKEN && env.TELEGRAM_BOT_TOKEN.length > 0 ? env.TELEGRAM_BOT_TOKEN : null;
  const token = fromConfig ?? fromEnv;
  return [
    {
      id: "telegram",
      enabled: tg.enabled,
      account: token ? telegramBotId(token) : null,
      tokenSource: fromConfig ? "config" : fromEnv ? "env" : null,
      tokenMasked: maskSecret(token),
      apiRoot: tg.apiRoot,
      secret: () => token,
    },
  ];
}

/** The credential lease of a channel: who polls this token, host-wide (null holder: nobody). */
export interface LeaseView {
  key: string;
  holder: LeaseHolder | null;
}

/** The lease of a configured channel's credential (null without a credential). Read-only: never takes it. */
export function leaseOf(c: ConfiguredChannel, env: Env = process.env): LeaseView | null {
  const secret = c.secret();
  if (!secret) return null;
  const l = inspectCredentialLease(c.id, secret, env as NodeJS.ProcessEnv);
  return { key: l.key, holder: l.held ? l.holder : null };
}

/** When the store last received from and delivered to a channel account (epoch ms, null for never). */
export function channelActivity(store: StoreHandle, channel: string, account: string): { lastInboundAt: number | null; lastOutboundAt: number | null } {
  // Newest rows first by primary key: the answer is near the top for an active channel, so no full scan.
  const inbound = store.prepare("SELECT received_at AS at FROM inbound WHERE channel = ? AND account = ? ORDER BY id DESC LIMIT 1").get(channel, account) as
    | { at: number }
    | undefined;
  const outbound = store
    .prepare("SELECT delivered_at AS at FROM outbox WHERE channel = ? AND account = ? AND delivered_at IS NOT NULL ORDER BY id DESC LIMIT 1")
    .get(channel, account) as { at: number } | undefined;
  return { lastInboundAt: inbound?.at ?? null, lastOutboundAt: outbound?.at ?? null };
}

/** What a `getMe` probe found: who the bot is and how long the platform took, or why it failed. */
export type ProbeResult =
  | { ok: true; latencyMs: number; identity: { id: number; username: string | null; name: string } }
  | { ok: false; latencyMs: number; error: string; status?: number };

/** Removes every occurrence of `secret` from `text` (error messages may quote request URLs). */
function scrub(text: string, secret: string): string {
  return secret.length > 0 ? text.split(secret).join("<token>") : text;
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
    const [mod, { agentFor }] = await Promise.all([import("grammy"), import("../shared/http-client.ts")]);
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
