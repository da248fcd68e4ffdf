/**
 * The channel interface: how a chat platform (WebChat, Telegram, Discord, Slack) meets the brain.
 *
 * A channel only RECEIVES, ACKNOWLEDGES and DELIVERS. Everything that makes replies exactly-once
 * lives in the core (src/brain/), never in a channel:
 *   - dedupe: the core stores each inbound message under UNIQUE(channel, account, messageId);
 *     a redelivered message is dropped there, however often the platform sends it;
 *   - cursors: a platform offset (e.g. Telegram's update_id) is committed in the same SQLite
 *     transaction as the messages it covers, so a crash never replays answered messages and never
 *     skips unanswered ones;
 *   - ordering: one run at a time per session, in arrival order;
 *   - outbox: each reply is written (with an idempotency key) before it is delivered and marked
 *     delivered after; after a crash, pending replies are delivered again, never regenerated.
 *
 * So a channel must: call `ctx.ingest()` and acknowledge to the platform only after it resolves;
 * resume from `ctx.cursor()`; make `deliver()` idempotent by `idempotencyKey` where the platform
 * allows (and say so in `idempotentDelivery`); report its state truthfully with `ctx.setState()`.
 */
import type { Logger } from "pino";
import { OnebrainError } from "../shared/errors.ts";

/** One message received from the platform. */
export interface InboundMessage {
  /** The platform's id for this message, unique per channel account: the dedupe key. */
  messageId: string;
  /** dm: a direct chat with one person; group: a group, channel or thread. */
  kind: "dm" | "group";
  /** The conversation: the person (dm) or the group id; replies go here. */
  peer: string;
  /** Who wrote it (platform user id or name), for the transcript and access control. */
  sender: string;
  text: string;
  /** The platform id to thread the reply to; usually `messageId`. */
  replyTo?: string;
  /**
   * A direct message from an allowed sender who is not the owner (approved through pairing, or let
   * in by an open policy): routed by `session.pairedDmScope`, so it never lands in the owner's session.
   */
  guest?: boolean;
  /**
   * True when the sender is the owner of this channel (Telegram: on `allowFrom` by id or
   * @username; WebChat: the operator, authenticated to the gateway). Only an owner may answer an
   * exec approval from a chat (`/approve`), and only in the conversation that asked.
   */
  owner?: boolean;
}

/** What a channel hands to the core in one go: messages and the cursor that covers them. */
export interface InboundBatch {
  messages: InboundMessage[];
  /** The platform position after these messages (committed atomically with them). */
  cursor?: string;
  /**
   * The platform has already acknowledged these messages (WhatsApp: Baileys sends the delivery
   * receipt before it hands them over) and will not send them again: commit them before `ingest`
   * returns, instead of with the next group, so a crash after it cannot lose them.
   */
  urgent?: boolean;
}

/** The core's answer to ingest: which messages were new and which were duplicates. */
export interface IngestResult {
  accepted: number;
  duplicates: number;
}

/** One reply to deliver. */
export interface OutboundMessage {
  /** Stable across redeliveries of the same reply; platforms that support it dedupe on it. */
  idempotencyKey: string;
  /** The conversation (the inbound `peer`). */
  target: string;
  /** The platform message to thread under, if any. */
  replyTo: string | null;
  text: string;
  /** Parts of a long reply an earlier attempt already delivered: send only the rest. */
  skipParts?: number;
}

/** How a multi-part delivery reports each part that went out (the core records it at once). */
export interface DeliveryProgress {
  /**
   * `partsSent` parts of the reply (counting earlier attempts' skipped ones) are now delivered;
   * `floor` is the conversation's new floor (see Channel.sendFloor), recorded for the next part.
   */
  partSent(partsSent: number, floor?: number): void;
}

/** What a delivery reports: the platform's id of the (first part of the) reply, and the floor after its last part. */
export interface Delivered {
  platformMessageId?: string;
  floor?: number;
}

/**
 * A delivery that failed after some parts of a long reply went out: the retry skips those.
 * `inDoubt`: the request of the failing part was written and no answer came (a network error, a
 * timeout), so the platform may have it; the core asks `checkSent` before sending it again.
 * `permanent`: the platform refuses this conversation for good (the user blocked the bot, the
 * chat is gone): every retry would be refused the same way, so the core fails the reply at once,
 * with the error's message (which says why, in words) as its reason.
 */
export interface PartialDeliveryError extends Error {
  partsSent: number;
  inDoubt?: boolean;
  permanent?: boolean;
}

/**
 * The platform asked to wait before the next send (Telegram: 429 with `retry_after`; HTTP:
 * Retry-After), or the channel's own pacing defers the rest of a long reply. The core waits
 * `retryAfterMs` before the reply's next attempt and does not count this one against its attempt
 * cap (a flood that lasts longer than the cap's backoff must not fail the reply). Never in doubt:
 * an answer came. `partsSent` counts the parts this call delivered, as in PartialDeliveryError.
 */
export class ChannelRateLimitedError extends OnebrainError implements PartialDeliveryError {
  readonly retryAfterMs: number;
  readonly partsSent: number;
  /** `paced`: the channel itself defers the rest (its pacing, or a conversation that moved: sent again there at once), not the platform (logged quieter). */
  constructor(message: string, retryAfterMs: number, o: { partsSent?: number; paced?: boolean } = {}) {
    const partsSent = o.partsSent ?? 0;
    super("CHANNEL_RATE_LIMITED", message, { details: { retryAfterMs, partsSent, paced: o.paced === true } });
    this.name = "ChannelRateLimitedError";
    this.retryAfterMs = retryAfterMs;
    this.partsSent = partsSent;
  }
}

/** A part of a reply whose send was under way when the gateway stopped, or got no answer. */
export interface SendInDoubt {
  /** The reply's idempotency key (platforms that store it with a message, as Slack's metadata, are searched for it). */
  idempotencyKey: string;
  target: string;
  replyTo: string | null;
  /** The whole reply; `part` (0-based) is the part in doubt. */
  text: string;
  part: number;
  /** The floor recorded when that part's send started (null: the channel gave none). */
  floor: number | null;
  /** When that send started (epoch ms, real time). */
  startedAt: number;
}

/** The platform's answer about a part in doubt. */
export type SendCheck = { sent: true; platformMessageId: string; floor?: number } | { sent: false; note?: string };

/** Who may reach the agent through a channel (src/channels/pairing.ts implements it over the store). */
export interface ChannelAccess {
  /** True when the sender is allowed (config allow list, approved pairing, or an open policy). */
  isAllowed(sender: string, senderName?: string): boolean;
  /** True when the sender is the owner: listed in the channel's allow list by id or @username (`*` makes nobody the owner). */
  isOwner(sender: string, senderName?: string): boolean;
  /** A pairing code for an unknown sender (the same one while it is valid); `isNew` when just made. */
  requestPairing(p: { sender: string; senderName?: string; peer: string }): { code: string; isNew: boolean };
}

/** A channel's state, shown by `channels status`, the console and readiness. */
export type ChannelState =
  | { state: "starting" }
  | { state: "connected"; since: number; detail?: string }
  /**
   * Serving in a reduced way the operator should know of: connected with a limit (Discord's Message
   * Content intent refused: mentions only), or the platform connection failing again and again while
   * the channel keeps trying; `detail` says what and what to do. `/readyz` stays ready.
   */
  | { state: "degraded"; since: number; detail: string }
  | { state: "reconnecting"; attempt: number; nextAttemptAt: number; lastError: string }
  | { state: "conflict"; detail: string }
  /** Stopped until the operator acts; `code` names the error of the registry when there is one (WHATSAPP_LOGGED_OUT). */
  | { state: "failed"; reason: string; code?: string }
  /** Not running; `detail` says why when it is not the gateway stopping (an unlinked device). */
  | { state: "stopped"; detail?: string };

/** What the core gives a channel when it starts it. */
export interface ChannelContext {
  /** Makes the batch durable (messages + cursor in one transaction). Acknowledge to the platform only after this resolves. */
  ingest(batch: InboundBatch): Promise<IngestResult>;
  /** The last committed cursor for this channel account, or null for a fresh start. */
  cursor(): string | null;
  setState(state: ChannelState): void;
  logger: Logger;
  /** Aborted when the gateway stops or the channel is restarted. */
  signal: AbortSignal;
  /** Access control for channels whose senders are strangers by default (Telegram); absent for WebChat. */
  access?: ChannelAccess;
}

/** The interface every channel implements (a contract test suite in test/channels/ checks it). */
export interface Channel {
  /** The channel id: "webchat", "telegram", ... */
  readonly id: string;
  /** Which account of the platform (bot token, workspace) this instance serves. */
  readonly account: string;
  /**
   * True when `deliver` is idempotent by `idempotencyKey`, so redelivery after a crash cannot
   * duplicate a reply. When false (Telegram has no idempotency key), the core records durably
   * that a send started just before calling `deliver` (with `sendFloor`), and after a crash asks
   * `checkSent` whether the part in flight arrived, instead of sending it twice: `deliver` must
   * therefore start its network write at once, with nothing to wait for before it.
   */
  readonly idempotentDelivery: boolean;
  /** Starts receiving; resolves once the channel is running (it keeps running in the background). */
  start(ctx: ChannelContext): Promise<void>;
  /**
   * Sends one reply; throws on failure (the core retries with backoff), a PartialDeliveryError when
   * some parts went out or the platform refuses the conversation for good (`permanent`: not retried).
   */
  deliver(message: OutboundMessage, signal: AbortSignal, progress?: DeliveryProgress): Promise<Delivered>;
  /**
   * For channels without idempotent delivery: the newest platform message id known in the
   * conversation right now (at least `prior`, the floor recorded by the conversation's earlier
   * sends), committed with the send's start. Synchronous: it runs between that commit's
   * preparation and the send. Any message of ours found above it later can only be this send.
   */
  sendFloor?(message: OutboundMessage, prior: number | null): number | null;
  /**
   * For channels without idempotent delivery: asks the platform whether a part in doubt arrived.
   * Without it, such a part is taken as delivered (never sent twice, possibly lost). Throws when
   * the platform cannot tell now (the core retries with backoff; nothing else is sent to that
   * conversation meanwhile, so the answer stays unambiguous).
   */
  checkSent?(doubt: SendInDoubt, signal: AbortSignal): Promise<SendCheck>;
  /**
   * For channels without idempotent delivery: called before a send is recorded as started, to
   * get everything that takes time (e.g. a connection) out of the way, so that `deliver` then
   * writes at once. May throw (the delivery counts as failed and is retried).
   */
  prepareSend?(signal: AbortSignal): Promise<void>;
  /**
   * For channels that pace their sends under the platform's limits: how long (ms) until a send
   * to `target` may start (0: now). The core keeps the conversation's replies back meanwhile
   * (in order) and goes on with other conversations; `deliver` then takes the slot.
   */
  sendDelayMs?(target: string): number;
  /**
   * Live facts about the platform connection for `channels status` (e.g. Discord: the Gateway
   * session's age, the last heartbeat's round trip, resumes and fresh sessions so far). Never a secret.
   */
  health?(): Record<string, string | number | boolean | null>;
  /** A run for `target` started (true) or ended (false): e.g. a typing indicator meanwhile. */
  typing?(target: string, active: boolean): void;
  /** Stops receiving and releases what it holds (leases, sockets). */
  stop(): Promise<void>;
}
