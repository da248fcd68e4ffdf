/**
 * Which Telegram updates become messages for the agent. Pure: the poll loop hands it a batch and
 * gets back the messages to ingest and the strangers to answer with a pairing code. An update
 * that is neither (a group message that does not address the bot, a sticker, a stranger under
 * `allowlist`) is simply not ingested: the batch's cursor still covers it, so it is confirmed to
 * Telegram and never comes back.
 *
 * The message id (the core's dedupe key) is the chat id and the message_id (offset.ts): a
 * redelivered update carries the same message, and update ids may restart while message ids
 * do not (so a new update can never be taken for an old one, nor an old one run again).
 */
import type { Message, Update } from "grammy/types";
import type { ChannelAccess, InboundMessage } from "../channel.ts";
import { messageKey } from "./offset.ts";

/** The part of the channel's settings this needs. */
export interface InboundSettings {
  dmPolicy: "pairing" | "allowlist" | "open";
  groups: { requireMention: boolean; allow: readonly string[] };
}

/** A stranger who wrote to the bot directly and should be told how to get access. */
export interface PairingAsk {
  sender: string;
  /** Shown to the operator: the name and @username. */
  senderName: string;
  /** The private chat to answer in. */
  peer: string;
}

export interface Decisions {
  messages: InboundMessage[];
  pairing: PairingAsk[];
  /** Updates confirmed but not ingested (not addressed to the bot, not text, not allowed). */
  skipped: number;
}

/** True when a group message addresses the bot: an @mention, a text mention, `/cmd@bot`, or a reply to one of its messages. */
export function addressesBot(msg: Message, me: { id: number; username: string }): boolean {
  if (msg.reply_to_message?.from?.id === me.id) return true;
  const text = msg.text ?? msg.caption ?? "";
  const name = `@${me.username}`.toLowerCase();
  for (const e of msg.entities ?? msg.caption_entities ?? []) {
    const slice = text.slice(e.offset, e.offset + e.length).toLowerCase();
    if (e.type === "mention" && slice === name) return true;
    if (e.type === "text_mention" && e.user.id === me.id) return true;
    if (e.type === "bot_command" && slice.endsWith(name)) return true;
  }
  return false;
}

/** A person as people see them: "First Last (@username)", without the parts they did not set. */
function displayName(u: { first_name: string; last_name?: string; username?: string }): string {
  const name = [u.first_name, u.last_name].filter(Boolean).join(" ");
  return u.username ? `${name} (@${u.username})` : name;
}

/** The text without the bot's own @mention (what the model should read), unless nothing else is left. */
function withoutMention(text: string, username: string): string {
  const stripped = text
    .replace(new RegExp(`(^|\\s)@${username}\\b[,:]?`, "gi"), "$1")
    .replace(/[ \t]{2,}/g, " ")
    .trim();
  return stripped || text;
}

/** Splits a batch of updates into messages for the agent and pairing requests. */
export function decideUpdates(
  updates: readonly Update[],
  o: { me: { id: number; username: string }; settings: InboundSettings; access: ChannelAccess | undefined },
): Decisions {
  const out: Decisions = { messages: [], pairing: [], skipped: 0 };
  for (const u of updates) {
    const msg = u.message;
    const text = msg?.text ?? msg?.caption;
    if (!msg || !text || !msg.from || msg.from.is_bot) {
      out.skipped++;
      continue;
    }
    const base = {
      messageId: messageKey(msg.chat.id, msg.message_id),
      peer: String(msg.chat.id),
      sender: String(msg.from.id),
      replyTo: String(msg.message_id),
    };
    if (msg.chat.type === "private") {
      // Fail closed: without an access policy nobody is a known sender.
      if (o.access?.isAllowed(base.sender, msg.from.username)) {
        // Someone the owner let in has a conversation of their own, not the owner's (session.pairedDmScope).
        const owner = o.access.isOwner(base.sender, msg.from.username);
        out.messages.push({ ...base, kind: "dm", text, ...(owner ? { owner } : { guest: true }) });
      } else {
        out.skipped++;
        if (o.settings.dmPolicy === "pairing" && o.access) {
          out.pairing.push({ sender: base.sender, senderName: displayName(msg.from), peer: base.peer });
        }
      }
      continue;
    }
    if (msg.chat.type !== "group" && msg.chat.type !== "supergroup") {
      out.skipped++;
      continue;
    }
    const allow = o.settings.groups.allow;
    if ((allow.length && !allow.includes(base.peer)) || (o.settings.groups.requireMention && !addressesBot(msg, o.me))) {
      out.skipped++;
      continue;
    }
    // A group session hears several people: the model is told who speaks (commands stay bare).
    const said = withoutMention(text, o.me.username);
    // The owner is known in a group too: only they may answer an approval the group's session asked for.
    const owner = o.access?.isOwner(base.sender, msg.from.username) === true;
    out.messages.push({ ...base, kind: "group", text: said.startsWith("/") ? said : `${displayName(msg.from)}: ${said}`, ...(owner ? { owner } : {}) });
  }
  return out;
}

/** What a stranger is told. */
export function pairingText(code: string, sender: string): string {
  return `This assistant is private. Ask its operator to run:\n\nonebrain pairing approve telegram ${code}\n\n(Your Telegram user id is ${sender}; the code is valid for 1 hour.)`;
}
