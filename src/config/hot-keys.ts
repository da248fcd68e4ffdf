/** Which config keys a running gateway applies at once (the reload, server/reload.ts) and which wait for a restart: one list for the gateway and the CLI. */

/** Keys (and the keys under them) a running gateway applies without a restart. */
export const HOT_PREFIXES = [
  "gateway.auth",
  "gateway.trustedProxies",
  "gateway.allowedOrigins",
  "gateway.allowedHosts",
  "gateway.authFailuresPerMinute",
  // Read at each device's connect.
  "gateway.devices",
  "logging.level",
  "logging.consoleLevel",
  // Webhooks read their config at each request (the token file too, by its mtime).
  "hooks",
  // Routing reads the bindings at each message it ingests; the agents are resolved per config.
  "bindings",
  "agents.list",
  // The watchdog reads its config at each check.
  "alerts",
  // The Telegram channel reads these at each message, poll or delivery (not the token, apiRoot or enabled).
  "channels.telegram.dmPolicy",
  "channels.telegram.allowFrom",
  "channels.telegram.groups",
  "channels.telegram.pollTimeoutSeconds",
  "channels.telegram.textChunkLimit",
  // The Discord channel reads these at each message or delivery (not the token, URLs, intents or commands).
  "channels.discord.dmPolicy",
  "channels.discord.allowFrom",
  "channels.discord.requireMention",
  "channels.discord.guilds",
  "channels.discord.textChunkLimit",
  "channels.discord.allowMentions",
  "channels.discord.backfillHours",
];

/** True when a running gateway applies `key` (dotted) without a restart. */
export function isHotKey(key: string): boolean {
  return HOT_PREFIXES.some((p) => key === p || key.startsWith(`${p}.`));
}
