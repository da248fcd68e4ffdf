/** The Telegram channel (long polling through grammY); see docs/telegram.md. */
export { TelegramChannel, TELEGRAM, type TelegramChannelOptions, type TelegramSettings, type TelegramTiming } from "./channel.ts";
