/**
 * Which Slack events and slash commands become messages for the agent. Pure: the channel hands it
 * one event and gets back what to do with it.
 *
 * - Dedupe key: channel + `ts` (`C1:1700000000.000100`). One Slack message can arrive under several
 *   event ids (a `message` and an `app_mention` envelope, or a redelivery): all are one message.
 * - Never a run: edits and deletions (`message_changed`, `message_deleted`), joins and other
 *   subtypes, bot messages (any `bot_id`, ours included), hidden messages.
 * - Sessions (`peer`): a direct message at the top is the DM (`D1`); a message in a thread is the
 *   thread (`C1/<thread_ts>`); a top-level channel message starts a thread of its own
 *   (`C1/<ts>`) when `replyInThread`, else it is the channel's session (`C1`).
 * - Channels: the channel must be allowed (`channels.slack.channels`, empty: all) and, with
 *   `requireMention`, the message must mention the bot, or be in a thread the bot takes part in.
 */
import type { ChannelAccess, InboundMessage } from "../channel.ts";
import { fromSlack } from "./format.ts";
import type { SlackSettings } from "./settings.ts";

/** The fields of a Slack `message` or `app_mention` event this needs. */
export interface SlackMessageEvent {
  type: string;
  subtype?: string;
  channel?: string;
  channel_type?: string;
  user?: string;
  bot_id?: string;
  app_id?: string;
  text?: string;
  ts?: string;
  thread_ts?: string;
  parent_user_id?: string;
  hidden?: boolean;
}

/** The fields of a slash command's payload this needs. */
export interface SlashCommand {
  command?: string;
  text?: string;
  user_id?: string;
  user_name?: string;
  channel_id?: string;
  trigger_id?: string;
}

/** A stranger who wrote to the bot directly and should be told how to get access. */
export interface PairingAsk {
  sender: string;
  senderName: string;
  /** The DM to answer in. */
  peer: string;
}

export type Decision =
  | { kind: "ingest"; message: InboundMessage; thread: ThreadNote | null }
  | { kind: "pairing"; ask: PairingAsk }
  | { kind: "skip"; why: string };

/** A thread the message belongs to: its session peer, and whether the agent has not seen it yet (its history is then read). */
export interface ThreadNote {
  peer: string;
  channel: string;
  threadTs: string;
  /** True when this session starts with this message inside an existing thread. */
  fresh: boolean;
}

export interface InboundContext {
  botUserId: string | null;
  botId: string | null;
  settings: SlackSettings;
  access: ChannelAccess | undefined;
  /** True when the bot already takes part in this thread session. */
  knowsThread(peer: string): boolean;
}

/** The sub-commands of the slash command. */
export const COMMANDS = new Set(["new", "status"]);

/** Subtypes that carry what a person wrote; every other subtype is a change or a notice. */
const SPOKEN_SUBTYPES = new Set([undefined, "thread_broadcast", "file_share", "me_message"]);

const isId = (v: unknown): v is string => typeof v === "string" && /^[A-Z0-9]{2,40}$/.test(v);
const isTs = (v: unknown): v is string => typeof v === "string" && /^\d{1,12}\.\d{1,8}$/.test(v);

/** A conversation's kind from its id when the event does not say (app_mention has no channel_type). */
function isDirect(channel: string, channelType: string | undefined): boolean {
  return channelType ? channelType === "im" : channel.startsWith("D");
}

/** A direct message's access: ingested (owner or guest), a pairing code, or skipped. */
function direct(base: Omit<InboundMessage, "kind" | "text">, text: string, user: string, c: InboundContext, name?: string): Decision {
  // Fail closed: without an access policy nobody is a known sender.
  if (c.access?.isAllowed(user, name)) {
    const owner = c.access.isOwner(user, name);
    return { kind: "ingest", message: { ...base, kind: "dm", text, ...(owner ? { owner } : { guest: true }) }, thread: null };
  }
  if (c.settings.dmPolicy === "pairing" && c.access) return { kind: "pairing", ask: { sender: user, senderName: name ?? user, peer: base.peer } };
  return { kind: "skip", why: "sender not allowed" };
}

/** The channel rule, or why none lets it in. */
function channelRule(channel: string, s: SlackSettings): { ok: true; requireMention: boolean } | { ok: false; why: string } {
  const rule = s.channels[channel];
  if (Object.keys(s.channels).length && !rule) return { ok: false, why: "channel not in channels.slack.channels" };
  if (rule && !rule.allow) return { ok: false, why: "channel not allowed" };
  return { ok: true, requireMention: rule?.requireMention ?? s.requireMention };
}

/** Decides one `message` or `app_mention` event. */
export function decideMessage(e: SlackMessageEvent, c: InboundContext): Decision {
  if (e.type !== "message" && e.type !== "app_mention") return { kind: "skip", why: `event ${e.type}` };
  if (!SPOKEN_SUBTYPES.has(e.subtype)) return { kind: "skip", why: `subtype ${e.subtype}` };
  if (e.hidden) return { kind: "skip", why: "hidden" };
  if (e.bot_id || (c.botUserId && e.user === c.botUserId)) return { kind: "skip", why: "a bot's message" };
  // Slack's shapes, checked: anything else (a hostile or broken payload) is skipped, never thrown on.
  if (!isId(e.channel) || !isTs(e.ts) || !isId(e.user)) return { kind: "skip", why: "no channel, ts or user of Slack's form" };
  if (e.text !== undefined && typeof e.text !== "string") return { kind: "skip", why: "text is not a string" };
  if (e.thread_ts !== undefined && !isTs(e.thread_ts)) return { kind: "skip", why: "thread_ts is not a ts" };
  const said = fromSlack(e.text ?? "", c.botUserId);
  if (!said) return { kind: "skip", why: "no text" };
  const inThread = e.thread_ts !== undefined && e.thread_ts !== e.ts;
  const messageId = `${e.channel}:${e.ts}`;
  if (isDirect(e.channel, e.channel_type)) {
    const peer = inThread ? `${e.channel}/${e.thread_ts}` : e.channel;
    const d = direct({ messageId, peer, sender: e.user, replyTo: e.ts }, said, e.user, c);
    if (d.kind === "ingest" && inThread) d.thread = { peer, channel: e.channel, threadTs: e.thread_ts!, fresh: !c.knowsThread(peer) };
    return d;
  }
  const rule = channelRule(e.channel, c.settings);
  if (!rule.ok) return { kind: "skip", why: rule.why };
  const threadTs = inThread ? e.thread_ts! : c.settings.replyInThread ? e.ts : null;
  const peer = threadTs ? `${e.channel}/${threadTs}` : e.channel;
  const mentioned = e.type === "app_mention" || (c.botUserId !== null && (e.text ?? "").includes(`<@${c.botUserId}>`));
  const ours = c.knowsThread(peer) || (inThread && c.botUserId !== null && e.parent_user_id === c.botUserId);
  if (rule.requireMention && !mentioned && !ours) return { kind: "skip", why: "does not mention the bot" };
  const owner = c.access?.isOwner(e.user) === true;
  // A channel session hears several people: the model is told who speaks (commands stay bare).
  const text = said.startsWith("/") ? said : `<@${e.user}>: ${said}`;
  const thread = threadTs ? { peer, channel: e.channel, threadTs, fresh: inThread && !c.knowsThread(peer) } : null;
  return { kind: "ingest", message: { messageId, peer, sender: e.user, replyTo: e.ts, kind: "group", text, ...(owner ? { owner } : {}) }, thread };
}

/** Decides one slash command: `/onebrain new|status`, with the same access as a message, no mention needed. */
export function decideCommand(p: SlashCommand, c: InboundContext): Decision & { usage?: string } {
  const sub = (typeof p.text === "string" ? p.text : "").trim().split(/\s+/)[0]?.toLowerCase() ?? "";
  const usage = `Usage: ${c.settings.slashCommand} new (start a new session) | ${c.settings.slashCommand} status (the session, its age and size, the model)`;
  if (!COMMANDS.has(sub)) return { kind: "skip", why: `not one of our commands (${sub || "none"})`, usage };
  if (!isId(p.user_id) || !isId(p.channel_id) || typeof p.trigger_id !== "string" || !p.trigger_id) return { kind: "skip", why: "no user, channel or trigger" };
  const base = { messageId: `cmd:${p.trigger_id}`, peer: p.channel_id, sender: p.user_id };
  if (isDirect(p.channel_id, undefined)) return direct(base, `/${sub}`, p.user_id, c, p.user_name);
  const rule = channelRule(p.channel_id, c.settings);
  if (!rule.ok) return { kind: "skip", why: rule.why, usage: `${c.settings.slashCommand} does not work in this channel (${rule.why})` };
  const owner = c.access?.isOwner(p.user_id, p.user_name) === true;
  return { kind: "ingest", message: { ...base, kind: "group", text: `/${sub}`, ...(owner ? { owner } : {}) }, thread: null };
}

/** What a stranger is told. */
export function pairingText(code: string, sender: string): string {
  return `This assistant is private. Ask its operator to run:\n\nonebrain pairing approve slack ${code}\n\n(Your Slack user id is ${sender}; the code is valid for 1 hour.)`;
}
