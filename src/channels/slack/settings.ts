/** The Slack channel's settings (config `channels.slack`) and the delays tests shrink. */
import type { Config } from "../../config/schema.ts";

/** The channel's settings, read live (through a getter) where a reload can change them. */
export type SlackSettings = Config["channels"]["slack"];

/** Slack's own cap on one message's text: longer is truncated by Slack. */
export const SLACK_MAX_TEXT = 40_000;

/** The longest part a reply is split into under `s`. */
export function chunkLimitOf(s: SlackSettings): number {
  return Math.max(1, Math.min(SLACK_MAX_TEXT, s.textChunkLimit));
}

/** Delays of the channel, injectable so tests do not wait. */
export interface SlackTiming {
  /** Backoff of failed connections: the first waits about this long, doubling up to maxBackoffMs. */
  baseBackoffMs: number;
  maxBackoffMs: number;
  /** After `hello` said another connection is open, this gateway stays off Slack this long before it looks again. */
  conflictRecheckMs: number;
  /** A connection without `hello` in this time is given up. */
  helloTimeoutMs: number;
  /** The status reaction is put on a message this long after its run started (a quick answer needs none). */
  reactionDelayMs: number;
  /** How long after a post started Slack is given to show it before it is looked for. */
  doubtSettleMs: number;
  /** How long after a post started it may still appear: "not sent" is concluded only after this. */
  doubtLifeMs: number;
  /** How long a message's thread history may take to read before it is ingested without it. */
  historyTimeoutMs: number;
}

export const DEFAULT_TIMING: SlackTiming = {
  baseBackoffMs: 1_000,
  maxBackoffMs: 60_000,
  conflictRecheckMs: 30_000,
  helloTimeoutMs: 15_000,
  reactionDelayMs: 500,
  doubtSettleMs: 2_000,
  doubtLifeMs: 30_000,
  historyTimeoutMs: 2_000,
};
