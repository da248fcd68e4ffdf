/**
 * Settling a post whose answer was lost: every part the channel posts carries message metadata
 * (`event_type: onebrain_reply`, the reply's idempotency key and the part's index), so the part
 * is looked for by what it IS, not by guessing from text or time: `conversations.history` (or
 * `conversations.replies` in a thread) with `include_all_metadata`, from a minute before the post
 * started. Found: sent. Not found while Slack may still show it (doubtLifeMs after the start):
 * "cannot tell yet" (the core asks again later). Not found after that: not sent, safe to post.
 */
import type { WebClient } from "@slack/web-api";
import type { SendCheck, SendInDoubt } from "../channel.ts";
import { pause } from "../../shared/backoff.ts";
import type { SlackTiming } from "./settings.ts";
import { msTs, parseTarget } from "./targets.ts";
import { describeFailure } from "./web.ts";

/** The metadata event type of onebrain's posts. */
export const REPLY_EVENT = "onebrain_reply";
/** Clocks of this host and Slack may differ this much. */
export const CLOCK_MARGIN_MS = 60_000;
/** The most pages read while looking (200 messages each). */
const MAX_PAGES = 10;

/** The metadata a part carries. */
export function partMetadata(key: string, part: number): { event_type: string; event_payload: { key: string; part: number } } {
  return { event_type: REPLY_EVENT, event_payload: { key, part } };
}

interface Listed {
  ts?: string;
  metadata?: { event_type?: string; event_payload?: { key?: unknown; part?: unknown } };
}

/** Looks for part `d.part` of the reply `d.idempotencyKey` in its conversation. */
export async function checkPartSent(d: SendInDoubt, o: { web: WebClient; timing: SlackTiming; now: () => number; signal: AbortSignal }): Promise<SendCheck> {
  const wait = d.startedAt + o.timing.doubtSettleMs - o.now();
  if (wait > 0) await pause(wait, o.signal);
  const lookedAt = o.now();
  const { channel, threadTs } = parseTarget(d.target);
  const oldest = msTs(d.startedAt - CLOCK_MARGIN_MS);
  let cursor: string | undefined;
  try {
    for (let page = 0; page < MAX_PAGES; page++) {
      const args = { channel, oldest, inclusive: true, include_all_metadata: true, limit: 200, ...(cursor ? { cursor } : {}) };
      const r = threadTs ? await o.web.conversations.replies({ ...args, ts: threadTs }) : await o.web.conversations.history(args);
      for (const m of (r.messages ?? []) as Listed[]) {
        const md = m.metadata;
        if (md?.event_type === REPLY_EVENT && md.event_payload?.key === d.idempotencyKey && md.event_payload?.part === d.part && m.ts)
          return { sent: true, platformMessageId: m.ts };
      }
      cursor = r.response_metadata?.next_cursor || undefined;
      if (!r.has_more || !cursor) break;
    }
  } catch (err) {
    throw new Error(`could not read the conversation to look for the part in doubt: ${describeFailure(err)}`, { cause: err });
  }
  if (lookedAt - d.startedAt < o.timing.doubtLifeMs)
    throw new Error(`the part in doubt is not in the conversation yet (${Math.round((lookedAt - d.startedAt) / 1000)} s after its post); looking again later`);
  return { sent: false, note: `not in the conversation ${Math.round((lookedAt - d.startedAt) / 1000)} s after its post: Slack did not carry it out` };
}
