/**
 * The Slack channel's sending side: replies, the status reaction, and settling posts in doubt.
 * Each part of a reply is one `chat.postMessage` (`parse: none`, `link_names: false`, mrkdwn made
 * safe by format.ts), in the thread its target names, carrying metadata with the reply's
 * idempotency key and the part's index (doubt.ts). Slack has no idempotency key for posts, so the
 * channel does not claim idempotent delivery: a part left without an answer is looked up by its
 * metadata before it is ever posted again.
 */
import type { WebClient } from "@slack/web-api";
import type { Logger } from "pino";
import {
  ChannelRateLimitedError,
  type Delivered,
  type DeliveryProgress,
  type OutboundMessage,
  type PartialDeliveryError,
  type SendCheck,
  type SendInDoubt,
} from "../channel.ts";
import { splitText } from "../split.ts";
import { checkPartSent, partMetadata } from "./doubt.ts";
import { toMrkdwn } from "./format.ts";
import { chunkLimitOf, DEFAULT_TIMING, type SlackSettings, type SlackTiming } from "./settings.ts";
import { parseTarget } from "./targets.ts";
import { describeFailure, failureOf } from "./web.ts";

/** Slack's errors that refuse a conversation for good, in plain words. */
const REFUSALS: Record<string, string> = {
  channel_not_found: "the conversation does not exist or the app cannot see it",
  not_in_channel: "the bot is not a member of this channel (invite it with /invite @your-app)",
  is_archived: "the channel is archived",
  restricted_action: "a workspace setting keeps the bot from posting here",
  restricted_action_read_only_channel: "the channel is read-only",
  restricted_action_thread_only_channel: "the channel allows replies in threads only",
  cannot_reply_to_message: "this message cannot be replied to",
  team_access_not_granted: "the app is not installed where this conversation lives",
  msg_too_long: "the message is too long for Slack",
  no_text: "the message is empty",
};
/** Errors after which Slack may have carried the post out (its docs say so). */
const MAYBE_DONE = new Set(["internal_error", "fatal_error"]);

/** A run's status reaction on the message it answers. */
interface Status {
  count: number;
  ts: string | null;
  timer?: NodeJS.Timeout;
  added: boolean;
}

export class SlackSender {
  private readonly web: WebClient;
  private readonly settings: () => SlackSettings;
  private readonly logger: Logger;
  private readonly timing: SlackTiming;
  private readonly now: () => number;
  /** The newest inbound message per target (the one a status reaction goes on). */
  private readonly lastInbound = new Map<string, string>();
  private readonly statuses = new Map<string, Status>();

  constructor(o: { web: WebClient; settings: () => SlackSettings; logger: Logger; timing?: Partial<SlackTiming>; now?: () => number }) {
    this.web = o.web;
    this.settings = o.settings;
    this.logger = o.logger;
    this.timing = { ...DEFAULT_TIMING, ...o.timing };
    this.now = o.now ?? Date.now;
  }

  /** A message `ts` was received for `target` (a run for it may follow). Bounded: the oldest targets are forgotten. */
  noteInbound(target: string, ts: string): void {
    this.lastInbound.delete(target);
    this.lastInbound.set(target, ts);
    if (this.lastInbound.size > 5000) this.lastInbound.delete(this.lastInbound.keys().next().value!);
  }

  /** Sends the parts of `msg` not sent before (`skipParts`); each success goes to `progress` before the next post. */
  async deliver(msg: OutboundMessage, signal: AbortSignal, progress?: DeliveryProgress): Promise<Delivered> {
    const parts = splitText(msg.text, chunkLimitOf(this.settings()));
    const skip = Math.max(0, msg.skipParts ?? 0);
    const { channel, threadTs } = parseTarget(msg.target);
    let first: string | undefined;
    let sent = 0;
    for (let i = skip; i < parts.length; i++) {
      if (signal.aborted) throw this.failure(new Error("stopped"), { sent, skip, total: parts.length, part: i }, false);
      try {
        const r = await this.web.chat.postMessage({
          channel,
          text: toMrkdwn(parts[i]!),
          ...(threadTs ? { thread_ts: threadTs } : {}),
          mrkdwn: true,
          parse: "none",
          link_names: false,
          unfurl_links: false,
          unfurl_media: false,
          metadata: partMetadata(msg.idempotencyKey, i),
        });
        first ??= r.ts;
        sent++;
        progress?.partSent(skip + sent);
      } catch (err) {
        throw this.failure(err, { sent, skip, total: parts.length, part: i }, true);
      }
    }
    return first !== undefined ? { platformMessageId: first } : {};
  }

  /** Settles a part in doubt by its metadata (doubt.ts). */
  checkSent(doubt: SendInDoubt, signal: AbortSignal): Promise<SendCheck> {
    return checkPartSent(doubt, { web: this.web, timing: this.timing, now: this.now, signal });
  }

  /** The status reaction on the message a run for `target` answers, while runs for it go on. */
  typing(target: string, active: boolean): void {
    const name = this.settings().statusReaction;
    const s = this.statuses.get(target);
    if (active) {
      if (s) {
        s.count++;
        return;
      }
      const entry: Status = { count: 1, ts: this.lastInbound.get(target) ?? null, added: false };
      if (name && entry.ts) {
        entry.timer = setTimeout(() => this.react(target, entry, name), this.timing.reactionDelayMs);
        entry.timer.unref();
      }
      this.statuses.set(target, entry);
      return;
    }
    if (!s || --s.count > 0) return;
    clearTimeout(s.timer);
    this.statuses.delete(target);
    if (s.added && s.ts) this.unreact(target, s.ts, name);
  }

  /** Forgets every status (the channel is stopping); reactions already put stay. */
  stop(): void {
    for (const s of this.statuses.values()) clearTimeout(s.timer);
    this.statuses.clear();
  }

  private react(target: string, s: Status, name: string): void {
    const { channel } = parseTarget(target);
    s.added = true;
    this.web.reactions.add({ channel, timestamp: s.ts!, name }).catch((err: unknown) => {
      if (failureOf(err).kind === "refused" && /already_reacted/.test(describeFailure(err))) return;
      s.added = false;
      this.logger.debug({ target, error: describeFailure(err) }, "slack status reaction failed");
    });
  }

  private unreact(target: string, ts: string, name: string): void {
    const { channel } = parseTarget(target);
    this.web.reactions
      .remove({ channel, timestamp: ts, name })
      .catch((err: unknown) => this.logger.debug({ target, error: describeFailure(err) }, "slack status reaction could not be removed"));
  }

  private failure(err: unknown, o: { sent: number; skip: number; total: number; part: number }, written: boolean): Error {
    const f = failureOf(err);
    const done = `sent ${o.skip + o.sent} of ${o.total} part(s)`;
    if (f.kind === "ratelimited")
      return new ChannelRateLimitedError(`${done}; part ${o.part + 1}: Slack asked to wait ${f.retryAfterMs / 1000} s`, f.retryAfterMs, { partsSent: o.sent });
    const refused = f.kind === "refused" ? REFUSALS[f.error] : undefined;
    const e = new Error(
      refused
        ? `Slack refuses this conversation: ${refused} (${(f as { error: string }).error}); ${done}`
        : `${done}; part ${o.part + 1} failed: ${describeFailure(err)}`,
    ) as PartialDeliveryError;
    e.partsSent = o.sent;
    if (refused) e.permanent = true;
    else
      e.inDoubt =
        written &&
        ((f.kind === "noanswer" && f.written) ||
          (f.kind === "refused" && MAYBE_DONE.has(f.error)) ||
          (f.kind === "http" && [500, 502, 504].includes(f.status)));
    return e;
  }
}
