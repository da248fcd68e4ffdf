/**
 * The backfill after a FRESH Gateway session (READY, not RESUMED): Discord does not replay what
 * was sent while no session was held, so each channel seen within `backfillHours` is read back
 * over REST from the newest message id seen there (`GET /channels/{id}/messages?after=…`, pages
 * of 100, oldest first). What comes back goes through the same rules as a live message; the core
 * drops what it already stored (keyed by message id), so reading too much is harmless, too little
 * is not.
 */
import type { REST } from "@discordjs/rest";
import { Routes } from "discord-api-types/v10";
import type { Logger } from "pino";
import { newer, type SeenChannel } from "./cursor.ts";
import type { DiscordMessage } from "./inbound.ts";

/** Pages read per channel at most (10 x 100 messages): a channel busier than that during a gap is read up to there. */
const MAX_PAGES = 10;

/** Reads back each channel after its last seen message and hands every page (oldest first) to `handle`; errors are logged per channel. */
export async function backfill(o: {
  rest: REST;
  channels: ReadonlyArray<[string, SeenChannel]>;
  handle(channelId: string, page: DiscordMessage[]): Promise<void>;
  logger: Logger;
  signal: AbortSignal;
}): Promise<{ channels: number; messages: number }> {
  let messages = 0;
  let read = 0;
  for (const [channelId, seen] of o.channels) {
    if (o.signal.aborted) break;
    let after = seen.last;
    try {
      for (let page = 0; page < MAX_PAGES; page++) {
        const query = new URLSearchParams({ after, limit: "100" });
        const got = (await o.rest.get(Routes.channelMessages(channelId), { query, signal: o.signal })) as DiscordMessage[];
        // Discord answers newest first; REST messages carry no guild_id: the channel's is added back.
        const fresh = got.filter((m) => newer(m.id, after)).sort((a, b) => (newer(a.id, b.id) ? 1 : -1));
        if (!fresh.length) break;
        await o.handle(
          channelId,
          fresh.map((m) => (seen.guild ? { ...m, guild_id: seen.guild } : m)),
        );
        messages += fresh.length;
        after = fresh.at(-1)!.id;
        if (got.length < 100) break;
      }
      read++;
    } catch (err) {
      if (o.signal.aborted) break;
      // A channel the bot lost access to (403) or that is gone (404) is skipped; the others are still read.
      o.logger.warn({ channelId, error: (err as Error).message }, "discord backfill: could not read a channel back");
    }
  }
  return { channels: read, messages };
}
