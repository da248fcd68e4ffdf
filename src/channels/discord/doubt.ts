/**
 * Did a reply part that got no answer (or was on the wire at a crash) reach Discord? A message
 * create has a nonce, but Discord keeps nonces only minutes and never shows them in a read, so
 * the channel itself is read instead:
 *   - when the send started, the core committed the conversation's floor (the creation time of
 *     the newest message known there, send.ts);
 *   - nothing else of ours has been sent there since (the core holds the conversation's other
 *     replies while a part is in doubt);
 *   - so a message by the bot after the floor with the part's exact content (threaded under
 *     `replyTo` when it is the first part) is the part in doubt.
 * The read starts at the floor's millisecond itself (a part goes out after the floor's message
 * was seen, so it is at least that late on Discord's clock; no wider margin, as an earlier reply of
 * ours with the same text a moment before would be taken for the part) and pages forward to the newest.
 * "Not sent" is only concluded once the request's whole possible life is over (Discord may carry
 * out a request after the connection it came on is gone): until then a look that finds nothing is
 * repeated, and the part is taken as sent as soon as it shows up.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { REST } from "@discordjs/rest";
import type { APIMessage } from "discord-api-types/v10";
import type { SendCheck, SendInDoubt } from "../channel.ts";
import { splitText } from "../split.ts";
import { classifySend } from "./failures.ts";
import { CLOCK_MARGIN_MS, snowflakeAt, snowflakeTime } from "./ids.ts";
import type { DiscordSendTiming } from "./settings.ts";

/** A read of more pages than this gives up (throws; the core asks again later). */
const MAX_PAGES = 50;

/** What the sender lends a check. */
export interface DoubtContext {
  rest: REST;
  botId: string | null;
  chunkLimit: number;
  timing: DiscordSendTiming;
  now: () => number;
  signal: AbortSignal;
}

/** True when `m` is the part in doubt: ours, its exact text, threaded as the part would be. */
function isThePart(m: APIMessage, botId: string, content: string, replyTo: string | null): boolean {
  if (m.author?.id !== botId || m.content !== content) return false;
  return replyTo === null || m.message_reference?.message_id === undefined || m.message_reference.message_id === replyTo;
}

/** The id of the part in the channel after `afterId`, or null. Reads page by page, oldest first. */
export async function findPart(c: DoubtContext, channelId: string, afterId: bigint, content: string, replyTo: string | null): Promise<string | null> {
  const botId = c.botId;
  if (!botId) throw new Error("the bot's user id is not known yet: cannot tell a message of ours");
  let after = afterId;
  for (let page = 0; page < MAX_PAGES; page++) {
    const batch = (await c.rest.get(`/channels/${channelId}/messages`, {
      query: new URLSearchParams({ after: String(after), limit: "100" }),
      signal: c.signal,
    })) as APIMessage[];
    // Newest first: the oldest match is the part (a later one with the same text would be another reply's).
    const sorted = [...batch].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
    const hit = sorted.find((m) => isThePart(m, botId, content, replyTo));
    if (hit) return hit.id;
    if (batch.length < 100) return null;
    after = BigInt(sorted.at(-1)!.id);
  }
  throw new Error(`more than ${MAX_PAGES * 100} messages after the floor in channel ${channelId}: not read to the end`);
}

/** Settles a part in doubt: found after its floor (sent, with its id) or not. Throws when Discord cannot tell now. */
export async function checkPartSent(d: SendInDoubt, c: DoubtContext): Promise<SendCheck> {
  const parts = splitText(d.text, c.chunkLimit);
  // The last part had gone out (and was recorded); only the reply's "delivered" mark was missing.
  if (d.part >= parts.length) return { sent: false, note: "every part had gone out already" };
  const content = parts[d.part]!;
  const replyTo = d.part === 0 ? d.replyTo : null;
  const wait = (ms: number) => sleep(Math.max(0, ms), undefined, { signal: c.signal });
  // A request written just before a crash may still be on its way through Discord.
  await wait(Math.min(c.timing.doubtSettleMs, d.startedAt + c.timing.doubtSettleMs - c.now()));
  const from = snowflakeAt(d.floor ?? d.startedAt - CLOCK_MARGIN_MS) - 1n;
  for (;;) {
    let found: string | null;
    try {
      found = await findPart(c, d.target, from, content, replyTo);
    } catch (err) {
      const f = classifySend(err);
      // The channel is gone or closed to the bot: nothing more can arrive there (the resend fails for good).
      if (f.kind === "permanent") return { sent: false, note: `${f.reason}: cannot look` };
      throw err;
    }
    if (found !== null) return { sent: true, platformMessageId: found, floor: snowflakeTime(found) ?? undefined };
    const left = d.startedAt + c.timing.doubtLifeMs - c.now();
    if (left <= 0) return { sent: false };
    await wait(Math.min(left, c.timing.doubtRescanMs));
  }
}
