/**
 * Delivery of one reply: split at the chunk limit on paragraph boundaries, each part rendered
 * as Telegram HTML (format.ts) and resent as plain text when Telegram refuses its entities, the
 * first part threaded under the message it answers. Telegram has no idempotency key, so the
 * core records that a send started before calling this (see Channel.idempotentDelivery): the
 * first request is written at once, with nothing awaited before it.
 */
import type { Logger } from "pino";
import type { OutboundMessage, PartialDeliveryError } from "../channel.ts";
import { describeFailure, isEntityError } from "./failures.ts";
import { messageIdOf } from "./ids.ts";
import { postMethod, SendNetworkError } from "./post.ts";
import { markdownToHtml } from "./format.ts";
import { splitText } from "./split.ts";

/** Where sends go: the Bot API root and the token (never logged). */
export interface SendTarget {
  apiRoot: string;
  token: string;
}

/**
 * Sends one part; on "can't parse entities" the same part again as plain text. The first
 * request is written synchronously, before this function first awaits.
 */
async function sendPart(to: SendTarget, chatId: string, text: string, replyTo: string | null, signal: AbortSignal, logger: Logger): Promise<number> {
  const thread = messageIdOf(replyTo) ? { reply_parameters: { message_id: messageIdOf(replyTo), allow_sending_without_reply: true } } : {};
  const html = postMethod<{ message_id: number }>(to.apiRoot, to.token, "sendMessage", { chat_id: chatId, text: markdownToHtml(text), parse_mode: "HTML", ...thread }, signal);
  try {
    return (await html).message_id;
  } catch (err) {
    if (!isEntityError(err)) throw err;
    logger.warn({ chat: chatId, error: describeFailure(err) }, "telegram refused the formatting of a reply part; sending it as plain text");
    return (await postMethod<{ message_id: number }>(to.apiRoot, to.token, "sendMessage", { chat_id: chatId, text, ...thread }, signal)).message_id;
  }
}

/**
 * Sends every part of a reply not sent by an earlier attempt (`skipParts`). Returns the id of the
 * first part sent. Each part's success is reported to `onPart` (parts sent in all, the part's
 * message id) before the next part's request is written (nothing awaited in between), so after a
 * crash only the part in flight is in doubt. Throws a PartialDeliveryError whose `partsSent`
 * counts the parts this call delivered, `inDoubt` when the failing part got no answer.
 */
export async function sendReply(to: SendTarget, m: OutboundMessage, o: { limit: number; signal: AbortSignal; logger: Logger; onPart?: (partsSent: number, messageId: number) => void }): Promise<{ platformMessageId?: string }> {
  const parts = splitText(m.text, o.limit);
  const skip = Math.max(0, m.skipParts ?? 0);
  let first: number | undefined;
  let sent = 0;
  for (let i = skip; i < parts.length; i++) {
    try {
      // Only the first part is threaded: the rest follow it directly.
      const id = await sendPart(to, m.target, parts[i]!, i === 0 ? m.replyTo : null, o.signal, o.logger);
      first ??= id;
      sent++;
      o.onPart?.(skip + sent, id);
    } catch (err) {
      // No `cause`: grammY's error carries the request payload (the user's text) into the logs.
      const e = new Error(`sent ${skip + sent} of ${parts.length} part(s); part ${i + 1} failed: ${describeFailure(err, to.token)}`) as PartialDeliveryError;
      e.partsSent = sent;
      // No answer: Telegram may have the part (the core checks before sending it again).
      e.inDoubt = err instanceof SendNetworkError;
      throw e;
    }
  }
  return first === undefined ? {} : { platformMessageId: String(first) };
}
