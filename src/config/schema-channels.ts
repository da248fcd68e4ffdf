/** The config of the chat channels (`channels.*`): part of the one config schema (schema.ts). */
import * as z from "zod/mini";
import { httpUrl, int, oneOf, secret, section, textList } from "./schema-parts.ts";

const bool = () => z.boolean({ error: "expected true or false" });

export const telegramSchema = z.strictObject({
  /** False keeps the channel off even with a token. */
  enabled: z._default(bool(), true),
  /** The bot token from @BotFather; unset: TELEGRAM_BOT_TOKEN. */
  botToken: z.optional(secret()),
  /** The Bot API server: the public one, or a local Bot API server (and the tests' fake). */
  apiRoot: z._default(httpUrl(), "https://api.telegram.org"),
  /** Direct messages from unknown users: pairing (they get a code to give the operator), allowlist (ignored), open (everyone). */
  dmPolicy: z._default(oneOf(["pairing", "allowlist", "open"]), "pairing"),
  /** Telegram user ids (as strings) or @usernames always allowed. */
  allowFrom: z._default(textList(), []),
  groups: section(
    z.strictObject({
      /** In groups, answer only when mentioned or replied to. */
      requireMention: z._default(bool(), true),
      /** Group chat ids to serve; empty: every group the bot is in. */
      allow: z._default(textList(), []),
    }),
  ),
  /** Long-poll timeout of getUpdates. */
  pollTimeoutSeconds: z._default(int(1, 50), 30),
  /** Longest message part; Telegram's limit is 4096 characters. */
  textChunkLimit: z._default(int(100, 4096), 4000),
});

/** A guild channel or thread's own rule (`channels.discord.guilds.ID.channels.ID`). */
const discordChannelRule = z.strictObject(
  {
    /** False: never answer here. */
    allow: z._default(bool(), true),
    /** Overrides the guild's requireMention here. */
    requireMention: z.optional(bool()),
  },
  { error: "expected an object such as { allow: true, requireMention: false }" },
);

/** A guild's rule (`channels.discord.guilds.ID`). */
const discordGuildRule = z.strictObject(
  {
    /** Overrides channels.discord.requireMention in this guild. */
    requireMention: z.optional(bool()),
    /** Channel (or thread) ids to serve in this guild, each with its rule; empty: every channel the bot can read. */
    channels: z._default(z.record(z.string(), discordChannelRule, { error: "expected an object of channel ids" }), {}),
    /** User ids who may address the bot in this guild; empty: anyone who can write there. */
    users: z._default(textList(), []),
  },
  { error: "expected an object such as { requireMention: true, channels: {} }" },
);

export const discordSchema = z.strictObject({
  /** False keeps the channel off even with a token. */
  enabled: z._default(bool(), true),
  /** The bot token from the Developer Portal (Bot page); unset: DISCORD_BOT_TOKEN. */
  token: z.optional(secret()),
  /** The REST API root (the API version is added to it); the tests' fake Discord sets its own. */
  apiRoot: z._default(httpUrl(), "https://discord.com/api"),
  /** The Gateway WebSocket URL; unset: the one GET /gateway/bot names. */
  gatewayUrl: z.optional(
    z
      .string()
      .check(z.refine((v) => URL.canParse(v) && /^wss?:$/.test(new URL(v).protocol), { error: "expected a ws(s) URL such as wss://gateway.discord.gg" })),
  ),
  /** Direct messages from unknown users: pairing (they get a code to give the operator), allowlist (ignored), open (everyone). */
  dmPolicy: z._default(oneOf(["pairing", "allowlist", "open"]), "pairing"),
  /** Discord user ids (or usernames) always allowed in direct messages, and the owners. */
  allowFrom: z._default(textList(), []),
  /** In guild channels, answer only messages that mention the bot or reply to it (per guild/channel overrides below). */
  requireMention: z._default(bool(), true),
  /** Guild ids to serve, each with its rule; empty: every guild the bot is in. */
  guilds: z._default(z.record(z.string(), discordGuildRule, { error: "expected an object of guild ids" }), {}),
  /** Longest message part; Discord's limit is 2000 characters. */
  textChunkLimit: z._default(int(100, 2000), 2000),
  /** Which mentions in a reply may ping: users (<@id>), roles, everyone (@everyone/@here). Others are shown, not pinged. */
  allowMentions: z._default(z.array(oneOf(["users", "roles", "everyone"]), { error: 'expected a list such as ["users"]' }), ["users"]),
  /** After a fresh session (not a resume), messages of the channels seen in this many hours are fetched back over REST. 0: none. */
  backfillHours: z._default(int(0, 168), 24),
  /** Ask for the privileged Message Content intent (off, or refused by Discord: the bot hears only DMs and messages that mention it). */
  messageContent: z._default(bool(), true),
  /** Register the /new and /status slash commands for the application at start. */
  commands: z._default(bool(), true),
});

/** A Slack channel's own rule (`channels.slack.channels.ID`). */
const slackChannelRule = z.strictObject(
  {
    /** False: never answer here. */
    allow: z._default(bool(), true),
    /** Overrides channels.slack.requireMention here. */
    requireMention: z.optional(bool()),
  },
  { error: "expected an object such as { allow: true, requireMention: false }" },
);

export const slackSchema = z.strictObject({
  /** False keeps the channel off even with tokens. */
  enabled: z._default(bool(), true),
  /** The app-level token (xapp-…, scope connections:write) that opens Socket Mode; unset: SLACK_APP_TOKEN. */
  appToken: z.optional(secret()),
  /** The bot token (xoxb-…) that posts and reads; unset: SLACK_BOT_TOKEN. */
  botToken: z.optional(secret()),
  /** The Web API root (method names are added to it); the tests' fake Slack sets its own. */
  apiRoot: z._default(httpUrl(), "https://slack.com/api"),
  /** Direct messages from unknown users: pairing (they get a code to give the operator), allowlist (ignored), open (everyone). */
  dmPolicy: z._default(oneOf(["pairing", "allowlist", "open"]), "pairing"),
  /** Slack user ids (U…) or user names always allowed in direct messages, and the owners. */
  allowFrom: z._default(textList(), []),
  /** In channels, answer only messages that mention the bot, or that are in a thread it takes part in. */
  requireMention: z._default(bool(), true),
  /** Channel ids (C…, G…) to serve, each with its rule; empty: every channel the app is in. */
  channels: z._default(z.record(z.string(), slackChannelRule, { error: "expected an object of channel ids" }), {}),
  /** In channels, answer a top-level message in a thread under it (true) or in the channel (false). */
  replyInThread: z._default(bool(), true),
  thread: section(
    z.strictObject({
      /** When a thread becomes a session, this many earlier messages of it are given to the agent. 0: none. */
      initialHistoryLimit: z._default(int(0, 200), 20),
    }),
  ),
  /** Longest message part; Slack truncates a message over 40,000 characters and advises 4,000. */
  textChunkLimit: z._default(int(100, 40_000), 4000),
  /** The reaction (emoji name) put on a message while the agent works on it; empty: none. */
  statusReaction: z._default(z.string({ error: "expected an emoji name such as eyes" }), "eyes"),
  /** The slash command the app's manifest declares (/onebrain new, /onebrain status). */
  slashCommand: z._default(z.string().check(z.refine((v) => /^\/[a-z0-9_-]{1,31}$/.test(v), { error: "expected a command such as /onebrain" })), "/onebrain"),
  /** Connected, yet no envelope and no ping from Slack for this long: the socket is taken as deaf and replaced. */
  deafAfterSeconds: z._default(int(10, 3600), 120),
});
