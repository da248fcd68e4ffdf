/**
 * The Discord channel's sending side: replies, typing, and the facts the core's in-doubt path
 * needs. Each part of a reply is one `POST /channels/{id}/messages` with a nonce derived from the
 * reply's idempotency key and the part's index and `enforce_nonce`, so a retry within Discord's
 * nonce window (a few minutes) gets the message already made, not a second one. That window is
 * short, so the channel does not claim idempotent delivery: the core records each send's start
 * with `sendFloor` and settles a part left without an answer with `checkSent` (doubt.ts), which
 * holds however long after the send it runs.
 * Floors are JS numbers and snowflakes do not fit one: a floor is the creation time (Unix ms) of
 * the newest message known in the conversation (ids.ts).
 * A reply to a slash command (its `replyTo` is the interaction id, acked as deferred) edits the
 * interaction's original response with its first part; the rest go to the channel.
 */
import type { REST } from "@discordjs/rest";
import type { APIMessage, RESTPostAPIChannelMessageJSONBody } from "discord-api-types/v10";
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
import { TypingIndicators } from "../typing.ts";
import { checkPartSent } from "./doubt.ts";
import { classifySend, describeFailure } from "./failures.ts";
import { CLOCK_MARGIN_MS, newerId, partNonce, snowflakeTime } from "./ids.ts";
import { allowedMentions } from "./mentions.ts";
import { chunkLimitOf, DEFAULT_SEND_TIMING, type DiscordSendTiming, type DiscordSettings } from "./settings.ts";

/** A slash command acked as deferred, whose original response the reply fills in. */
interface PendingInteraction {
  token: string;
  channelId: string;
  at: number;
}

/** Sends replies and typing to Discord for one bot; keeps what it learns of each conversation in memory. */
export class DiscordSender {
  private readonly rest: REST;
  private readonly settings: () => DiscordSettings;
  private readonly botId: () => string | null;
  private readonly applicationId: () => string | null;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly timing: DiscordSendTiming;
  /** The newest message id known per channel (received or sent). */
  private readonly newest = new Map<string, string>();
  private readonly interactions = new Map<string, PendingInteraction>();
  private readonly typingIndicators: TypingIndicators;

  constructor(o: {
    rest: REST;
    settings: () => DiscordSettings;
    botId: () => string | null;
    applicationId: () => string | null;
    logger: Logger;
    now?: () => number;
    timing?: Partial<DiscordSendTiming>;
  }) {
    this.rest = o.rest;
    this.settings = o.settings;
    this.botId = o.botId;
    this.applicationId = o.applicationId;
    this.logger = o.logger;
    this.now = o.now ?? Date.now;
    this.timing = { ...DEFAULT_SEND_TIMING, ...o.timing };
    this.typingIndicators = new TypingIndicators((channel) => this.postTyping(channel), this.timing.typingIntervalMs, this.timing.typingDelayMs);
  }

  /** A message was received (or sent) in `channelId`: it raises the conversation's floor. */
  noteSeen(channelId: string, messageId: string): void {
    if (!/^\d{1,20}$/.test(messageId)) return;
    this.newest.set(channelId, newerId(this.newest.get(channelId), messageId));
  }

  /** A slash command in `channelId` was acked as deferred: the reply to `interactionId` fills in its response. */
  interactionPending(interactionId: string, token: string, channelId: string): void {
    const now = this.now();
    for (const [id, p] of this.interactions) if (now - p.at > this.timing.interactionTtlMs) this.interactions.delete(id);
    this.interactions.set(interactionId, { token, channelId, at: now });
  }

  /** The floor of a send to `msg.target`: the newest message's time there, at least `prior`. */
  sendFloor(msg: OutboundMessage, prior: number | null): number | null {
    const seen = snowflakeTime(this.newest.get(msg.target));
    const floor = Math.max(prior ?? -Infinity, seen ?? -Infinity);
    return Number.isFinite(floor) ? floor : this.now() - CLOCK_MARGIN_MS;
  }

  /** "typing…" in `target` while runs for it go on; failures are only logged. */
  typing(target: string, active: boolean): void {
    this.typingIndicators.set(target, active);
  }

  /** Stops every typing indicator (the channel is stopping). */
  stop(): void {
    this.typingIndicators.clear();
  }

  /**
   * Sends the parts of `msg` not sent before (`skipParts`); each part's success goes to
   * `progress` before the next request is written. Throws ChannelRateLimitedError or a
   * PartialDeliveryError (permanent / inDoubt) as failures.ts decides.
   */
  async deliver(msg: OutboundMessage, signal: AbortSignal, progress?: DeliveryProgress): Promise<Delivered> {
    const parts = splitText(msg.text, chunkLimitOf(this.settings()));
    const skip = Math.max(0, msg.skipParts ?? 0);
    const mentions = allowedMentions(this.settings().allowMentions);
    const interaction = this.pendingInteraction(msg.replyTo);
    let first: string | undefined;
    let floor: number | undefined;
    let sent = 0;
    for (let i = skip; i < parts.length; i++) {
      try {
        let message: APIMessage;
        if (i === 0 && interaction) {
          // An edit: doing it again is harmless, so it needs no nonce.
          message = (await this.rest.patch(`/webhooks/${interaction.app}/${interaction.token}/messages/@original`, {
            body: { content: parts[i], allowed_mentions: mentions },
            auth: false,
            signal,
          })) as APIMessage;
          this.interactions.delete(msg.replyTo!);
        } else {
          const body: RESTPostAPIChannelMessageJSONBody = {
            content: parts[i],
            nonce: partNonce(msg.idempotencyKey, i),
            enforce_nonce: true,
            allowed_mentions: mentions,
          };
          // Only the first part is threaded; an interaction id is no message to thread under.
          if (i === 0 && msg.replyTo && !interaction && !this.interactions.has(msg.replyTo))
            body.message_reference = { message_id: msg.replyTo, fail_if_not_exists: false };
          message = (await this.rest.post(`/channels/${msg.target}/messages`, { body, signal })) as APIMessage;
        }
        this.noteSeen(msg.target, message.id);
        first ??= message.id;
        floor = snowflakeTime(message.id) ?? undefined;
        sent++;
        progress?.partSent(skip + sent, floor);
      } catch (err) {
        throw this.failure(err, { sent, skip, total: parts.length, part: i });
      }
    }
    return { ...(first !== undefined ? { platformMessageId: first } : {}), ...(floor !== undefined ? { floor } : {}) };
  }

  /** Settles a part in doubt by looking for it in the channel (doubt.ts). */
  async checkSent(doubt: SendInDoubt, signal: AbortSignal): Promise<SendCheck> {
    // A slash command's reply edits its response: doing that again cannot duplicate it.
    if (doubt.part === 0 && this.pendingInteraction(doubt.replyTo))
      return { sent: false, note: "an interaction's response is edited, not posted: safe to redo" };
    const found = await checkPartSent(doubt, {
      rest: this.rest,
      botId: this.botId(),
      chunkLimit: chunkLimitOf(this.settings()),
      timing: this.timing,
      now: this.now,
      signal,
    });
    if (found.sent) this.noteSeen(doubt.target, found.platformMessageId);
    return found;
  }

  /** The pending interaction `replyTo` names, while its token is good and the application is known. */
  private pendingInteraction(replyTo: string | null): { app: string; token: string } | null {
    const p = replyTo ? this.interactions.get(replyTo) : undefined;
    const app = this.applicationId();
    if (!p || !app || this.now() - p.at > this.timing.interactionTtlMs) return null;
    return { app, token: p.token };
  }

  private failure(err: unknown, o: { sent: number; skip: number; total: number; part: number }): Error {
    const f = classifySend(err);
    const done = `sent ${o.skip + o.sent} of ${o.total} part(s)`;
    if (f.kind === "rateLimited")
      return new ChannelRateLimitedError(`${done}; part ${o.part + 1}: Discord asked to wait (${f.detail})`, f.retryAfterMs, { partsSent: o.sent });
    const e = new Error(
      f.kind === "permanent"
        ? `Discord refuses every message to this conversation: ${f.reason} (${f.detail}); ${done}`
        : `${done}; part ${o.part + 1} failed: ${f.detail}`,
    ) as PartialDeliveryError;
    e.partsSent = o.sent;
    if (f.kind === "permanent") e.permanent = true;
    else e.inDoubt = f.inDoubt;
    return e;
  }

  private postTyping(channel: string): void {
    this.rest
      .post(`/channels/${channel}/typing`)
      .catch((err: unknown) => this.logger.debug({ channel, error: describeFailure(err) }, "discord typing indicator failed"));
  }
}
