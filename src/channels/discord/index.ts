/** The Discord channel (Gateway through @discordjs/ws, REST through @discordjs/rest); see docs/discord.md. */
export { DiscordChannel, DISCORD, type DiscordChannelOptions } from "./channel.ts";
export type { DiscordSettings } from "./settings.ts";
