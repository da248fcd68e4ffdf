/**
 * The registry of channels to outside platforms (Telegram, Discord, Slack, WhatsApp): for each, where its
 * credential sits in the config and the environment (or, for WhatsApp, the linked device's keys in
 * the state dir), which platform account a credential names,
 * how to probe it live, and how to make the channel. The gateway starts, `channels status` and
 * doctor inspect, every platform through this one list; adding a platform means adding an entry
 * here and a folder under src/channels/ that passes the channel contract suite (test/channels/contract/).
 * Implementations load lazily: a gateway without Discord never loads discord.js's packages.
 */
import type { Config } from "../config/schema.ts";
import type { LeaseHolder } from "../lock/lease.ts";
import type { Channel } from "./channel.ts";
import type { AccessPolicy } from "./pairing.ts";
import type { ProbeResult } from "./probe.ts";
import { discordBotId, probeDiscord } from "./discord/credential.ts";
import { probeSlack, slackAppId } from "./slack/credential.ts";
import { probeTelegram, telegramBotId } from "./telegram/credential.ts";
import { authDir, readLinked, type LinkedDevice } from "./whatsapp/auth-store.ts";

export type PlatformId = "telegram" | "discord" | "slack" | "whatsapp";

/** What the gateway hands a platform to make its channel. */
export interface PlatformChannelOptions {
  /** The credential (for WhatsApp: the linked number's digits; its keys are in the state dir). */
  token: string;
  stateDir: string;
  /** The second credential, for a platform that has one (Slack's bot token). */
  companion?: string;
  /** The config in force (reloads included): the channel reads its section at each use. */
  config: () => Readonly<Config>;
  /** Who this brain is, recorded with the credential lease so that a loser can name the holder. */
  holder: Omit<LeaseHolder, "pid">;
  env: NodeJS.ProcessEnv;
}

/** The parts of a platform's config section every platform has. */
export interface PlatformSection extends AccessPolicy {
  enabled: boolean;
  /** Where the platform's API is (a fake's, in tests); none for WhatsApp, whose library knows. */
  apiRoot?: string;
}

export interface Platform {
  id: PlatformId;
  /** What the credential names: a bot, an app, a phone number. */
  noun: string;
  /** The credential's config key and the environment variable used when the key is unset (empty for a linked device). */
  tokenKey: string;
  tokenEnv: string;
  /** How to set the credential up, in words (for hints). */
  setup: string;
  /**
   * For a platform linked like a phone (WhatsApp): the linked device, read from the state dir
   * without loading the platform's library. Its account stands in for the token (and is leased).
   */
  linked?(stateDir: string): LinkedDevice;
  /**
   * A second credential the channel needs besides the first (Slack: the bot token that posts, beside
   * the app token that opens Socket Mode). The first names the account and is the one leased.
   */
  companion?: { key: string; env: string; configToken(config: Readonly<Config>): string | undefined };
  section(config: Readonly<Config>): PlatformSection;
  /** The credential in the config file, if set there. */
  configToken(config: Readonly<Config>): string | undefined;
  /** The platform account a credential names (a bot's id), or null when it has no recognisable form. */
  accountOf(token: string): string | null;
  probe(o: { token: string; companion?: string; apiRoot: string; stateDir: string; timeoutMs?: number }): Promise<ProbeResult>;
  /** Makes the channel (loading its libraries). */
  create(o: PlatformChannelOptions): Promise<Channel>;
}

export const PLATFORMS: readonly Platform[] = [
  {
    id: "telegram",
    noun: "bot",
    setup: "set channels.telegram.botToken or TELEGRAM_BOT_TOKEN",
    tokenKey: "channels.telegram.botToken",
    tokenEnv: "TELEGRAM_BOT_TOKEN",
    section: (c) => c.channels.telegram,
    configToken: (c) => c.channels.telegram.botToken,
    accountOf: telegramBotId,
    probe: probeTelegram,
    async create(o) {
      const { TelegramChannel } = await import("./telegram/index.ts");
      return new TelegramChannel({ token: o.token, settings: () => o.config().channels.telegram, holder: o.holder, env: o.env });
    },
  },
  {
    id: "discord",
    noun: "bot",
    setup: "set channels.discord.token or DISCORD_BOT_TOKEN",
    tokenKey: "channels.discord.token",
    tokenEnv: "DISCORD_BOT_TOKEN",
    section: (c) => c.channels.discord,
    configToken: (c) => c.channels.discord.token,
    accountOf: discordBotId,
    probe: probeDiscord,
    async create(o) {
      const { DiscordChannel } = await import("./discord/index.ts");
      return new DiscordChannel({ token: o.token, settings: () => o.config().channels.discord, holder: o.holder, env: o.env });
    },
  },
  {
    id: "slack",
    noun: "app",
    setup: "set channels.slack.appToken or SLACK_APP_TOKEN (and the bot token)",
    tokenKey: "channels.slack.appToken",
    tokenEnv: "SLACK_APP_TOKEN",
    companion: { key: "channels.slack.botToken", env: "SLACK_BOT_TOKEN", configToken: (c) => c.channels.slack.botToken },
    section: (c) => c.channels.slack,
    configToken: (c) => c.channels.slack.appToken,
    accountOf: slackAppId,
    probe: probeSlack,
    async create(o) {
      const { SlackChannel } = await import("./slack/index.ts");
      return new SlackChannel({ appToken: o.token, botToken: o.companion ?? "", settings: () => o.config().channels.slack, holder: o.holder, env: o.env });
    },
  },
  {
    id: "whatsapp",
    noun: "number",
    setup: "run onebrain channels login whatsapp",
    tokenKey: "",
    tokenEnv: "",
    linked: (stateDir) => readLinked(authDir(stateDir)),
    section: (c) => c.channels.whatsapp,
    configToken: () => undefined,
    accountOf: (digits) => (/^\d{5,20}$/.test(digits) ? digits : null),
    async probe(o) {
      // WhatsApp is not asked: a second session of the number would replace the gateway's. The
      // probe says whether the linked keys load, and whose they are.
      const t0 = performance.now();
      const d = readLinked(authDir(o.stateDir));
      const latencyMs = Math.round(performance.now() - t0);
      if (d.error) return { ok: false, latencyMs, error: d.error };
      if (!d.account) return { ok: false, latencyMs, error: "no device is linked: run onebrain channels login whatsapp" };
      return { ok: true, latencyMs, identity: { id: `+${d.account}`, username: null, name: d.name ?? "" } };
    },
    async create(o) {
      const [{ WhatsAppChannel }, { loadLibrary }] = await Promise.all([import("./whatsapp/channel.ts"), import("./whatsapp/baileys.ts")]);
      return new WhatsAppChannel({
        dir: authDir(o.stateDir),
        account: o.token,
        settings: () => o.config().channels.whatsapp,
        holder: o.holder,
        env: o.env,
        library: () => loadLibrary(o.env),
      });
    },
  },
];

/** The platform of a channel id, or undefined for one that is not an outside platform (webchat). */
export function platformOf(id: string): Platform | undefined {
  return PLATFORMS.find((p) => p.id === id);
}
