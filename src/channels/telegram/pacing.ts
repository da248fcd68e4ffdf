/**
 * The pace of the bot's sends under Telegram's documented limits (Bot API FAQ, "My bot is hitting
 * limits"): about one message a second in one chat, 20 a minute in one group, 30 a second in all.
 * onebrain keeps 10 % under each, since a request's arrival at Telegram jitters; what Telegram
 * still refuses with a 429 blocks that chat for its `retry_after` (send.ts).
 */
import { type PaceKeys, type PaceLimit, SendPacer } from "../pacer.ts";

/** One limit per scope of a send. */
export interface TelegramLimits {
  chat: PaceLimit;
  group: PaceLimit;
  global: PaceLimit;
}

/** As Telegram documents them. */
export const TELEGRAM_LIMITS: TelegramLimits = {
  chat: { max: 1, windowMs: 1_000 },
  group: { max: 20, windowMs: 60_000 },
  global: { max: 30, windowMs: 1_000 },
};

/** Every window of `l` times `factor` (above 1: slower; tests pass below 1 to run fast). */
export function scaleLimits(l: TelegramLimits, factor: number): TelegramLimits {
  const s = (x: PaceLimit): PaceLimit => ({ max: x.max, windowMs: Math.round(x.windowMs * factor) });
  return { chat: s(l.chat), group: s(l.group), global: s(l.global) };
}

/** What the channel keeps to: 10 % under Telegram's limits. */
export const PACE_LIMITS = scaleLimits(TELEGRAM_LIMITS, 1.1);

/** The pace of one chat's sends, as send.ts uses it. */
export interface ChatPace {
  /** ms until the next send may go (0: now). */
  delayMs(): number;
  /** A send goes now. */
  take(): void;
  /** Telegram asked this chat to wait `ms`. */
  block(ms: number): void;
}

/** The keys a send to `chat` counts against: the chat, its group (negative ids: groups, supergroups, channels), the bot. */
function keysOf(chat: string, l: TelegramLimits): PaceKeys {
  const keys: Array<readonly [string, PaceLimit]> = [
    [`chat:${chat}`, l.chat],
    ["global", l.global],
  ];
  if (chat.startsWith("-")) keys.push([`group:${chat}`, l.group]);
  return keys;
}

/**
 * The pace of a chat's typing indicator: it goes only when a message to the chat could go now
 * (not while a 429 blocks it), and counts against the bot's global limit alone, so that it never
 * takes a reply's slot.
 */
export function actionPace(pacer: SendPacer, chat: string, limits: TelegramLimits): ChatPace {
  const keys = keysOf(chat, limits);
  return { delayMs: () => pacer.delayMs(keys), take: () => pacer.take([["global", limits.global]]), block: (ms) => pacer.block(`chat:${chat}`, ms) };
}

/** One chat's pace on the bot's pacer. */
export function chatPace(pacer: SendPacer, chat: string, limits: TelegramLimits): ChatPace {
  const keys = keysOf(chat, limits);
  return { delayMs: () => pacer.delayMs(keys), take: () => pacer.take(keys), block: (ms) => pacer.block(`chat:${chat}`, ms) };
}
