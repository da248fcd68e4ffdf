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

/** A phone number in E.164: a plus, the country code, the number (`+4915123456789`). */
const e164 = () =>
  z.string({ error: "expected a phone number" }).check(
    z.refine((v) => v === "*" || /^\+[1-9]\d{6,14}$/.test(v), {
      error: 'expected a phone number in E.164 form, such as +4915123456789 (a plus, the country code, no spaces), or "*"',
    }),
  );

/** A group's JID as WhatsApp names it (`120363012345678901@g.us`; `onebrain channels status whatsapp` lists those it saw). */
const groupJid = () =>
  z
    .string({ error: "expected a group id" })
    .check(z.refine((v) => /^[0-9-]{5,40}@g\.us$/.test(v), { error: "expected a group id such as 120363012345678901@g.us" }));

export const whatsappSchema = z.strictObject({
  /** False keeps the channel off even when a device is linked (`onebrain channels login whatsapp`). */
  enabled: z._default(bool(), true),
  /** Direct messages from unknown numbers: pairing (they get a code to give the operator), allowlist (ignored), open (everyone). */
  dmPolicy: z._default(oneOf(["pairing", "allowlist", "open"]), "pairing"),
  /** Numbers (E.164) always allowed, and the owners. The linked number itself is always the owner. */
  allowFrom: z._default(z.array(e164(), { error: "expected a list of phone numbers such as +4915123456789" }), []),
  groups: section(
    z.strictObject({
      /** allowlist: only the groups in `allow`; open: every group the number is in; disabled: no group. */
      policy: z._default(oneOf(["allowlist", "open", "disabled"]), "allowlist"),
      /** Group ids to serve with the allowlist policy. */
      allow: z._default(z.array(groupJid(), { error: "expected a list of group ids such as 120363012345678901@g.us" }), []),
      /** In groups, answer only when the linked number is mentioned or a message of it is replied to. */
      requireMention: z._default(bool(), true),
    }),
  ),
  /** Answer in the linked number's own chat ("Message yourself"): its owner talks to the agent there. Never in other chats of the owner's own messages. */
  selfChat: z._default(bool(), true),
  /** Mark messages the agent answers as read (blue ticks). */
  sendReadReceipts: z._default(bool(), true),
  /** Show "typing…" while a run is going. */
  typing: z._default(bool(), true),
  /** Longest message part; WhatsApp takes about 65,000 characters, and long ones read badly on a phone. */
  textChunkLimit: z._default(int(100, 60_000), 4000),
  /** Messages that fail to decrypt (Bad MAC and the like) within 10 minutes before the channel is `degraded`, with the re-link hint. */
  decryptFailureThreshold: z._default(int(1, 1000), 5),
});

export type WhatsAppSettings = z.output<typeof whatsappSchema>;
