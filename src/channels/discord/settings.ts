/** The Discord channel's settings (config `channels.discord`) and the delays tests shrink. */
import type { Config } from "../../config/schema.ts";

/** The channel's settings, read live (through a getter) where a reload can change them. */
export type DiscordSettings = Config["channels"]["discord"];

/** Discord's own cap on one message's content; `textChunkLimit` is clamped to it. */
export const DISCORD_MAX_CONTENT = 2000;

/** The longest part a reply is split into under `s`. */
export function chunkLimitOf(s: DiscordSettings): number {
  return Math.max(1, Math.min(DISCORD_MAX_CONTENT, s.textChunkLimit));
}

/** Delays of the sending side, injectable so tests do not wait. */
export interface DiscordSendTiming {
  /** Typing lasts ~10 s on Discord; it is posted again this often while a run goes on. */
  typingIntervalMs: number;
  /**
   * Typing is first posted this long after a run starts: a run that answers sooner spends none of
   * the bot's 50 requests a second on it.
   */
  typingDelayMs: number;
  /** How long after a send started Discord is given to have handled it before it is looked for. */
  doubtSettleMs: number;
  /** How long after a send started Discord may still handle it: "not sent" is concluded only after this. */
  doubtLifeMs: number;
  /** Time between two looks for a part in doubt while its send may still be handled. */
  doubtRescanMs: number;
  /** An interaction's token is good for 15 min; after this its reply goes to the channel instead. */
  interactionTtlMs: number;
}

/** The delays of a production gateway. */
export const DEFAULT_SEND_TIMING: DiscordSendTiming = {
  typingIntervalMs: 8_000,
  typingDelayMs: 500,
  doubtSettleMs: 2_000,
  doubtLifeMs: 45_000,
  doubtRescanMs: 5_000,
  interactionTtlMs: 14 * 60_000,
};
