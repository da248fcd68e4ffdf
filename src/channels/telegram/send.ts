/**
 * Delivery of one reply: split at the chunk limit on paragraph boundaries, each part rendered
 * as Telegram HTML (format.ts) and resent as plain text when Telegram refuses its entities, the
 * first part threaded under the message it answers. Telegram has no idempotency key, so the
 * core records that a send started before calling this (see Channel.idempotentDelivery): the
 * first request is written at once, with nothing awaited before it.
 * Pacing (pacing.ts): each part takes the chat's slot as it goes; a part whose slot is later is
 * not waited for here (the delivery pass would stall for every chat) but handed back to the core
 * as a ChannelRateLimitedError, which delivers the rest then. A 429 blocks the chat for as long
 * as Telegram asks and is handed back the same way, and so is a group's move to a supergroup
 * (migrations.ts), with no wait: the core sends the rest to the new chat at once.
 */
import type { Logger } from "pino";
import { ChannelRateLimitedError, type OutboundMessage, type PartialDeliveryError } from "../channel.ts";
import { classify, describeFailure, isEntityError } from "./failures.ts";
import { messageIdOf } from "./ids.ts";
import { migratedTo } from "./migrations.ts";
import { postMethod, SendNetworkError } from "./post.ts";
import { permanentRefusal } from "./refusals.ts";
import { markdownToHtml } from "./format.ts";
import type { ChatPace } from "./pacing.ts";
import { splitText } from "../split.ts";

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
  const html = postMethod<{ message_id: number }>(
    to.apiRoot,
    to.token,
    "sendMessage",
    { chat_id: chatId, text: markdownToHtml(text), parse_mode: "HTML", ...thread },
    signal,
  );
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
export async function sendReply(
  to: SendTarget,
  m: OutboundMessage,
  o: {
    limit: number;
    signal: AbortSignal;
    logger: Logger;
    pace?: ChatPace;
    onPart?: (partsSent: number, messageId: number) => void;
    /** Telegram says the chat moved (a group upgraded to a supergroup): true when the rest should go there. */
    onMoved?: (chatId: string) => boolean;
  },
): Promise<{ platformMessageId?: string }> {
  const parts = splitText(m.text, o.limit);
  const skip = Math.max(0, m.skipParts ?? 0);
  let first: number | undefined;
  let sent = 0;
  for (let i = skip; i < parts.length; i++) {
    // The first part's slot was checked by the core (Channel.sendDelayMs); a later one may be later.
    const wait = i > skip ? (o.pace?.delayMs() ?? 0) : 0;
    if (wait > 0)
      throw new ChannelRateLimitedError(`sent ${skip + sent} of ${parts.length} part(s); part ${i + 1} waits ${wait} ms under Telegram's limits`, wait, {
        partsSent: sent,
        paced: true,
      });
    o.pace?.take();
    try {
      // Only the first part is threaded: the rest follow it directly.
      const id = await sendPart(to, m.target, parts[i]!, i === 0 ? m.replyTo : null, o.signal, o.logger);
      first ??= id;
      sent++;
      o.onPart?.(skip + sent, id);
    } catch (err) {
      const verdict = classify(err, "sendMessage");
      if (verdict.kind === "retry" && verdict.retryAfterMs !== undefined) {
        o.pace?.block(verdict.retryAfterMs);
        throw new ChannelRateLimitedError(`sent ${skip + sent} of ${parts.length} part(s); part ${i + 1}: ${verdict.error}`, verdict.retryAfterMs, {
          partsSent: sent,
        });
      }
      const moved = migratedTo(err);
      // Not a failure: the rest goes to the new chat at once, through the core (which records that send's start there).
      if (moved !== null && o.onMoved?.(moved))
        throw new ChannelRateLimitedError(
          `sent ${skip + sent} of ${parts.length} part(s); the group became the supergroup ${moved}: part ${i + 1} goes there`,
          0,
          {
            partsSent: sent,
            paced: true,
          },
        );
      const refused = permanentRefusal(err);
      // No `cause`: grammY's error carries the request payload (the user's text) into the logs.
      const e = new Error(
        refused
          ? `Telegram refuses every message to this chat: ${refused} (${describeFailure(err, to.token)}); sent ${skip + sent} of ${parts.length} part(s)`
          : `sent ${skip + sent} of ${parts.length} part(s); part ${i + 1} failed: ${describeFailure(err, to.token)}`,
      ) as PartialDeliveryError;
      e.partsSent = sent;
      if (refused) e.permanent = true;
      // No answer: Telegram may have the part (the core checks before sending it again).
      // Not when the proxy's tunnel failed: the request was never written.
      e.inDoubt = err instanceof SendNetworkError && err.code !== "PROXY_FAILED";
      throw e;
    }
  }
  return first === undefined ? {} : { platformMessageId: String(first) };
}
