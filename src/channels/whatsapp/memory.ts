/**
 * What the WhatsApp channel remembers in memory, bounded: the ids of messages it sent (so their
 * echoes are never runs, and Baileys can answer a recipient's retry request with the content) and
 * recent inbound messages (so a reply can quote the message it answers), and which of our messages
 * WhatsApp's server acknowledged (so a part whose send answer was lost is not sent again when the
 * server already has it). Oldest entries go first.
 */
import type { WaContent, WaMessage } from "./baileys.ts";
import type { SentMemory } from "./send.ts";

/** A Map that forgets its oldest entry past `max`. */
class Bounded<V> {
  private readonly map = new Map<string, V>();
  private readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
  set(k: string, v: V): void {
    this.map.delete(k);
    this.map.set(k, v);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }
  get(k: string): V | undefined {
    return this.map.get(k);
  }
  get size(): number {
    return this.map.size;
  }
}

export class ChannelMemory implements SentMemory {
  private readonly sent: Bounded<{ jid: string; text: string; acked?: true }>;
  private readonly received: Bounded<WaMessage>;

  constructor(o: { sent?: number; received?: number } = {}) {
    this.sent = new Bounded(o.sent ?? 20_000);
    this.received = new Bounded(o.received ?? 2_000);
  }

  rememberSent(id: string, jid: string, text: string): void {
    this.sent.set(id, { jid, text });
  }

  /** True when this gateway sent a message with that id (its echo is not a run). */
  sentByUs(id: string): boolean {
    return this.sent.get(id) !== undefined;
  }

  /** WhatsApp's server acknowledged our message `id` (Baileys' `messages.update`, status SERVER_ACK or later). */
  markAcked(id: string): void {
    const s = this.sent.get(id);
    if (s) s.acked = true;
  }

  /** True when the server acknowledged our message `id`: sending it again is not needed. */
  acked(id: string): boolean {
    return this.sent.get(id)?.acked === true;
  }

  /** The content of a message we sent, for Baileys' answer to a retry request. */
  content(id: string): WaContent | undefined {
    const s = this.sent.get(id);
    return s ? { conversation: s.text } : undefined;
  }

  rememberInbound(m: WaMessage): void {
    if (m.key.id) this.received.set(m.key.id, m);
  }

  inbound(id: string): WaMessage | undefined {
    return this.received.get(id);
  }
}
