/**
 * What makes a connected WhatsApp channel `degraded`, never silently deaf: a burst of messages
 * that cannot be decrypted (the session keys out of step: "Bad MAC"), and WhatsApp refusing the
 * number's sends for a while (rate-overlimit). Both are said in words, with the next step.
 */
import type { ChannelState } from "../channel.ts";
import { RELINK } from "./trouble.ts";

/** Undecryptable messages in a sliding window: past the threshold the channel is `degraded`, never silently deaf. */
export class DecryptFailures {
  private times: number[] = [];
  private readonly windowMs: number;
  total = 0;

  constructor(windowMs = 600_000) {
    this.windowMs = windowMs;
  }

  add(n: number, now: number): void {
    for (let i = 0; i < n; i++) this.times.push(now);
    this.total += n;
    this.prune(now);
  }

  /** How many in the window ending now. */
  count(now: number): number {
    this.prune(now);
    return this.times.length;
  }

  private prune(now: number): void {
    const from = now - this.windowMs;
    let i = 0;
    while (i < this.times.length && this.times[i]! < from) i++;
    if (i) this.times = this.times.slice(i);
  }
}

/** The degraded state's words for a burst of undecryptable messages. */
export function decryptDegraded(count: number, reason: string, since: number): Extract<ChannelState, { state: "degraded" }> {
  return {
    state: "degraded",
    since,
    detail: `${count} messages could not be decrypted in 10 min (${reason}): the session keys are out of step with the senders'. If it goes on, link again: onebrain channels logout whatsapp, then ${RELINK}`,
  };
}

/** The degraded state's words while WhatsApp rate-limits the number's sends (replies wait, none is lost). */
export function rateLimitedDegraded(untilMs: number, reason: string, now: number): Extract<ChannelState, { state: "degraded" }> {
  return {
    state: "degraded",
    since: now,
    detail: `WhatsApp is rate-limiting this number's sends (${reason}): replies wait and go in ${Math.max(1, Math.round((untilMs - now) / 1000))} s. Many messages in a short time can get a number banned (docs/whatsapp.md)`,
  };
}

/** The channel's condition: what is counted, and the degraded state it makes (null: all well). */
export class Condition {
  readonly failures = new DecryptFailures();
  private lastDecryptError = "";
  private rateLimit: { until: number; reason: string } | null = null;
  rateLimitedSends = 0;

  /** Messages that could not be decrypted, with Baileys' reasons; returns how many in the window. */
  undecryptable(reasons: readonly string[], now: number): number {
    this.failures.add(reasons.length, now);
    this.lastDecryptError = reasons.at(-1) ?? this.lastDecryptError;
    return this.failures.count(now);
  }

  get lastReason(): string {
    return this.lastDecryptError;
  }

  /** WhatsApp refused a send with a rate limit: replies wait `retryAfterMs`. */
  rateLimited(retryAfterMs: number, message: string, now: number): void {
    this.rateLimitedSends++;
    this.rateLimit = { until: now + retryAfterMs, reason: message.replace(/^WhatsApp rate-limited the send \((.*)\)$/s, "$1") };
  }

  /** A send went through; true when that lifted a rate limit. */
  sent(): boolean {
    const had = this.rateLimit !== null;
    this.rateLimit = null;
    return had;
  }

  degraded(now: number, threshold: number): Extract<ChannelState, { state: "degraded" }> | null {
    const n = this.failures.count(now);
    const parts = [
      ...(n >= threshold ? [decryptDegraded(n, this.lastDecryptError, now)] : []),
      ...(this.rateLimit && this.rateLimit.until > now ? [rateLimitedDegraded(this.rateLimit.until, this.rateLimit.reason, now)] : []),
    ];
    return parts.length ? { state: "degraded", since: now, detail: parts.map((p) => p.detail).join("; and ") } : null;
  }
}
