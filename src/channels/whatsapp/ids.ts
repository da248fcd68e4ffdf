/**
 * The ids of the messages this gateway sends. WhatsApp takes a message id from the sender; ours is
 * `3EB0` and 18 hex digits (WhatsApp Web's form): 10 made from the reply's outbox key and part, so
 * a part sent again after a lost answer or a crash carries the same id (WhatsApp's clients take
 * it as one message), and 8 that sign those 10 with a secret of the linked device. Any id can thus
 * be recognised as ours without a lookup, after a restart as much as before: the echo of a reply
 * in the self-chat is never a run, even when the process that sent it is gone.
 */
import crypto from "node:crypto";

export class MessageIds {
  private readonly secret: Buffer;

  /** `secret`: a value of the linked device that never leaves it (Baileys' creds.advSecretKey). */
  constructor(secret: string) {
    this.secret = crypto.createHash("sha256").update(`onebrain whatsapp message ids\u0000${secret}`).digest();
  }

  /** The id of part `part` of the message with outbox key `key`. */
  idFor(key: string, part: number): string {
    const body = crypto.createHash("sha256").update(`${key}\u0000${part}`).digest("hex").slice(0, 10).toUpperCase();
    return `3EB0${body}${this.tag(body)}`;
  }

  /** True when `id` is one this device made. */
  ours(id: string): boolean {
    if (!/^3EB0[0-9A-F]{18}$/.test(id)) return false;
    const body = id.slice(4, 14);
    return crypto.timingSafeEqual(Buffer.from(this.tag(body)), Buffer.from(id.slice(14)));
  }

  private tag(body: string): string {
    return crypto.createHmac("sha256", this.secret).update(body).digest("hex").slice(0, 8).toUpperCase();
  }
}
