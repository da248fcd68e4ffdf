/**
 * Which Discord messages and slash commands become messages for the agent. Pure: the channel
 * hands it one MESSAGE_CREATE (or one INTERACTION_CREATE) and gets back what to do with it. A
 * message that is neither ingested nor answered with a pairing code (another bot's, a system
 * message, a guild message that does not address the bot) is simply skipped: the cursor still
 * moves past it.
 *
 * Sessions: `peer` is the Discord channel id, so a DM, a guild channel and a thread are each a
 * conversation of their own. The dedupe key is the message id (a snowflake, unique across Discord)
 * or, for a slash command, the interaction id.
 */
import type { Config } from "../../config/schema.ts";
import type { ChannelAccess, InboundMessage } from "../channel.ts";

/** The channel's config section. */
type Settings = Config["channels"]["discord"];

/** The fields of a Discord user this needs. */
export interface DiscordUser {
  id: string;
  username: string;
  global_name?: string | null;
  bot?: boolean;
}

/** The fields of a MESSAGE_CREATE dispatch this needs (discord-api-types' GatewayMessageCreateDispatchData has them all). */
export interface DiscordMessage {
  id: string;
  channel_id: string;
  guild_id?: string;
  author: DiscordUser;
  member?: { nick?: string | null } | null;
  content: string;
  type: number;
  webhook_id?: string;
  mentions?: ReadonlyArray<{ id: string }>;
  referenced_message?: { author?: { id: string } } | null;
}

/** The fields of an INTERACTION_CREATE (application command) this needs. */
export interface DiscordInteraction {
  id: string;
  type: number;
  token: string;
  channel_id?: string;
  channel?: { id: string };
  guild_id?: string;
  member?: { user: DiscordUser; nick?: string | null };
  user?: DiscordUser;
  data?: { name?: string };
}

/** A stranger who wrote to the bot directly and should be told how to get access. */
export interface PairingAsk {
  sender: string;
  senderName: string;
  /** The DM channel to answer in. */
  peer: string;
}

/** What to do with one message. */
export type Decision = { kind: "ingest"; message: InboundMessage } | { kind: "pairing"; ask: PairingAsk } | { kind: "skip"; why: string };

/** What the rules need besides the message. */
export interface InboundContext {
  botId: string;
  settings: Settings;
  access: ChannelAccess | undefined;
  /** A thread's parent channel, when known (threads inherit their parent's rule). */
  parentOf(channelId: string): string | undefined;
}

/** Message types that carry what a person wrote: DEFAULT and REPLY. The rest are system notices. */
const SPOKEN_TYPES = new Set([0, 19]);
/** The slash commands the channel registers; typed as text they work the same. */
export const COMMANDS = new Set(["new", "status"]);

/** The name people see: the guild nickname, the display name, or the username. */
function displayName(u: DiscordUser, nick?: string | null): string {
  return nick || u.global_name || u.username;
}

/** The text without the bot's own mention (`<@id>`, `<@!id>`), unless nothing else is left. */
export function withoutMention(text: string, botId: string): string {
  const stripped = text
    .replace(new RegExp(`<@!?${botId}>[,:]?`, "g"), "")
    .replace(/[ \t]{2,}/g, " ")
    .trim();
  return stripped || text.trim();
}

/** The rule that applies to a guild channel (or its thread's parent), or why none lets it in. */
function guildRule(
  guildId: string,
  channelId: string,
  sender: DiscordUser,
  c: InboundContext,
): { ok: true; requireMention: boolean } | { ok: false; why: string } {
  const s = c.settings;
  const guilds = Object.keys(s.guilds);
  const guild = s.guilds[guildId];
  if (guilds.length && !guild) return { ok: false, why: "guild not in channels.discord.guilds" };
  const channels = guild?.channels ?? {};
  const parent = c.parentOf(channelId);
  const rule = channels[channelId] ?? (parent !== undefined ? channels[parent] : undefined);
  if (Object.keys(channels).length && !rule) return { ok: false, why: "channel not in the guild's channels" };
  if (rule && !rule.allow) return { ok: false, why: "channel not allowed" };
  const users = guild?.users ?? [];
  if (users.length && !users.includes(sender.id) && !users.some((u) => u.replace(/^@/, "").toLowerCase() === sender.username.toLowerCase()))
    return { ok: false, why: "user not in the guild's users" };
  return { ok: true, requireMention: rule?.requireMention ?? guild?.requireMention ?? s.requireMention };
}

/** A direct message's access: ingested (owner or guest), a pairing code, or skipped. */
function direct(base: Omit<InboundMessage, "kind" | "text">, text: string, author: DiscordUser, c: InboundContext): Decision {
  // Fail closed: without an access policy nobody is a known sender.
  if (c.access?.isAllowed(author.id, author.username)) {
    const owner = c.access.isOwner(author.id, author.username);
    return { kind: "ingest", message: { ...base, kind: "dm", text, ...(owner ? { owner } : { guest: true }) } };
  }
  if (c.settings.dmPolicy === "pairing" && c.access)
    return { kind: "pairing", ask: { sender: author.id, senderName: `${displayName(author)} (@${author.username})`, peer: base.peer } };
  return { kind: "skip", why: "sender not allowed" };
}

/** Decides one MESSAGE_CREATE. */
export function decideMessage(m: DiscordMessage, c: InboundContext): Decision {
  if (!SPOKEN_TYPES.has(m.type)) return { kind: "skip", why: `system message type ${m.type}` };
  if (m.author.bot || m.webhook_id || m.author.id === c.botId) return { kind: "skip", why: "a bot's message" };
  const said = withoutMention(m.content ?? "", c.botId);
  // No text: an attachment only, or a guild message without the Message Content intent.
  if (!said) return { kind: "skip", why: "no text" };
  const base = { messageId: m.id, peer: m.channel_id, sender: m.author.id, replyTo: m.id };
  if (!m.guild_id) return direct(base, said, m.author, c);
  const rule = guildRule(m.guild_id, m.channel_id, m.author, c);
  if (!rule.ok) return { kind: "skip", why: rule.why };
  const mentioned = m.mentions?.some((u) => u.id === c.botId) === true || m.referenced_message?.author?.id === c.botId;
  if (rule.requireMention && !mentioned) return { kind: "skip", why: "does not mention the bot" };
  // A guild session hears several people: the model is told who speaks (commands stay bare).
  const owner = c.access?.isOwner(m.author.id, m.author.username) === true;
  const text = said.startsWith("/") ? said : `${displayName(m.author, m.member?.nick)}: ${said}`;
  return { kind: "ingest", message: { ...base, kind: "group", text, ...(owner ? { owner } : {}) } };
}

/** Decides one slash command (INTERACTION_CREATE type 2): the same access as a message, no mention needed. */
export function decideInteraction(i: DiscordInteraction, c: InboundContext): Decision {
  const name = i.data?.name ?? "";
  const author = i.member?.user ?? i.user;
  const channelId = i.channel_id ?? i.channel?.id;
  if (i.type !== 2 || !COMMANDS.has(name)) return { kind: "skip", why: `not one of our commands (${name || i.type})` };
  if (!author || !channelId) return { kind: "skip", why: "no user or channel" };
  const base = { messageId: i.id, peer: channelId, sender: author.id, replyTo: i.id };
  if (!i.guild_id) return direct(base, `/${name}`, author, c);
  const rule = guildRule(i.guild_id, channelId, author, c);
  if (!rule.ok) return { kind: "skip", why: rule.why };
  const owner = c.access?.isOwner(author.id, author.username) === true;
  return { kind: "ingest", message: { ...base, kind: "group", text: `/${name}`, ...(owner ? { owner } : {}) } };
}

/** What a stranger is told. */
export function pairingText(code: string, sender: string): string {
  return `This assistant is private. Ask its operator to run:\n\nonebrain pairing approve discord ${code}\n\n(Your Discord user id is ${sender}; the code is valid for 1 hour.)`;
}
