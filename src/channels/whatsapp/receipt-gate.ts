/**
 * Holds the session's outgoing frames while a received message is not yet in the store.
 *
 * Baileys sends WhatsApp's delivery receipt for a message before it emits the message to us; once
 * the receipt is out, WhatsApp never delivers the message again. A crash between the receipt and
 * the gateway's commit would lose it. So the adapter marks each message the moment its stanza
 * arrives (`arrived`), and from then every frame the session writes (the receipt among them) waits,
 * in order, until the channel says the messages are stored or were not for it (`settle`). A crash
 * before that leaves the receipt unsent, and WhatsApp delivers the message again at the next
 * connect. `holdMs` bounds the wait for a message that never reaches the channel (Baileys keeps
 * some to itself), so nothing waits for ever.
 */
export class ReceiptGate {
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private queue: Array<() => void> = [];
  private closed = false;
  private readonly holdMs: number;
  /** Messages whose hold ran out before the channel settled them (a sign of a slow store, or of messages Baileys kept). */
  timedOut = 0;

  constructor(o: { holdMs?: number } = {}) {
    this.holdMs = o.holdMs ?? 3000;
  }

  /** A message's stanza arrived: frames wait until it is settled. */
  arrived(id: string): void {
    if (this.closed || this.pending.has(id)) return;
    const timer = setTimeout(() => {
      this.timedOut++;
      this.settle([id]);
    }, this.holdMs);
    timer.unref();
    this.pending.set(id, timer);
  }

  /** The messages are stored (or were not for the agent): frames go once nothing else is pending. */
  settle(ids: readonly string[]): void {
    for (const id of ids) {
      clearTimeout(this.pending.get(id));
      this.pending.delete(id);
    }
    if (this.pending.size === 0) this.flush();
  }

  /** Writes now, or queues the write behind the pending messages; after `close`, drops it. */
  send(write: () => void): "now" | "queued" | "closed" {
    if (this.closed) return "closed";
    if (this.pending.size === 0 && this.queue.length === 0) {
      write();
      return "now";
    }
    this.queue.push(write);
    return "queued";
  }

  /** How many messages hold the frames now. */
  get holding(): number {
    return this.pending.size;
  }

  /** The session ended: what waited is dropped (WhatsApp delivers the unreceipted messages again). */
  close(): void {
    this.closed = true;
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
    this.queue = [];
  }

  private flush(): void {
    const q = this.queue;
    this.queue = [];
    for (const write of q) {
      try {
        write();
      } catch {
        // The socket closed under the queue: its close event says so.
      }
    }
  }
}
