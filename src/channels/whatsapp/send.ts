/**
 * Replies to WhatsApp. Each part's message id is made from the reply's idempotency key and the
 * part's index (ids.ts), so it is known, and tied to the outbox row that was written first,
 * before anything leaves: a part sent again after a lost answer or a crash carries the same id,
 * which WhatsApp's clients take as the same message (retries of one message always share its id),
 * and the echo of a part we sent is recognised by its id and never becomes a run.
 *
 * Long replies are split (textChunkLimit, 4,000 by default); the first part quotes the message it
 * answers when that message is still in memory (recent.ts), else it is sent unquoted.
 */
import type { WhatsAppSettings } from "../../config/schema-channels.ts";
import { ChannelRateLimitedError, type Delivered, type DeliveryProgress, type OutboundMessage, type PartialDeliveryError } from "../channel.ts";
import { splitText } from "../split.ts";
import { disconnectStatus, type WaMessage, type WaSocket } from "./baileys.ts";
import type { MessageIds } from "./ids.ts";

/** Where a reply goes: a JID as the inbound peer is, or a bare phone number (`+49…`, digits) for a message the agent starts. */
export function targetJid(target: string): string {
  if (target.includes("@")) return target;
  const digits = target.replace(/^\+/, "");
  if (!/^\d{5,20}$/.test(digits))
    throw Object.assign(new Error(`"${target}" is not a WhatsApp chat: expected a JID or a phone number such as +4915123456789`), {
      permanent: true,
      partsSent: 0,
    });
  return `${digits}@s.whatsapp.net`;
}

/** What the sender remembers: ids it sent (for echoes and Baileys' retry requests) and recent inbound messages (to quote). */
export interface SentMemory {
  rememberSent(id: string, jid: string, text: string): void;
  /** True when WhatsApp's server acknowledged the message with this id. */
  acked(id: string): boolean;
  inbound(id: string): WaMessage | undefined;
}

/** A failure in words, with the parts already delivered. */
function failure(err: unknown, partsSent: number): PartialDeliveryError {
  const status = disconnectStatus(err);
  const text = (err as Error)?.message ?? String(err);
  if (status === 429 || /rate-overlimit/i.test(text)) return new ChannelRateLimitedError(`WhatsApp rate-limited the send (${text})`, 30_000, { partsSent });
  // A number that is not on WhatsApp, or a group we are not in: every retry would be refused alike.
  const permanent = status === 404 || status === 403 || /not-authorized|item-not-found|not on whatsapp/i.test(text);
  // Anything else (a connection that dropped mid-send, a timeout) may have gone out: the same id makes the retry harmless.
  return Object.assign(new Error(`WhatsApp did not take the message: ${text}`), { partsSent, ...(permanent ? { permanent: true } : { inDoubt: true }) });
}

/** Sends one reply in parts; `socket()` is the open session, or null while there is none. */
export async function deliverReply(
  m: OutboundMessage,
  o: {
    socket: () => WaSocket | null;
    settings: () => WhatsAppSettings;
    memory: SentMemory;
    ids: MessageIds;
    signal: AbortSignal;
    progress?: DeliveryProgress;
  },
): Promise<Delivered> {
  const jid = targetJid(m.target);
  const parts = splitText(m.text, o.settings().textChunkLimit);
  let firstId: string | undefined;
  for (let i = m.skipParts ?? 0; i < parts.length; i++) {
    if (o.signal.aborted) throw Object.assign(new Error("stopped before the reply was sent whole"), { partsSent: i });
    const sock = o.socket();
    // Not connected: an ordinary retry later (the outbox backs off), nothing is in doubt.
    if (!sock) throw Object.assign(new Error("WhatsApp is not connected"), { partsSent: i });
    const id = o.ids.idFor(m.idempotencyKey, i);
    // A part whose send answer was lost is checked first: the server's ack of its id means it is there.
    if (o.memory.acked(id)) {
      firstId ??= id;
      o.progress?.partSent(i + 1);
      continue;
    }
    o.memory.rememberSent(id, jid, parts[i]!);
    const quoted = i === 0 && m.replyTo ? (o.memory.inbound(m.replyTo) ?? null) : null;
    try {
      await sock.sendText(jid, parts[i]!, { id, quoted });
    } catch (err) {
      throw failure(err, i);
    }
    firstId ??= id;
    o.progress?.partSent(i + 1);
  }
  return firstId ? { platformMessageId: firstId } : {};
}
