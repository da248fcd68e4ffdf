/** Pairing codes for strangers who write to the bot directly (the policy itself is src/channels/pairing.ts). */
import type { Api } from "grammy";
import type { ChannelAccess } from "../channel.ts";
import type { Logger } from "pino";
import { sig } from "./api.ts";
import { setTimeout as sleep } from "node:timers/promises";
import { classify, describeFailure } from "./failures.ts";
import type { ChatPace } from "./pacing.ts";
import { pairingText, type PairingAsk } from "./inbound.ts";

export interface PairingCodeOptions {
  api: Api;
  token: string;
  access: ChannelAccess;
  logger: Logger;
  /** How often a stranger may be sent their code again. */
  resendMs: number;
  /** Each code message sent (its chat and message id). */
  sent(chatId: number, messageId: number): void;
  /** The pace of sends to a chat (pacing.ts): a code is a message like a reply. */
  pace(chat: string): ChatPace;
  /** Aborted when the channel stops. */
  stop: AbortSignal;
}

/** Flood waits a code goes through before it is given up (logged). */
const MAX_WAITS = 5;

/** Tells strangers how to get access: a new code at once, the same one again at most once per `resendMs`. */
export class PairingCodes {
  private readonly o: PairingCodeOptions;
  private readonly sentAt = new Map<string, number>();

  constructor(o: PairingCodeOptions) {
    this.o = o;
  }

  /** Sends `p` its code unless it had it recently; never throws (a failure is logged). */
  async answer(p: PairingAsk): Promise<void> {
    const log = this.o.logger;
    try {
      const r = this.o.access.requestPairing(p);
      const last = this.sentAt.get(p.sender);
      if (!r.isNew && last !== undefined && Date.now() - last < this.o.resendMs) return;
      this.sentAt.set(p.sender, Date.now());
      if (r.isNew)
        log.info(
          { sender: p.sender, name: p.senderName, code: r.code },
          "telegram: an unknown sender asked for access; approve with `onebrain pairing approve telegram CODE`",
        );
      const m = await this.send(p.peer, pairingText(r.code, p.sender));
      this.o.sent(m.chat.id, m.message_id);
    } catch (err) {
      if (this.o.stop.aborted) return;
      log.warn({ sender: p.sender, error: describeFailure(err, this.o.token) }, "telegram: could not send a pairing code");
    }
  }

  /** Sends one code message at the chat's pace, waiting out Telegram's 429s (a few at most). */
  private async send(chat: string, text: string): Promise<{ chat: { id: number }; message_id: number }> {
    const pace = this.o.pace(chat);
    for (let waits = 0; ; waits++) {
      const wait = pace.delayMs();
      if (wait > 0) await sleep(wait, undefined, { signal: this.o.stop });
      pace.take();
      try {
        return await this.o.api.sendMessage(chat, text, {}, sig(AbortSignal.any([AbortSignal.timeout(15_000), this.o.stop])));
      } catch (err) {
        const v = classify(err, "sendMessage");
        if (v.kind !== "retry" || v.retryAfterMs === undefined || waits >= MAX_WAITS) throw err;
        pace.block(v.retryAfterMs);
      }
    }
  }
}
