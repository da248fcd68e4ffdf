/**
 * The channel's sending side: replies (send.ts) at the pace Telegram allows (pacing.ts), to the
 * chat a conversation lives in now (migrations.ts), with each part's id noted (ids.ts), and the
 * look for a part in doubt (doubt.ts). The poll loop (channel.ts) shares the known ids with it.
 */
import type { Api } from "grammy";
import type { Logger } from "pino";
import { sig } from "./api.ts";
import { classify, describeFailure } from "./failures.ts";
import type { Delivered, DeliveryProgress, OutboundMessage, SendCheck, SendInDoubt } from "../channel.ts";
import { SendPacer } from "../pacer.ts";
import { checkPartSent } from "./doubt.ts";
import { messageIdOf, type KnownIds } from "./ids.ts";
import { ChatMoves, migratedTo } from "./migrations.ts";
import { actionPace, chatPace } from "./pacing.ts";
import { sendReply } from "./send.ts";
import type { TelegramSettings, TelegramTiming } from "./settings.ts";

export interface OutboundOptions {
  token: string;
  settings: () => TelegramSettings;
  timing: TelegramTiming;
  /** The newest message id known per counter, shared with the poll loop. */
  ids: KnownIds;
  /** Resolves once every id handed out before this start is known. */
  caughtUp: Promise<void>;
  /** Aborted when the channel stops. */
  stop: AbortSignal;
}

/** Replies of one bot, and the looks for its parts in doubt. */
export class TelegramOutbound {
  /** The pace of sends under Telegram's limits (pacing.ts). */
  readonly pacer = new SendPacer();
  readonly moves = new ChatMoves();
  private readonly o: OutboundOptions;

  constructor(o: OutboundOptions) {
    this.o = o;
  }

  /** Notes a group's move to a supergroup (from a refusal or the service message); logs news. */
  moved(from: string, to: string, logger: Logger | undefined): boolean {
    if (!this.moves.note(from, to)) return false;
    logger?.info({ from, to }, "telegram: the group was upgraded to a supergroup; its replies go to the new chat id");
    return true;
  }

  // Not async: the first request must be written before anything is awaited (see post.ts).
  deliver(m: OutboundMessage, signal: AbortSignal, logger: Logger, progress?: DeliveryProgress): Promise<Delivered> {
    const chat = this.moves.where(m.target);
    const onPart = (n: number, id: number) => {
      this.o.ids.note(chat, id);
      progress?.partSent(n, this.o.ids.newestIn(chat));
    };
    const s = this.o.settings();
    const sent = sendReply({ apiRoot: s.apiRoot, token: this.o.token }, chat === m.target ? m : { ...m, target: chat }, {
      limit: s.textChunkLimit,
      signal,
      logger,
      pace: chatPace(this.pacer, chat, this.o.timing.pace),
      onPart,
      onMoved: (to) => this.moved(chat, to, logger),
    });
    return sent.then((r) => ({ ...r, floor: this.o.ids.newestIn(chat) }));
  }

  /**
   * One "typing…" in `chat`, unless the chat must wait now (a 429 blocks it, or its window is
   * full): then this tick is skipped and the next one tries again. A 429 blocks the chat for
   * its retry_after, so the replies wait it out too.
   */
  typing(api: Api, chat: string, logger: Logger | undefined): void {
    const to = this.moves.where(chat);
    const pace = actionPace(this.pacer, to, this.o.timing.pace);
    if (pace.delayMs() > 0) return;
    pace.take();
    api.sendChatAction(to, "typing", {}, sig(AbortSignal.timeout(10_000))).catch((err: unknown) => {
      const v = classify(err, "sendChatAction");
      if (v.kind === "retry" && v.retryAfterMs !== undefined) pace.block(v.retryAfterMs);
      logger?.debug({ chat: to, error: describeFailure(err, this.o.token) }, "telegram typing indicator failed");
    });
  }

  /** How long until the next send to `target` keeps under Telegram's limits. */
  delayMs(target: string): number {
    return chatPace(this.pacer, this.moves.where(target), this.o.timing.pace).delayMs();
  }

  /** The newest id known in the chat's counter: above every earlier message of ours there (ids.ts). */
  floor(m: OutboundMessage, prior: number | null): number | null {
    const chat = this.moves.where(m.target);
    // A moved conversation's earlier floors and the message it answers count in the old chat's ids.
    if (chat !== m.target) return this.o.ids.newestIn(chat);
    return Math.max(this.o.ids.newestIn(chat), prior ?? 0, messageIdOf(m.replyTo)) || null;
  }

  /** Looks for a part in doubt above its floor (doubt.ts), in the chat the conversation lives in now. */
  async check(d: SendInDoubt, signal: AbortSignal, logger: Logger | undefined): Promise<SendCheck> {
    const s = this.o.settings();
    const t = this.o.timing;
    const c = { apiRoot: s.apiRoot, token: this.o.token, chunkLimit: s.textChunkLimit, ids: this.o.ids, caughtUp: this.o.caughtUp };
    const timing = { settleMs: t.doubtSettleMs, lifeMs: t.doubtLifeMs, rescanMs: t.doubtRescanMs };
    const chat = this.moves.where(d.target);
    try {
      return await checkPartSent({ ...d, target: chat }, { ...c, ...timing }, AbortSignal.any([signal, this.o.stop]));
    } catch (err) {
      // The old chat of a group moved meanwhile (learned only now, e.g. after a restart): look in the new one.
      const to = migratedTo(err);
      if (to !== null && this.moved(chat, to, logger)) return this.check(d, signal, logger);
      throw err;
    }
  }
}
