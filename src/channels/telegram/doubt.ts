/**
 * Did a reply part that was on the wire at a crash (or got no answer) reach Telegram? sendMessage
 * has no idempotency key, but message ids answer it (ids.ts):
 *   - when the send started, the core committed the chat's floor: the newest id known in its
 *     counter, at least every earlier message of ours in that chat;
 *   - nothing else has been sent to that chat since (the core holds its other replies while a
 *     part is in doubt);
 *   - so a message of ours above the floor in that chat can only be the part in doubt.
 * `editMessageReplyMarkup` without a markup asks about one id and changes nothing (our replies
 * carry no markup): "message is not modified" means a message of ours, "message can't be edited"
 * someone else's, "message to edit not found" none in this chat (another chat's id, a deleted
 * message, or an id not handed out yet).
 *
 * The scan goes up from the floor, past the newest id known in that counter, and ends after
 * `tail` ids in a row with no message in this chat: past the end of the counter (for a
 * supergroup, whose ids are dense) or of what can have been handed out before the crash (the
 * box, whose newest id before the crash is in the cursor and after it in memory).
 *
 * Not found is only concluded once the request's whole possible life is over: Telegram may handle
 * a send seconds after the connection it came on is gone (an answer lost, a timeout), and a part
 * taken as never arrived while Telegram still works on it goes out twice. So a scan that finds
 * nothing is repeated every `rescanMs` until `lifeMs` after the send started (the send's own
 * deadline and as long again); the part is found as soon as it appears.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { GrammyError } from "grammy";
import type { SendCheck, SendInDoubt } from "../channel.ts";
import { messageIdOf, type KnownIds } from "./ids.ts";
import { postMethod } from "./post.ts";
import { splitText } from "../split.ts";

/** What one probe says about one id in one chat. */
type Probe = "ours" | "theirs" | "none";

export interface DoubtScan {
  apiRoot: string;
  token: string;
  chatId: string;
  /** The part in doubt, if sent, has a larger id. */
  floor: number;
  /** The newest id known in the chat's counter: the scan goes at least this far. */
  horizon: number;
  signal: AbortSignal;
  /** Ids in a row without a message in this chat that end the scan past the horizon. */
  tail?: number;
  /** Probes in flight at once. */
  window?: number;
  /** A scan this long gives up (throws): something hands out ids faster than it can look. */
  maxProbes?: number;
}

/** Asks about one id; waits out a 429 and asks again; throws on anything it cannot read. */
async function probe(s: DoubtScan, messageId: number): Promise<Probe> {
  for (;;) {
    try {
      // Success would mean a markup was removed from a message of ours: it is ours either way.
      await postMethod(s.apiRoot, s.token, "editMessageReplyMarkup", { chat_id: s.chatId, message_id: messageId }, s.signal);
      return "ours";
    } catch (err) {
      if (!(err instanceof GrammyError)) throw err;
      if (err.error_code === 429) {
        await sleep((Number(err.parameters.retry_after) || 1) * 1000, undefined, { signal: s.signal });
        continue;
      }
      if (/message is not modified/i.test(err.description)) return "ours";
      if (/message can't be edited/i.test(err.description)) return "theirs";
      if (/message to edit not found|MESSAGE_ID_INVALID/i.test(err.description)) return "none";
      throw err;
    }
  }
}

/** The id of our message above the floor in the chat, or null when there is none. */
export async function findOurMessage(s: DoubtScan): Promise<number | null> {
  const tail = s.tail ?? 20;
  const window = s.window ?? 4;
  const maxProbes = s.maxProbes ?? 5000;
  let emptyRun = 0;
  for (let next = s.floor + 1; ; next += window) {
    if (next - s.floor > maxProbes) throw new Error(`no end found after ${maxProbes} message ids above ${s.floor} in chat ${s.chatId}`);
    const ids = Array.from({ length: window }, (_, i) => next + i);
    const answers = await Promise.all(ids.map((id) => probe(s, id)));
    for (let i = 0; i < ids.length; i++) {
      if (answers[i] === "ours") return ids[i]!;
      emptyRun = answers[i] === "none" ? emptyRun + 1 : 0;
      if (ids[i]! > s.horizon && emptyRun >= tail) return null;
    }
  }
}

/** What the channel lends a check. */
export interface DoubtContext {
  apiRoot: string;
  token: string;
  chunkLimit: number;
  ids: KnownIds;
  /** Resolves once every id handed out before this start is known (the update queue was drained). */
  caughtUp: Promise<void>;
  /** How long after a send started Telegram is given to have handled it, before the first look. */
  settleMs: number;
  /** How long after a send started Telegram may still handle it: "not found" is concluded only after this. */
  lifeMs: number;
  /** Time between two looks while that life lasts. */
  rescanMs: number;
}

/** `promise`, or the abort reason of `signal` if that comes first. */
function orAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** Settles a part in doubt: found above its floor (sent, with its id) or not. Throws when Telegram cannot tell now. */
export async function checkPartSent(d: SendInDoubt, c: DoubtContext, signal: AbortSignal): Promise<SendCheck> {
  // The last part had gone out (and was recorded); only the reply's "delivered" mark was missing.
  if (d.part >= splitText(d.text, c.chunkLimit).length) return { sent: false, note: "every part had gone out already" };
  await orAbort(c.caughtUp, signal);
  // A request written just before a crash may still be on its way through Telegram.
  await sleep(Math.min(c.settleMs, Math.max(0, d.startedAt + c.settleMs - Date.now())), undefined, { signal });
  // Sends recorded before floors existed: the message they answer is the floor (so a later part is found as sent).
  const floor = d.floor ?? messageIdOf(d.replyTo);
  let found: number | null;
  // A part not found by one look was not handled before it began, so it has an id above every id
  // known then: the next look starts above those (each look then costs only the ids since).
  for (let from = floor; ;) {
    const horizon = Math.max(from, c.ids.newestIn(d.target));
    found = await findOurMessage({ apiRoot: c.apiRoot, token: c.token, chatId: d.target, floor: from, horizon, signal });
    const left = d.startedAt + c.lifeMs - Date.now();
    if (found !== null || left <= 0) break;
    from = horizon;
    await sleep(Math.min(left, c.rescanMs), undefined, { signal });
  }
  if (found === null) return { sent: false };
  c.ids.note(d.target, found);
  return { sent: true, platformMessageId: String(found), floor: c.ids.newestIn(d.target) };
}
