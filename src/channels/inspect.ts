/**
 * What can be said about a channel from outside it, for `channels status`, the console and
 * doctor: which channels the config sets up and where their credential comes from (never the
 * credential itself), when the store last saw traffic on them, and a live probe of the credential.
 * Nothing here starts, stops or changes a channel.
 */
import type { Config } from "../config/schema.ts";
import { inspectCredentialLease, type LeaseHolder } from "../lock/lease.ts";
import type { Env } from "../paths/paths.ts";
import { maskSecret } from "../shared/redact.ts";
import type { StoreHandle } from "../store/handle.ts";
import { platformOf, PLATFORMS, type Platform, type PlatformId } from "./platforms.ts";
import type { ProbeResult } from "./probe.ts";
import { WEBCHAT } from "./webchat.ts";

/** A channel the config sets up. `secret()` is a function so that no serialisation can leak it. */
export interface ConfiguredChannel {
  id: PlatformId;
  /** False when `channels.<id>.enabled` is false. */
  enabled: boolean;
  /** The platform account the credential belongs to (a bot's id, a linked number), or null without one. */
  account: string | null;
  /** Where the credential comes from (`linked`: a device linked into the state dir); null: none is set, so the channel cannot run. */
  tokenSource: "config" | "env" | "linked" | null;
  /** The credential shown by its ends (`123…xyz`; a linked number `+491…789`), or null. */
  tokenMasked: string | null;
  /** The config key and environment variable the credential is read from (empty for a linked device). */
  tokenKey: string;
  tokenEnv: string;
  /** How to set the credential up, in words. */
  setup: string;
  /** Why the credential could not be read (a damaged linked-device file), or null. */
  problem: string | null;
  apiRoot: string | null;
  secret(): string | null;
  /** The platform's second credential (Slack's bot token), when it has one: where it comes from, masked. */
  companion: { key: string; env: string; source: "config" | "env" | null; masked: string | null } | null;
  companionSecret(): string | null;
}

/** A credential from the config (first) or the environment, with its source. */
function pick(inConfig: string | undefined, inEnv: string | undefined): { value: string | null; source: "config" | "env" | null } {
  if (inConfig && inConfig.length > 0) return { value: inConfig, source: "config" };
  if (inEnv && inEnv.length > 0) return { value: inEnv, source: "env" };
  return { value: null, source: null };
}

/** The credential of one platform: a token (config before env) or a linked device in `stateDir`. */
function credentialOf(p: Platform, config: Readonly<Config>, env: Env, stateDir: string) {
  if (p.linked) {
    const d = p.linked(stateDir);
    return { value: d.account, source: d.account ? ("linked" as const) : null, masked: d.account ? `+${maskSecret(d.account)}` : null, problem: d.error };
  }
  const t = pick(p.configToken(config), p.tokenEnv ? env[p.tokenEnv] : undefined);
  return { ...t, masked: maskSecret(t.value), problem: null };
}

/** The channels of a config (every platform of the registry), each with its credential's source. */
export function configuredChannels(config: Readonly<Config>, env: Env, stateDir: string): ConfiguredChannel[] {
  return PLATFORMS.map((p) => {
    const first = credentialOf(p, config, env, stateDir);
    const token = first.value;
    const second = p.companion ? pick(p.companion.configToken(config), env[p.companion.env]) : null;
    const section = p.section(config);
    return {
      id: p.id,
      enabled: section.enabled,
      account: token ? p.accountOf(token) : null,
      tokenSource: first.source,
      tokenMasked: first.masked,
      tokenKey: p.tokenKey,
      tokenEnv: p.tokenEnv,
      setup: p.setup,
      problem: first.problem,
      apiRoot: section.apiRoot ?? null,
      secret: () => token,
      companion: p.companion && second ? { key: p.companion.key, env: p.companion.env, source: second.source, masked: maskSecret(second.value) } : null,
      companionSecret: () => second?.value ?? null,
    };
  });
}

/**
 * The channel accounts a gateway on this config would run (WebChat, and each enabled platform with
 * a recognisable credential): what a command working while no gateway runs checks targets against.
 */
export function configuredAccounts(config: Readonly<Config>, env: Env, stateDir: string): Array<{ id: string; account: string }> {
  return [
    { id: WEBCHAT, account: "default" },
    ...configuredChannels(config, env, stateDir).flatMap((c) => (c.enabled && c.account ? [{ id: c.id, account: c.account }] : [])),
  ];
}

/** Probes a configured channel's credential live (who the bot is, with the latency); null without a credential. */
export function probeChannel(c: ConfiguredChannel, stateDir: string, timeoutMs = 5000): Promise<ProbeResult> | null {
  const token = c.secret();
  const p = platformOf(c.id);
  const companion = c.companionSecret();
  return token && p ? p.probe({ token, ...(companion ? { companion } : {}), apiRoot: c.apiRoot ?? "", stateDir, timeoutMs }) : null;
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
