/**
 * Which WhatsApp messages become messages for the agent. Pure: the channel hands it what Baileys
 * emitted (`messages.upsert`, live or delivered while offline) and gets back the messages to
 * ingest, the strangers to answer with a pairing code, and the messages it could not decrypt.
 *
 * Echo loops are impossible by construction: every message this gateway sends has its id recorded
 * before it is sent (send.ts), and a message with such an id is never a run, whether WhatsApp
 * echoes it in the self-chat or another device of the number relays it. The owner's own messages
 * in other people's chats are never runs either: only the self-chat ("Message yourself") is the
 * owner's line to the agent, and only with `selfChat`.
 */
import type { WhatsAppSettings } from "../../config/schema-channels.ts";
import type { ChannelAccess, InboundMessage } from "../channel.ts";
import type { PairingAsk } from "../pairing.ts";
import { isGroupJid, jidServer, jidUser, normalUser, STUB_CIPHERTEXT, type WaContent, type WaMessage } from "./baileys.ts";

/** Who the linked number is: its phone JID and its hidden id (LID), as Baileys' creds.me has them. */
export interface Me {
  pn: string | null;
  lid: string | null;
}

export interface Decisions {
  messages: InboundMessage[];
  pairing: PairingAsk[];
  /** Messages WhatsApp delivered that could not be decrypted (the reason Baileys gives, e.g. "Bad MAC"). */
  undecryptable: string[];
  skipped: number;
}

/** The text of a message, through the wrappers WhatsApp puts around it (disappearing, view-once, captioned documents). */
export function textOf(m: WaContent | null | undefined, depth = 0): string | null {
  if (!m || depth > 4) return null;
  const inner = m.ephemeralMessage?.message ?? m.viewOnceMessage?.message ?? m.viewOnceMessageV2?.message ?? m.documentWithCaptionMessage?.message;
  if (inner) return textOf(inner, depth + 1);
  return m.conversation ?? m.extendedTextMessage?.text ?? m.imageMessage?.caption ?? m.videoMessage?.caption ?? m.documentMessage?.caption ?? null;
}

/** The context (mentions, quoted message) of a message's content. */
function contextOf(m: WaContent | null | undefined, depth = 0): { mentionedJid?: string[] | null; participant?: string | null } | null {
  if (!m || depth > 4) return null;
  const inner = m.ephemeralMessage?.message ?? m.viewOnceMessage?.message ?? m.viewOnceMessageV2?.message ?? m.documentWithCaptionMessage?.message;
  if (inner) return contextOf(inner, depth + 1);
  return m.extendedTextMessage?.contextInfo ?? m.imageMessage?.contextInfo ?? m.videoMessage?.contextInfo ?? m.documentMessage?.contextInfo ?? null;
}

/** True when `jid` is the linked number (by phone number or by LID). */
export function isMe(jid: string | null | undefined, me: Me): boolean {
  if (!jid) return false;
  const user = jidUser(jid);
  return (me.pn !== null && user === jidUser(me.pn)) || (me.lid !== null && user === jidUser(me.lid));
}

/** A group message addresses the linked number: it is @mentioned, or one of its messages is replied to. */
function addressesMe(m: WaMessage, me: Me): boolean {
  const ctx = contextOf(m.message);
  if (ctx?.mentionedJid?.some((j) => isMe(j, me))) return true;
  return isMe(ctx?.participant, me);
}

/** The sender's phone number as E.164 (`+4915…`), when the JID (or its alternative) is a phone JID; else its user part. */
export function senderId(m: WaMessage): string {
  const candidates = [m.key.participant, m.key.participantAlt, m.key.remoteJid, m.key.remoteJidAlt];
  const group = isGroupJid(m.key.remoteJid ?? "");
  for (const jid of group ? candidates.slice(0, 2) : candidates.slice(2)) {
    if (jid && jidServer(jid) === "s.whatsapp.net") return `+${jidUser(jid)}`;
  }
  const any = (group ? m.key.participant : m.key.remoteJid) ?? "";
  return jidUser(any);
}

/** The core's dedupe key: the chat and WhatsApp's message id (ids are unique per sender, not worldwide). */
export function messageKey(m: WaMessage): string {
  return `${normalUser(m.key.remoteJid ?? "")}/${m.key.id ?? ""}`;
}

/** Splits one `messages.upsert` batch. `sentByUs(id)`: the id is one this gateway sent. */
export function decideMessages(
  batch: readonly WaMessage[],
  o: { me: Me; settings: WhatsAppSettings; access: ChannelAccess | undefined; sentByUs: (id: string) => boolean },
): Decisions {
  const out: Decisions = { messages: [], pairing: [], undecryptable: [], skipped: 0 };
  for (const m of batch) {
    const chat = m.key.remoteJid ?? "";
    const id = m.key.id ?? "";
    const server = jidServer(chat);
    if (!id || !chat || server === "broadcast" || server === "newsletter" || m.broadcast) {
      out.skipped++;
      continue;
    }
    if (m.messageStubType === STUB_CIPHERTEXT) {
      out.undecryptable.push(m.messageStubParameters?.[0] ?? "not decrypted");
      out.skipped++;
      continue;
    }
    if (o.sentByUs(id)) {
      out.skipped++;
      continue;
    }
    const text = textOf(m.message)?.trim();
    if (!text) {
      out.skipped++;
      continue;
    }
    const group = server === "g.us";
    const selfChat = !group && (isMe(chat, o.me) || isMe(m.key.remoteJidAlt, o.me));
    if (m.key.fromMe && !(selfChat && o.settings.selfChat)) {
      // The owner writing to someone else (from the phone): theirs, not the agent's.
      out.skipped++;
      continue;
    }
    const base = { messageId: messageKey(m), peer: normalUser(chat), replyTo: id };
    if (selfChat) {
      if (!o.settings.selfChat) {
        out.skipped++;
        continue;
      }
      out.messages.push({ ...base, kind: "dm", sender: o.me.pn ? `+${jidUser(o.me.pn)}` : jidUser(chat), text, owner: true });
      continue;
    }
    const sender = senderId(m);
    const name = m.pushName ?? undefined;
    if (!group) {
      if (o.access?.isAllowed(sender, name)) {
        const owner = o.access.isOwner(sender, name);
        out.messages.push({ ...base, kind: "dm", sender, text, ...(owner ? { owner } : { guest: true }) });
      } else {
        out.skipped++;
        if (o.settings.dmPolicy === "pairing" && o.access) out.pairing.push({ sender, senderName: name ? `${name} (${sender})` : sender, peer: base.peer });
      }
      continue;
    }
    const g = o.settings.groups;
    if (g.policy === "disabled" || (g.policy === "allowlist" && !g.allow.includes(base.peer)) || (g.requireMention && !addressesMe(m, o.me))) {
      out.skipped++;
      continue;
    }
    const owner = o.access?.isOwner(sender, name) === true;
    out.messages.push({ ...base, kind: "group", sender, text: `${name ?? sender}: ${text}`, ...(owner ? { owner } : {}) });
  }
  return out;
}

/** What a stranger is told. */
export function pairingText(code: string, sender: string): string {
  return `This assistant is private. Ask its operator to run:\n\nonebrain pairing approve whatsapp ${code}\n\n(Your number is ${sender}; the code is valid for 1 hour.)`;
}
