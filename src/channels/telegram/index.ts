/** The Telegram channel (long polling through grammY); see docs/telegram.md. */
export { TelegramChannel, TELEGRAM, type TelegramChannelOptions } from "./channel.ts";
export type { TelegramSettings, TelegramTiming } from "./settings.ts";
