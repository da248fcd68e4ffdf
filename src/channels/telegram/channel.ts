/**
 * The Telegram channel: long polling of the Bot API through grammY's `Api`.
 *
 * 1. The credential lease first (src/lock/lease.ts): one poller per bot token on the whole
 *    host. Without it the channel does not poll; its state names the holder, and it tries again
 *    every ~30 s so that a stopped holder lets this one take over.
 * 2. `getMe` (the bot's username, for mentions), `deleteWebhook` once (a webhook blocks polling).
 * 3. `getUpdates` from the committed cursor; each batch goes to `ctx.ingest` with the cursor
 *    `last update_id + 1`, which commits messages and offset in one transaction. Only then is
 *    the next getUpdates sent with that offset, which is what confirms the batch to Telegram.
 *    A crash before the commit gets the batch again (the core drops what it already has); a
 *    crash after it never does. The cursor also keeps the newest message id seen (ids.ts), and is
 *    handed over with the lease, so a standby that takes over starts from it. Update ids that
 *    restart below the offset are detected and the offset re-based (offset.ts).
 * 4. Replies (send.ts) go out one part at a time; a part in doubt after a crash or without an
 *    answer is looked for on Telegram before it is sent again (doubt.ts).
 * Failures (failures.ts): network and 5xx back off with jitter, 429 waits `retry_after`, 409
 * retries slowly, 401 stops the channel. The rest of the gateway never notices.
 */
import type { Api } from "grammy";
import type { Update, UserFromGetMe } from "grammy/types";
import { acquireCredentialLease, describeLeaseHolder, type LeaseHolder, type LeaseResult } from "../../lock/lease.ts";
import type { Channel, ChannelContext, ChannelState, Delivered, DeliveryProgress, OutboundMessage, SendCheck, SendInDoubt } from "../channel.ts";
import { telegramBotId } from "./credential.ts";
import { createApi } from "./api.ts";
import { backoffMs, classify, CONFLICT_DETAIL, describeFailure, jittered } from "./failures.ts";
import { pause } from "../../shared/backoff.ts";
import { KnownIds } from "./ids.ts";
import { decideUpdates } from "./inbound.ts";
import { restartNote, UpdateOffset } from "./offset.ts";
import { TelegramOutbound } from "./outbound.ts";
import { chatPace } from "./pacing.ts";
import { PairingCodes } from "./pairing-codes.ts";
import { postMethod, warmConnection } from "./post.ts";
import { DEFAULT_TIMING, type TelegramSettings, type TelegramTiming } from "./settings.ts";
import { TypingIndicators } from "../typing.ts";

export const TELEGRAM = "telegram";
/** The longest getUpdates answer read: 100 updates of 4096-character messages with their entities fit. */
const MAX_BATCH = 32 * 1024 * 1024;

export interface TelegramChannelOptions {
  token: string;
  settings: () => TelegramSettings;
  /** Who this brain is, recorded with the lease so that a loser can name the holder. */
  holder: Omit<LeaseHolder, "pid">;
  /** For the lease directory (`ONEBRAIN_LEASE_DIR`). */
  env?: NodeJS.ProcessEnv;
  acquireLease?: typeof acquireCredentialLease;
  timing?: Partial<TelegramTiming>;
  random?: () => number;
}

type Lease = Extract<LeaseResult, { ok: true }>;

/** The Telegram channel of one bot token. */
export class TelegramChannel implements Channel {
  readonly id = TELEGRAM;
  /** The bot's numeric id (the token's prefix): public, stable when the token is rotated. */
  readonly account: string;
  readonly idempotentDelivery = false;
  readonly api: Api;
  private readonly o: TelegramChannelOptions;
  private readonly t: TelegramTiming;
  private readonly random: () => number;
  private readonly stopper = new AbortController();
  private ctx: ChannelContext | undefined;
  private loop: Promise<void> | undefined;
  private lease: Lease | null = null;
  private me: { id: number; username: string } | null = null;
  private webhookCleared = false;
  /** The next update_id to ask for (the committed cursor), and update ids restarting below it (offset.ts). */
  private readonly offset = new UpdateOffset(null);
  /** Said in the connected state once update ids restarted below the offset. */
  private note: string | undefined;
  private state: ChannelState = { state: "stopped" };
  private attempt = 0;
  private method = "getMe";
  private readonly typingChats: TypingIndicators;
  private codes: PairingCodes | undefined;
  /** Replies, their pace and the looks for parts in doubt (outbound.ts). */
  private readonly out: TelegramOutbound;
  /** The newest message id seen in each id counter (ids.ts): floors and horizons for sends in doubt. */
  private readonly ids = new KnownIds();
  /** Resolves once a poll found no more waiting updates: every id handed out before this start is known. */
  private readonly caughtUp: Promise<void>;
  private markCaughtUp = () => {};

  constructor(o: TelegramChannelOptions) {
    this.o = o;
    this.t = { ...DEFAULT_TIMING, ...o.timing };
    this.random = o.random ?? Math.random;
    this.account = telegramBotId(o.token) ?? "default";
    const s = o.settings();
    // grammY's own timeout is a backstop; each call below has a tighter one.
    this.api = createApi(o.token, { apiRoot: s.apiRoot, timeoutSeconds: s.pollTimeoutSeconds + 30 });
    this.caughtUp = new Promise((resolve) => (this.markCaughtUp = resolve));
    this.out = new TelegramOutbound({
      token: o.token,
      settings: o.settings,
      timing: this.t,
      ids: this.ids,
      caughtUp: this.caughtUp,
      stop: this.stopper.signal,
    });
    this.typingChats = new TypingIndicators((chat) => {
      if (this.state.state === "failed" || this.stopper.signal.aborted) return;
      this.out.typing(this.api, chat, this.ctx?.logger);
    }, this.t.typingIntervalMs);
  }

  /** The last reported state. */
  status(): ChannelState {
    return this.state;
  }

  async start(ctx: ChannelContext): Promise<void> {
    this.ctx = ctx;
    if (ctx.signal.aborted) this.stopper.abort();
    else ctx.signal.addEventListener("abort", () => this.stopper.abort(), { once: true });
    this.offset.value = this.ids.restore(ctx.cursor());
    if (ctx.access)
      this.codes = new PairingCodes({
        api: this.api,
        token: this.o.token,
        access: ctx.access,
        logger: ctx.logger,
        resendMs: this.t.codeResendMs,
        pace: (chat) => chatPace(this.out.pacer, this.out.moves.where(chat), this.t.pace),
        stop: this.stopper.signal,
        sent: (chat, id) => this.ids.note(chat, id),
      });
    this.setState({ state: "starting" });
    // Runs in the background: the gateway does not wait for Telegram to answer.
    this.loop = this.run().catch((err) => {
      ctx.logger.error({ err: describeFailure(err, this.o.token) }, "telegram poll loop ended unexpectedly");
      this.setState({ state: "failed", reason: `the poll loop stopped: ${describeFailure(err, this.o.token)}` });
    });
  }

  /** Before a send is recorded as started: an idle connection to write it on (post.ts). */
  prepareSend(signal: AbortSignal): Promise<void> {
    return warmConnection(this.o.settings().apiRoot, this.o.token, signal);
  }

  // Not async: the first request must be written before anything is awaited (see post.ts).
  deliver(m: OutboundMessage, signal: AbortSignal, progress?: DeliveryProgress): Promise<Delivered> {
    if (!this.ctx) return Promise.reject(new Error("the telegram channel is not started"));
    return this.out.deliver(m, signal, this.ctx.logger, progress);
  }

  /** How long until the next send to `target` keeps under Telegram's limits (pacing.ts). */
  sendDelayMs(target: string): number {
    return this.out.delayMs(target);
  }

  /** The newest id known in the chat's counter: above every earlier message of ours there (ids.ts). */
  sendFloor(m: OutboundMessage, prior: number | null): number | null {
    return this.out.floor(m, prior);
  }

  /** Looks for a part in doubt above its floor (doubt.ts), once every id handed out before this start is known. */
  checkSent(d: SendInDoubt, signal: AbortSignal): Promise<SendCheck> {
    return this.out.check(d, signal, this.ctx?.logger);
  }

  /** "typing…" in the chat while a run for it is going (typing.ts). */
  typing(target: string, active: boolean): void {
    this.typingChats.set(target, active);
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await this.loop;
    this.typingChats.clear();
    this.dropLease();
    this.setState({ state: "stopped" });
  }

  private setState(s: ChannelState): void {
    this.state = s;
    this.ctx?.setState(s);
  }

  private async run(): Promise<void> {
    const signal = this.stopper.signal;
    const log = this.ctx!.logger;
    while (!signal.aborted) {
      if (!this.lease && !this.takeLease()) {
        await this.sleep(jittered(this.t.leaseRecheckMs, this.random));
        continue;
      }
      try {
        await this.pollOnce(signal);
        this.attempt = 0;
      } catch (err) {
        if (signal.aborted) break;
        const v = classify(err, this.method, this.o.token);
        if (v.kind === "unauthorized") {
          log.error({ method: this.method, error: describeFailure(err, this.o.token) }, "telegram refused the bot token; the channel stops (no retries)");
          this.setState({ state: "failed", reason: v.reason });
          this.dropLease();
          return;
        }
        if (v.kind === "conflict" && v.webhook) {
          // Someone set a webhook since our deleteWebhook: delete it again, soon.
          this.webhookCleared = false;
          log.warn({ error: v.description }, "a webhook is set on this bot; deleting it to poll");
        }
        if (v.kind === "conflict" && !v.webhook) {
          const delay = jittered(this.t.conflictRetryMs, this.random);
          if (this.state.state !== "conflict") log.warn({ retryInMs: delay, error: v.description }, `telegram: ${CONFLICT_DETAIL}`);
          this.setState({ state: "conflict", detail: CONFLICT_DETAIL });
          await this.sleep(delay);
          continue;
        }
        this.attempt++;
        const delay =
          v.kind === "retry" && v.retryAfterMs !== undefined
            ? v.retryAfterMs
            : backoffMs(this.attempt, { baseMs: this.t.backoffBaseMs, maxMs: this.t.backoffMaxMs, random: this.random });
        const lastError = `${this.method}: ${v.kind === "retry" ? v.error : v.description}`;
        log.warn({ method: this.method, attempt: this.attempt, retryInMs: delay, error: lastError }, "telegram call failed; reconnecting");
        this.setState({ state: "reconnecting", attempt: this.attempt, nextAttemptAt: Date.now() + delay, lastError });
        await this.sleep(delay);
      }
    }
  }

  /** One step: identify the bot and clear a webhook if not done yet, then one getUpdates and its batch. */
  private async pollOnce(signal: AbortSignal): Promise<void> {
    const settings = this.o.settings();
    // Our own client, not grammY's: an answer that is not JSON keeps its status and Retry-After (post.ts).
    const bot = <T>(method: string, payload: Record<string, unknown>, s: AbortSignal, max?: number) =>
      postMethod<T>(settings.apiRoot, this.o.token, method, payload, s, max);
    if (!this.me) {
      const me = await this.call("getMe", this.t.callSlackMs, signal, (s) => bot<UserFromGetMe>("getMe", {}, s));
      this.me = { id: me.id, username: me.username };
    }
    if (!this.webhookCleared) {
      await this.call("deleteWebhook", this.t.callSlackMs, signal, (s) => bot("deleteWebhook", { drop_pending_updates: false }, s));
      this.webhookCleared = true;
    }
    // After a start or a network failure, a short poll first: the state turns to connected at once,
    // not after a long poll. After a 409, a long one: only a poll that another poller did not cut
    // short proves that the other one is gone (else the state would flap with each retry).
    const timeout = this.state.state === "starting" || this.state.state === "reconnecting" ? 0 : settings.pollTimeoutSeconds;
    const params = { ...(this.offset.value !== null ? { offset: this.offset.value } : {}), timeout, allowed_updates: ["message" as const] };
    const polledAt = Date.now();
    const updates: Update[] = await this.call("getUpdates", timeout * 1000 + this.t.callSlackMs, signal, (s) =>
      bot<Update[]>("getUpdates", params, s, MAX_BATCH),
    );
    if (this.state.state !== "connected") {
      this.setState({ state: "connected", since: Date.now(), ...(this.note ? { detail: this.note } : {}) });
      this.ctx!.logger.info({ bot: `@${this.me.username}`, account: this.account }, "telegram connected (long polling)");
    }
    for (const u of updates) {
      if (!u.message) continue;
      this.ids.note(u.message.chat.id, u.message.message_id);
      if (u.message.migrate_to_chat_id) this.out.moved(String(u.message.chat.id), String(u.message.migrate_to_chat_id), this.ctx!.logger);
    }
    const v = this.offset.judge(updates);
    if (v.kind === "nothing-new") {
      if (!updates.length) this.markCaughtUp();
      // A long poll that came back at once with nothing new is never repeated at once: no tight loop.
      const early = this.t.idlePollMinMs - (Date.now() - polledAt);
      if (timeout > 0 && early > 0) await this.sleep(early);
      return;
    }
    if (v.restartedFrom !== undefined) this.restarted(v.restartedFrom, v.next);
    const next = v.next;
    const d = decideUpdates(v.updates, { me: this.me, settings, access: this.ctx!.access });
    this.method = "ingest";
    const cursor = this.ids.cursor(next);
    await this.ctx!.ingest({ messages: d.messages, cursor });
    // At once, before the poll that confirms the batch: a standby that takes over starts here.
    this.lease?.handOver(cursor);
    this.offset.commit(next);
    // A full batch may have more behind it.
    if (updates.length < 100) this.markCaughtUp();
    for (const p of d.pairing) void this.codes?.answer(p);
  }

  /** Update ids restarted below the offset (offset.ts): said in the log and in the connected state. */
  private restarted(from: number, to: number): void {
    this.note = restartNote(from, to, new Date());
    this.ctx!.logger.warn(
      { from, to },
      "telegram update ids restarted below the saved offset; re-based the offset (messages are deduplicated by chat and message id, so none is answered twice)",
    );
    if (this.state.state === "connected") this.setState({ ...this.state, detail: this.note });
  }

  /** A Bot API call with its own deadline, aborted at once when the channel stops. */
  private async call<T>(method: string, ms: number, stop: AbortSignal, fn: (s: AbortSignal) => Promise<T>): Promise<T> {
    this.method = method;
    const ac = new AbortController();
    const onStop = () => ac.abort();
    stop.addEventListener("abort", onStop, { once: true });
    const timer = setTimeout(() => ac.abort(), ms);
    try {
      return await fn(ac.signal);
    } catch (err) {
      if (ac.signal.aborted && !stop.aborted) throw new Error(`no answer within ${Math.round(ms / 1000)} s`);
      throw err;
    } finally {
      clearTimeout(timer);
      stop.removeEventListener("abort", onStop);
    }
  }

  /** Takes the host-wide lease of the token; false (and state conflict naming the holder) when another brain has it. */
  private takeLease(): boolean {
    const r = (this.o.acquireLease ?? acquireCredentialLease)({
      kind: TELEGRAM,
      secret: this.o.token,
      holder: this.o.holder,
      ...(this.o.env ? { env: this.o.env } : {}),
    });
    if (r.ok) {
      if (this.state.state === "conflict") this.ctx!.logger.info("telegram: the token's lease is free again; this gateway polls now");
      this.lease = r;
      // Another brain may have stored updates below its offset without confirming them yet.
      const own = this.offset.value;
      if (this.offset.adopt(this.ids.restore(r.handedOver)))
        this.ctx!.logger.info({ own, handedOver: this.offset.value }, "telegram starts from the update offset handed over with the token's lease");
      this.setState({ state: "starting" });
      return true;
    }
    const detail = r.holder ? `token in use by ${describeLeaseHolder(r.holder)}` : `token lease: ${r.reason}`;
    if (this.state.state !== "conflict" || this.state.detail !== detail) {
      this.ctx!.logger.warn({ lease: r.key, holder: r.holder }, `telegram does not poll: ${detail}`);
      this.setState({ state: "conflict", detail });
    }
    return false;
  }

  private dropLease(): void {
    this.lease?.release();
    this.lease = null;
  }

  /** Waits `ms`, or less if the channel stops. */
  private sleep(ms: number): Promise<void> {
    return pause(ms, this.stopper.signal);
  }
}
