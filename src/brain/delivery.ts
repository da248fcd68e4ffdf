/**
 * Delivery of the outbox: pending replies in order, each through its channel, marked delivered
 * (fenced by the epoch) after. A failed reply waits out its own backoff (exponential with jitter,
 * per reply, so a platform that is down for a minute does not use up every reply's attempts in
 * a burst of passes) and fails for good after `maxAttempts`.
 *
 * Platforms without idempotency (Telegram): the start of each send is committed just before
 * `deliver` and each part that goes out is recorded before the next is written, so after a
 * crash only the part in flight is in doubt, and it is taken as sent (outbox.ts).
 */
import type { Logger } from "pino";
import type { Channel, PartialDeliveryError } from "../channels/channel.ts";
import type { StoreHandle } from "../store/handle.ts";
import { markAttemptFailed, markDelivered, markPartsSent, markSendStarted, pendingReplies, type OutboxItem } from "./outbox.ts";

/** Pending outbox rows read at a time by a delivery pass. */
const PAGE = 100;
const SEND_TIMEOUT_MS = 30_000;

export interface DeliveryOptions {
  store: StoreHandle;
  epoch: number;
  logger: Logger;
  now: () => number;
  maxAttempts: number;
  channel(channel: string, account: string): Channel | undefined;
  /** Called when the database's epoch is no longer ours: another process took the brain. */
  onFenced(): void;
  /** False once the brain stops, is fenced or its store failed. */
  active(): boolean;
}

/** Backoff before retry number `attempts` (1-based): 0.5 s doubling to 60 s, half of it random. */
export function retryDelayMs(attempts: number, random: () => number = Math.random): number {
  const full = Math.min(60_000, 500 * 2 ** Math.min(Math.max(0, attempts - 1), 7));
  return Math.round(full * (0.5 + random() / 2));
}

export class Delivery {
  private readonly o: DeliveryOptions;
  private running = false;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  /** Replies waiting out a backoff: outbox id -> not before (epoch ms). In memory: a restart retries at once. */
  private readonly notBefore = new Map<number, number>();

  constructor(options: DeliveryOptions) {
    this.o = options;
  }

  /** Runs passes until nothing new is deliverable; a call during a pass asks for one more. */
  async run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.again = false;
        for (let after = 0, more = true; more; ) {
          const batch = pendingReplies(this.o.store, PAGE, after);
          more = batch.length === PAGE;
          for (const item of batch) {
            after = item.id;
            if (!this.o.active()) return;
            if (this.o.store.epoch() !== this.o.epoch) return this.o.onFenced();
            if (!(await this.one(item))) return;
          }
        }
      } while (this.again);
    } finally {
      this.running = false;
    }
  }

  /** Stops the retry timer (the brain is stopping). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Delivers one reply unless it is waiting out a backoff; false when fenced out (stop the pass). */
  private async one(item: OutboxItem): Promise<boolean> {
    // Real time, not the brain's clock (tests freeze that one): backoff is about the platform.
    const wait = (this.notBefore.get(item.id) ?? 0) - Date.now();
    if (wait > 0) return this.wakeIn(wait), true;
    const channel = this.o.channel(item.channel, item.account);
    if (!channel) return true; // not running now: stays pending until it is
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new DOMException(`delivery timed out after ${SEND_TIMEOUT_MS / 1000} s`, "TimeoutError")), SEND_TIMEOUT_MS);
    timer.unref(); // the send's own socket keeps the process alive while it matters
    try {
      if (!channel.idempotentDelivery) await channel.prepareSend?.(abort.signal);
      // Nothing is awaited between this commit and the channel writing its request.
      if (!channel.idempotentDelivery && !markSendStarted(this.o.store, item.id, this.o.epoch, this.o.now())) return this.o.onFenced(), false;
      const sent = await channel.deliver(
        { idempotencyKey: item.idempotencyKey, target: item.target, replyTo: item.replyTo, text: item.text, ...(item.partsSent ? { skipParts: item.partsSent } : {}) },
        abort.signal,
        { partSent: (n) => markPartsSent(this.o.store, item.id, n) },
      );
      this.notBefore.delete(item.id);
      // Stopped meanwhile: the store may be closing. A started send is settled at the next start.
      if (!this.o.active()) return false;
      // Marks of one turn of the event loop share one commit.
      const ok = this.o.store.grouped(() => markDelivered(this.o.store, item.id, this.o.epoch, this.o.now(), sent.platformMessageId ?? null)).value;
      if (!ok) this.o.onFenced();
      return ok;
    } catch (err) {
      if (!this.o.active()) {
        // Stopping: record the failure if the store is still open (so the next start retries the
        // reply instead of taking it as sent); if it is closed, the next start settles the row.
        try {
          markAttemptFailed(this.o.store, item.id, (err as Error).message, this.o.maxAttempts, item.partsSent);
        } catch {
          // closed
        }
        return false;
      }
      // The error counts this attempt's parts; the row counts them all (progress may have recorded them already).
      const partsSent = item.partsSent + (Number((err as Partial<PartialDeliveryError>).partsSent ?? 0) || 0);
      const verdict = this.o.store.grouped(() => markAttemptFailed(this.o.store, item.id, (err as Error).message, this.o.maxAttempts, partsSent)).value;
      this.o.logger.warn({ err, outbox: item.id, channel: item.channel, verdict, attempts: item.attempts + 1 }, "delivery failed");
      if (verdict === "retry") {
        const delay = retryDelayMs(item.attempts + 1);
        this.notBefore.set(item.id, Date.now() + delay);
        this.wakeIn(delay);
      } else this.notBefore.delete(item.id);
      return true;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Makes sure a pass runs in `ms` (the earliest backoff wins). */
  private wakeIn(ms: number): void {
    const at = Date.now() + ms;
    if (this.timer && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      void this.run();
    }, ms);
    this.timer.unref();
  }
}
