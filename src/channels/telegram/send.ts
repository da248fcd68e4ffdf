/**
 * Delivery of one reply: split at the chunk limit on paragraph boundaries, each part rendered
 * as Telegram HTML (format.ts) and resent as plain text when Telegram refuses its entities, the
 * first part threaded under the message it answers. Telegram has no idempotency key, so the
 * core records that a send started before calling this (see Channel.idempotentDelivery): the
 * first request is written at once, with nothing awaited before it.
 */
import type { Api } from "grammy";
import type { Logger } from "pino";
import type { OutboundMessage, PartialDeliveryError } from "../channel.ts";
import { sig } from "./api.ts";
import { describeFailure, isEntityError } from "./failures.ts";
import { markdownToHtml } from "./format.ts";
import { splitText } from "./split.ts";

/** Sends one part; on "can't parse entities" the same part again as plain text. */
async function sendPart(api: Api, chatId: string, text: string, replyTo: string | null, signal: AbortSignal, logger: Logger): Promise<number> {
  const thread = replyTo && /^\d+$/.test(replyTo) ? { reply_parameters: { message_id: Number(replyTo), allow_sending_without_reply: true } } : {};
  try {
    return (await api.sendMessage(chatId, markdownToHtml(text), { parse_mode: "HTML", ...thread }, sig(signal))).message_id;
  } catch (err) {
    if (!isEntityError(err)) throw err;
    logger.warn({ chat: chatId, error: describeFailure(err) }, "telegram refused the formatting of a reply part; sending it as plain text");
    return (await api.sendMessage(chatId, text, thread, sig(signal))).message_id;
  }
}

/**
 * Sends every part of a reply not sent by an earlier attempt (`skipParts`). Returns the id of the
 * first part sent. Throws a PartialDeliveryError whose `partsSent` counts the parts this call
 * delivered before the failure, so the retry resumes after them.
 */
export async function sendReply(api: Api, m: OutboundMessage, o: { limit: number; signal: AbortSignal; logger: Logger; token: string }): Promise<{ platformMessageId?: string }> {
  const parts = splitText(m.text, o.limit);
  const skip = Math.max(0, m.skipParts ?? 0);
  let first: number | undefined;
  let sent = 0;
  for (let i = skip; i < parts.length; i++) {
    try {
      // Only the first part is threaded: the rest follow it directly.
      const id = await sendPart(api, m.target, parts[i]!, i === 0 ? m.replyTo : null, o.signal, o.logger);
      first ??= id;
      sent++;
    } catch (err) {
      // No `cause`: grammY's error carries the request payload (the user's text) into the logs.
      const e = new Error(`sent ${skip + sent} of ${parts.length} part(s); part ${i + 1} failed: ${describeFailure(err, o.token)}`) as PartialDeliveryError;
      e.partsSent = sent;
      throw e;
    }
  }
  return first === undefined ? {} : { platformMessageId: String(first) };
}
