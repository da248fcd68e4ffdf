/** Pairing codes for strangers who write to the bot directly (the policy itself is src/channels/pairing.ts). */
import type { Api } from "grammy";
import type { ChannelAccess } from "../channel.ts";
import type { Logger } from "pino";
import { sig } from "./api.ts";
import { describeFailure } from "./failures.ts";
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
}

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
      const m = await this.o.api.sendMessage(p.peer, pairingText(r.code, p.sender), {}, sig(AbortSignal.timeout(15_000)));
      this.o.sent(m.chat.id, m.message_id);
    } catch (err) {
      log.warn({ sender: p.sender, error: describeFailure(err, this.o.token) }, "telegram: could not send a pairing code");
    }
  }
}
