/** The Telegram channel's settings and delays. */
import type { InboundSettings } from "./inbound.ts";
import { PACE_LIMITS, type TelegramLimits } from "./pacing.ts";

/** The channel's settings (config `channels.telegram`), read live where a reload can change them. */
export interface TelegramSettings extends InboundSettings {
  apiRoot: string;
  pollTimeoutSeconds: number;
  textChunkLimit: number;
}

/** Delays, injectable so tests do not wait a minute. */
export interface TelegramTiming {
  leaseRecheckMs: number;
  conflictRetryMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  typingIntervalMs: number;
  /** How often a stranger may be sent their pairing code again. */
  codeResendMs: number;
  /** How long a call may take (beyond a long poll's own timeout) before it counts as lost. */
  callSlackMs: number;
  /** How long after a send started Telegram is given to have handled it, before it is looked for. */
  doubtSettleMs: number;
  /**
   * How long after a send started Telegram may still be handling it (the delivery's 30 s deadline,
   * and as long again for a request whose client gave up): a part in doubt is not taken as never
   * arrived before this.
   */
  doubtLifeMs: number;
  /** Time between two looks for a part in doubt while its send may still be handled. */
  doubtRescanMs: number;
  /** The least time between two getUpdates calls when the first brought nothing new (no tight loop). */
  idlePollMinMs: number;
  /** The pace the bot's sends keep (pacing.ts); tests shrink its windows to run fast. */
  pace: TelegramLimits;
}

/** The delays of a production gateway. */
export const DEFAULT_TIMING: TelegramTiming = {
  leaseRecheckMs: 30_000,
  conflictRetryMs: 60_000,
  backoffBaseMs: 1_000,
  backoffMaxMs: 60_000,
  typingIntervalMs: 4_500,
  codeResendMs: 3_600_000,
  callSlackMs: 15_000,
  doubtSettleMs: 2_000,
  idlePollMinMs: 1_000,
  doubtLifeMs: 60_000,
  doubtRescanMs: 10_000,
  pace: PACE_LIMITS,
};
