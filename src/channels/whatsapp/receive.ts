/**
 * One `messages.upsert` batch, as the channel takes it: decided (inbound.ts), what is for the agent
 * stored at once (an urgent ingest), and only then the session's held frames released (the
 * delivery receipts: receipt-gate.ts) and the messages marked read. Undecryptable messages are
 * counted (condition.ts); strangers get a pairing code, sent with an id of ours.
 */
import type { WhatsAppSettings } from "../../config/schema-channels.ts";
import type { ChannelContext } from "../channel.ts";
import { endQuietly, normalUser, type WaMessage, type WaSocket } from "./baileys.ts";
import type { MessageIds } from "./ids.ts";
import { decideMessages, pairingText, type Me } from "./inbound.ts";
import type { ChannelMemory } from "./memory.ts";

export interface ReceiveDeps {
  ctx: ChannelContext;
  /** The session the batch came on (its gate holds the receipts). */
  sock: WaSocket | null;
  me: Me;
  settings: WhatsAppSettings;
  memory: ChannelMemory;
  ids: MessageIds;
  /** True while that session is open. */
  open: () => boolean;
  undecryptable(reasons: string[]): void;
  facts: { inbound: number; pairingCodes: number };
}

export function receiveBatch(batch: WaMessage[], o: ReceiveDeps): void {
  const { ctx, sock } = o;
  const settle = () => sock?.settled(batch.flatMap((m) => (m.key.id ? [m.key.id] : [])));
  for (const m of batch) o.memory.rememberInbound(m);
  const d = decideMessages(batch, {
    me: o.me,
    settings: o.settings,
    access: ctx.access,
    sentByUs: (id) => o.memory.sentByUs(id) || o.ids.ours(id),
  });
  if (d.undecryptable.length) o.undecryptable(d.undecryptable);
  if (d.messages.length) {
    o.facts.inbound += d.messages.length;
    const ingested = new Set(d.messages.map((x) => x.replyTo));
    const keys = batch.filter((m) => ingested.has(m.key.id ?? undefined)).map((m) => m.key);
    ctx
      .ingest({ messages: d.messages, urgent: true })
      .then(() => {
        settle();
        if (o.settings.sendReadReceipts && o.open()) return sock?.markRead(keys);
      })
      .catch((err: unknown) => {
        // Not stored: the session ends with the receipts unsent, so WhatsApp delivers the batch again.
        ctx.logger.error({ error: (err as Error).message }, "whatsapp: storing a batch failed; reconnecting so that WhatsApp delivers it again");
        endQuietly(sock);
      });
  } else settle();
  for (const ask of d.pairing) {
    const r = ctx.access!.requestPairing(ask);
    if (!r.isNew || !o.open() || !sock) continue;
    o.facts.pairingCodes++;
    const text = pairingText(r.code, ask.sender);
    const id = o.ids.idFor(`pairing:${ask.sender}:${r.code}`, 0);
    const jid = normalUser(ask.peer);
    o.memory.rememberSent(id, jid, text);
    sock
      .sendText(jid, text, { id })
      .catch((err: unknown) => ctx.logger.warn({ error: (err as Error).message }, "whatsapp: the pairing code could not be sent"));
  }
}
