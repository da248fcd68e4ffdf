/**
 * Sends Telegram refuses for good: every later send to that chat gets the same answer, so the
 * reply fails at once (PartialDeliveryError.permanent) instead of being retried. Telegram words
 * them in the error's description (Bot API: "Forbidden: bot was blocked by the user", ...); any
 * other 403 is a refusal of the bot in that chat too. Retrying helps none of them; only the user
 * (unblocking the bot) or the operator (adding it back to the group) can.
 */
import { GrammyError } from "grammy";

/** What the operator reads, by Telegram's description. */
const WORDS: ReadonlyArray<readonly [RegExp, string]> = [
  [/bot was blocked by the user/i, "the user blocked the bot"],
  [/user is deactivated/i, "the user's Telegram account is deleted"],
  [/bot was kicked from the (super)?group chat|bot was kicked from the channel chat/i, "the bot was removed from the group"],
  [/bot is not a member of the/i, "the bot is not a member of that group or channel"],
  [/bot can't initiate conversation with a user/i, "the user never started a chat with the bot"],
  [/bot can't send messages to bots/i, "the chat is another bot's"],
  [/not enough rights to send text messages|CHAT_WRITE_FORBIDDEN|have no rights to send a message/i, "the bot may not write in that chat"],
  [/chat not found|PEER_ID_INVALID/i, "the chat does not exist, or the bot is not in it"],
];

/** Why Telegram refuses every send to this chat, in words, or null when `err` is not such a refusal (retrying may help). */
export function permanentRefusal(err: unknown): string | null {
  if (!(err instanceof GrammyError)) return null;
  if (err.error_code !== 403 && err.error_code !== 400) return null;
  const words = WORDS.find(([re]) => re.test(err.description))?.[1];
  if (words) return words;
  // Any other 403 refuses the bot in that chat; any other 400 is about this request, not the chat.
  return err.error_code === 403 ? "Telegram forbids the bot to write in that chat" : null;
}
