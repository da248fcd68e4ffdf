/**
 * The reconnect policy of the Discord Gateway, as pure decisions (no socket, no timer: the clock
 * and the randomness are injected). @discordjs/ws would reconnect on its own, 500 ms after every
 * close, for ever; onebrain retires each connection when it closes and asks this what to do next:
 *   - backoff with jitter from 1 s doubling to 2 min, reset only once a connection proved healthy
 *     (READY or RESUMED, then a heartbeat ACK or a dispatch over it), so a link that fails before
 *     carrying anything does not hammer Discord;
 *   - RESUME while a session is held; a fresh IDENTIFY when the session is gone (op 9 false, close
 *     1000, 4007 invalid seq, 4009 timed out) or after 3 failed RESUMEs in a row (the breaker);
 *   - IDENTIFYs at least 5 s apart, and the daily budget (`session_start_limit`) kept: a reconnect
 *     never spends its last 5, it waits for the reset instead (the first start needs only one);
 *   - 4004 (token refused) and 4010-4013 (our request is wrong) stop: retrying cannot help;
 *   - 4014 (Message Content intent not allowed): IDENTIFY again without that intent (degraded).
 */
import { backoffMs } from "../../shared/backoff.ts";

/** The knobs of the policy (tests shorten them). */
export interface SupervisorTiming {
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** The least time between two IDENTIFYs (Discord: max_concurrency 1 means one per 5 s). */
  identifyGapMs: number;
  /** IDENTIFYs of the daily budget a reconnect never spends. */
  identifyReserve: number;
  /** Failed RESUMEs in a row before a fresh IDENTIFY. */
  resumeBreaker: number;
}

/** The defaults: Discord's own numbers. */
export const DEFAULT_SUPERVISOR_TIMING: SupervisorTiming = {
  backoffBaseMs: 1000,
  backoffMaxMs: 120_000,
  identifyGapMs: 5000,
  identifyReserve: 5,
  resumeBreaker: 3,
};

/** How one connection ended. */
export interface Outcome {
  /** The WebSocket close code (1006: dropped without a close frame). */
  code: number;
  /** Whether this connection was a RESUME (true) or an IDENTIFY (false). */
  resumed: boolean;
  /** READY or RESUMED arrived on it. */
  established: boolean;
  /** Established, and a heartbeat ACK or a dispatch came after that: the link worked. */
  healthy: boolean;
  /** The library dropped the session (op 9 with d false, or its own close 1000). */
  sessionLost: boolean;
}

/** What to do after a connection ended. */
export type Next =
  | { kind: "stop"; reason: string }
  | { kind: "connect"; mode: "resume" | "identify"; delayMs: number; why: string; withoutMessageContent?: boolean };

/** The budget GET /gateway/bot reported. */
export interface IdentifyBudget {
  remaining: number;
  resetAfterMs: number;
}

/** What an operator reads when Discord refused the Message Content intent. */
export const MESSAGE_CONTENT_DETAIL =
  "Discord refused the Message Content intent (close 4014): the bot hears only direct messages and messages that mention it. Developer Portal → Bot → Privileged Gateway Intents → Message Content Intent on, save, restart the gateway";
/** What an operator reads when Discord refused the token. */
export const TOKEN_REFUSED = "Discord refused the bot token (close 4004): reset it in the Developer Portal (Bot page), set the new one, restart the gateway";

/** Close codes after which the session cannot be resumed. */
const SESSION_ENDING = new Set([1000, 4007, 4009]);
/** Close codes that say our own request is wrong: retrying cannot help. */
const FATAL: Record<number, string> = {
  4010: "Discord refused the shard (close 4010)",
  4011: "Discord requires sharding for this bot (close 4011): more than 2,500 guilds are not supported",
  4012: "Discord refused the API version (close 4012)",
  4013: "Discord refused the intents (close 4013)",
};

/** The reconnect policy of one bot's Gateway connection. */
export class Supervisor {
  private readonly t: SupervisorTiming;
  private readonly random: () => number;
  private readonly now: () => number;
  /** Failed connections since the last healthy one. */
  attempt = 0;
  /** RESUMEs in a row that did not get RESUMED. */
  failedResumes = 0;
  private lastIdentifyAt: number | null = null;
  private identified = false;

  constructor(o: { timing?: Partial<SupervisorTiming>; random?: () => number; now?: () => number } = {}) {
    this.t = { ...DEFAULT_SUPERVISOR_TIMING, ...o.timing };
    this.random = o.random ?? Math.random;
    this.now = o.now ?? Date.now;
  }

  /** What to do after a connection ended; `hasSession`: a session id and seq are held to RESUME with. */
  afterClose(out: Outcome, hasSession: boolean): Next {
    if (out.code === 4004) return { kind: "stop", reason: TOKEN_REFUSED };
    const fatal = FATAL[out.code];
    if (fatal) return { kind: "stop", reason: fatal };
    if (out.healthy) this.attempt = 0;
    this.attempt++;
    const delayMs = backoffMs(this.attempt, { baseMs: this.t.backoffBaseMs, maxMs: this.t.backoffMaxMs, random: this.random });
    if (out.resumed) this.failedResumes = out.established ? 0 : this.failedResumes + 1;
    if (out.code === 4014) return { kind: "connect", mode: "identify", delayMs, why: "Message Content intent refused", withoutMessageContent: true };
    if (!hasSession) return { kind: "connect", mode: "identify", delayMs, why: "no session to resume" };
    if (out.sessionLost || SESSION_ENDING.has(out.code)) return { kind: "connect", mode: "identify", delayMs, why: `session ended (close ${out.code})` };
    if (this.failedResumes >= this.t.resumeBreaker) {
      this.failedResumes = 0;
      return { kind: "connect", mode: "identify", delayMs, why: `${this.t.resumeBreaker} RESUMEs failed in a row` };
    }
    return { kind: "connect", mode: "resume", delayMs, why: `connection closed (${out.code})` };
  }

  /** How long an IDENTIFY must still wait: the 5 s gap, and the daily budget's reset when it is low. */
  identifyWaitMs(budget: IdentifyBudget | null): number {
    const gap = this.lastIdentifyAt === null ? 0 : Math.max(0, this.lastIdentifyAt + this.t.identifyGapMs - this.now());
    if (!budget) return gap;
    // The first IDENTIFY of this process needs one; a reconnect keeps a reserve for the operator's restarts.
    const reserve = this.identified ? this.t.identifyReserve : 0;
    return budget.remaining <= reserve ? Math.max(gap, budget.resetAfterMs) : gap;
  }

  /** An IDENTIFY is being sent now. */
  noteIdentify(): void {
    this.lastIdentifyAt = this.now();
    this.identified = true;
  }
}
