/**
 * The registry of channels to outside platforms (Telegram, Discord, Slack): for each, where its
 * credential sits in the config and the environment, which platform account a credential names,
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

export type PlatformId = "telegram" | "discord" | "slack";

/** What the gateway hands a platform to make its channel. */
export interface PlatformChannelOptions {
  token: string;
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
  apiRoot: string;
}

export interface Platform {
  id: PlatformId;
  /** The credential's config key and the environment variable used when the key is unset. */
  tokenKey: string;
  tokenEnv: string;
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
  probe(o: { token: string; companion?: string; apiRoot: string; timeoutMs?: number }): Promise<ProbeResult>;
  /** Makes the channel (loading its libraries). */
  create(o: PlatformChannelOptions): Promise<Channel>;
}

export const PLATFORMS: readonly Platform[] = [
  {
    id: "telegram",
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
];

/** The platform of a channel id, or undefined for one that is not an outside platform (webchat). */
export function platformOf(id: string): Platform | undefined {
  return PLATFORMS.find((p) => p.id === id);
}
