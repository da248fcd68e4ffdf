/**
 * Delivery of the outbox: pending replies in order, each through its channel, marked delivered
 * (fenced by the epoch) after. A failed reply waits out its own backoff (exponential with jitter,
 * per reply, so a platform that is down for a minute does not use up every reply's attempts in
 * a burst of passes) and fails for good after `maxAttempts`.
 *
 * Platforms without idempotency (Telegram): the start of each send is committed just before
 * `deliver`, with the conversation's floor (Channel.sendFloor), and each part that goes out is
 * recorded before the next is written. A part still marked started after a crash, or whose
 * request got no answer, is in doubt: before anything else goes to that conversation the channel
 * asks its platform (Channel.checkSent), and the part is sent again only if it is not there. A
 * channel that cannot ask has the part taken as sent (never twice, possibly lost).
 *
 * Rate limits: a platform that asks to wait (ChannelRateLimitedError: Telegram's 429 with
 * `retry_after`) is waited out exactly as long as it asks, however often it asks: such answers do
 * not count against `maxAttempts` (the cap is for failures, not for a platform saying "later").
 * Meanwhile the reply's conversation is held, so its later replies cannot overtake it. A channel
 * that paces its sends (Channel.sendDelayMs) holds a conversation until its next slot.
 * A platform that refuses a conversation for good (PartialDeliveryError.permanent: the bot was
 * blocked) fails the reply at that attempt, whatever `maxAttempts` says.
 */
import type { Logger } from "pino";
import type { Channel, ChannelRateLimitedError, OutboundMessage, PartialDeliveryError } from "../channels/channel.ts";
import { hasCode } from "../shared/errors.ts";
import type { StoreHandle } from "../store/handle.ts";
import { metrics } from "../metrics/instruments.ts";
import {
  conversationKey,
  conversationsInDoubt,
  markAttemptFailed,
  markDelivered,
  markPartsSent,
  markSendStarted,
  pendingReplies,
  priorFloor,
  settleDoubt,
  type DoubtOutcome,
  type OutboxItem,
} from "./outbox.ts";

/** Pending outbox rows read at a time by a delivery pass. */
const PAGE = 100;
const SEND_TIMEOUT_MS = 30_000;
/** Asking a platform about a part in doubt may take many calls (telegram/doubt.ts). */
const CHECK_TIMEOUT_MS = 120_000;

/** What became of one reply in a pass: "held" keeps the rest of its conversation waiting (a part in doubt). */
type Step = "done" | "held" | "stop";

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
  /** Replies waiting because their platform asked them to (a rate limit): their conversation waits with them. */
  private readonly asked = new Set<number>();
  /** Outbox rows whose part in doubt is being checked with the platform now. */
  private readonly settling = new Set<number>();

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
        // Conversations with a part in doubt: nothing else goes there until it is settled (not
        // even an older reply), or the platform could mistake that message for the one in doubt.
        const held = conversationsInDoubt(this.o.store);
        for (let after = 0, more = true; more;) {
          const batch = pendingReplies(this.o.store, PAGE, after);
          more = batch.length === PAGE;
          for (const item of batch) {
            after = item.id;
            if (!this.o.active()) return;
            if (this.o.store.epoch() !== this.o.epoch) return this.o.onFenced();
            const conversation = conversationKey(item);
            if (held.has(conversation) && item.sendStartedAt === null) continue;
            const step = await this.one(item);
            if (step === "stop") return;
            if (step === "held") held.add(conversation);
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

  /** Delivers one reply unless it is waiting out a backoff. */
  private async one(item: OutboxItem): Promise<Step> {
    // Real time, not the brain's clock (tests freeze that one): backoff is about the platform.
    const wait = (this.notBefore.get(item.id) ?? 0) - Date.now();
    const channel = this.o.channel(item.channel, item.account);
    // Not running now: stays pending until it is.
    if (wait > 0 || !channel) {
      if (wait > 0) this.wakeIn(wait);
      return item.sendStartedAt === null && !this.asked.has(item.id) ? "done" : "held";
    }
    const platform = !channel.idempotentDelivery;
    // Asking the platform takes a while: it runs beside the pass, which goes on with other chats.
    if (platform && item.sendStartedAt !== null && channel.checkSent) return (this.settleBeside(channel, item), "held");
    // The channel's pacing: this conversation's next slot is later; other conversations go on.
    const pace = item.sendStartedAt === null ? (channel.sendDelayMs?.(item.target) ?? 0) : 0;
    if (pace > 0) return (this.wakeIn(pace), "held");
    let partsSent = item.partsSent;
    let started = false;
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    try {
      if (platform && item.sendStartedAt !== null) {
        const settled = await this.settle(channel, item);
        if (settled === null) return (this.o.onFenced(), "stop");
        partsSent = settled;
        this.again = true; // its conversation's other replies were skipped in this pass
      }
      timer = setTimeout(() => abort.abort(new DOMException(`delivery timed out after ${SEND_TIMEOUT_MS / 1000} s`, "TimeoutError")), SEND_TIMEOUT_MS);
      timer.unref(); // the send's own socket keeps the process alive while it matters
      if (platform) await channel.prepareSend?.(abort.signal);
      const m: OutboundMessage = {
        idempotencyKey: item.idempotencyKey,
        target: item.target,
        replyTo: item.replyTo,
        text: item.text,
        ...(partsSent ? { skipParts: partsSent } : {}),
      };
      if (platform) {
        const floor = channel.sendFloor?.(m, priorFloor(this.o.store, item.channel, item.account, item.target)) ?? null;
        // Nothing is awaited between this commit and the channel writing its request.
        // Real time (like backoff): the platform's, which checkSent compares with.
        if (!markSendStarted(this.o.store, item.id, this.o.epoch, Date.now(), floor)) return (this.o.onFenced(), "stop");
        started = true;
      }
      const sent = await channel.deliver(m, abort.signal, { partSent: (n, floor) => markPartsSent(this.o.store, item.id, n, Date.now(), floor ?? null) });
      this.notBefore.delete(item.id);
      this.asked.delete(item.id);
      // Stopped meanwhile: the store may be closing. A started send is checked at the next start.
      if (!this.o.active()) return "stop";
      // Marks of one turn of the event loop share one commit.
      const ok = this.o.store.grouped(() =>
        markDelivered(this.o.store, item.id, this.o.epoch, this.o.now(), sent.platformMessageId ?? null, sent.floor ?? null),
      ).value;
      if (!ok) this.o.onFenced();
      else metrics.delivered.inc({ channel: item.channel });
      return ok ? "done" : "stop";
    } catch (err) {
      // In doubt: a written request without an answer. Such a part stays "started" and is
      // checked with the platform before it is ever sent again.
      const inDoubt = started && !!channel.checkSent && (err as Partial<PartialDeliveryError>).inDoubt === true;
      const retryAfterMs = hasCode(err, "CHANNEL_RATE_LIMITED") ? Math.max(0, (err as ChannelRateLimitedError).retryAfterMs) : null;
      if (!this.o.active()) {
        // Stopping: a part in doubt is checked at the next start; any other failure is recorded
        // (if the store is still open) so that the next start retries the reply.
        try {
          if (!inDoubt) markAttemptFailed(this.o.store, item.id, (err as Error).message, this.o.maxAttempts, partsSent, false, retryAfterMs === null);
        } catch {
          // closed
        }
        return "stop";
      }
      // The error counts this attempt's parts; the row counts them all (progress may have recorded them already).
      const total = partsSent + (Number((err as Partial<PartialDeliveryError>).partsSent ?? 0) || 0);
      if (retryAfterMs !== null) return (this.askedToWait(item, err as ChannelRateLimitedError, total, retryAfterMs), "held");
      const permanent = !inDoubt && (err as Partial<PartialDeliveryError>).permanent === true;
      const verdict = this.failed(item, err as Error, total, inDoubt, permanent);
      return verdict === "retry" && inDoubt ? "held" : "done";
    } finally {
      clearTimeout(timer);
    }
  }

  /** Records a failed attempt and schedules its retry after the reply's own backoff; a `permanent` refusal fails the reply now. */
  private failed(item: OutboxItem, err: Error, partsSent: number, inDoubt: boolean, permanent = false): "retry" | "failed" {
    // A cap of 0 makes this attempt the last: the platform refuses the conversation for good.
    const verdict = this.o.store.grouped(() =>
      markAttemptFailed(this.o.store, item.id, err.message, permanent ? 0 : this.o.maxAttempts, partsSent, inDoubt),
    ).value;
    this.o.logger.warn({ err, outbox: item.id, channel: item.channel, verdict, attempts: item.attempts + 1, inDoubt, permanent }, "delivery failed");
    metrics.deliveryErrors.inc({ channel: item.channel });
    if (inDoubt) metrics.inDoubt.inc({ channel: item.channel });
    if (verdict === "failed") metrics.failed.inc({ channel: item.channel });
    this.asked.delete(item.id);
    if (verdict === "retry") {
      const delay = retryDelayMs(item.attempts + 1);
      this.notBefore.set(item.id, Date.now() + delay);
      this.wakeIn(delay);
    } else this.notBefore.delete(item.id);
    return verdict;
  }

  /** The platform asked to wait (or the channel paces the rest of a long reply): recorded, not counted, retried exactly then. */
  private askedToWait(item: OutboxItem, err: ChannelRateLimitedError, partsSent: number, delay: number): void {
    const paced = err.details.paced === true;
    this.o.store.grouped(() => markAttemptFailed(this.o.store, item.id, paced ? null : err.message, this.o.maxAttempts, partsSent, false, false));
    const log = { outbox: item.id, channel: item.channel, retryInMs: delay, attempts: item.attempts, error: err.message };
    if (paced) this.o.logger.debug(log, "delivery paced under the platform's limits");
    else this.o.logger.warn(log, "the platform asked to wait before the next send (rate limit): waiting as long as asked");
    this.asked.add(item.id);
    this.notBefore.set(item.id, Date.now() + delay);
    this.wakeIn(delay);
  }

  /**
   * Settles a part in doubt beside the pass (once per row at a time), then asks for a new pass.
   * If the platform cannot tell, the attempt counts as failed and the part stays in doubt.
   */
  private settleBeside(channel: Channel, item: OutboxItem): void {
    if (this.settling.has(item.id)) return;
    this.settling.add(item.id);
    void (async () => {
      try {
        const n = await this.settle(channel, item);
        if (n === null && this.o.active() && this.o.store.epoch() !== this.o.epoch) return this.o.onFenced();
        this.notBefore.delete(item.id);
        if (this.o.active()) void this.run();
      } catch (err) {
        // Stopping: the part stays in doubt for the next start.
        if (this.o.active()) this.failed(item, err as Error, item.partsSent, true);
      } finally {
        this.settling.delete(item.id);
      }
    })();
  }

  /**
   * Settles the part in doubt of `item` with what its platform says (or takes it as sent when
   * the channel cannot ask). Returns the reply's parts sent now, null when fenced out; throws
   * when the platform could not tell (the part stays in doubt).
   */
  private async settle(channel: Channel, item: OutboxItem): Promise<number | null> {
    const part = item.partsSent + 1;
    let outcome: DoubtOutcome = { assumed: true };
    if (channel.checkSent) {
      const doubt = {
        idempotencyKey: item.idempotencyKey,
        target: item.target,
        replyTo: item.replyTo,
        text: item.text,
        part: item.partsSent,
        floor: item.sendFloor,
        startedAt: item.sendStartedAt ?? 0,
      };
      outcome = await channel.checkSent(doubt, AbortSignal.timeout(CHECK_TIMEOUT_MS));
    }
    const log = { outbox: item.id, channel: item.channel, part };
    if ("assumed" in outcome)
      this.o.logger.warn(log, "a reply part was being sent when the gateway stopped; this channel cannot ask its platform, so it is taken as delivered");
    else if (outcome.sent)
      this.o.logger.info({ ...log, platformMessageId: outcome.platformMessageId }, "a reply part in doubt was found on the platform: not sent again");
    else this.o.logger.info(log, "a reply part in doubt is not on the platform: sending it");
    return this.o.store.grouped(() => settleDoubt(this.o.store, item.id, this.o.epoch, outcome)).value;
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
