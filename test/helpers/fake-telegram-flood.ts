/**
 * Flood control as Telegram applies it to a bot's messages (Bot API FAQ: about one message a
 * second in one chat, 20 a minute in one group, 30 a second in all): a send over a limit is
 * refused with HTTP 429, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry
 * after N","parameters":{"retry_after":N}}`, and so is every send to that chat (or, over the
 * global limit, to any chat) until N seconds have passed. Windows can be shrunk (`scale`) so that
 * tests of pacing run fast; `retry_after` stays in whole seconds, as on the wire. A flood can also
 * be scripted: every send refused for a while with a fixed `retry_after`, as in a long flood.
 */

/** At most `max` messages in any `windowMs`. */
export interface FloodLimit {
  max: number;
  windowMs: number;
}

export interface FloodRules {
  chat: FloodLimit;
  group: FloodLimit;
  global: FloodLimit;
}

/** Telegram's documented limits. */
export const TELEGRAM_FLOOD_RULES: FloodRules = {
  chat: { max: 1, windowMs: 1_000 },
  group: { max: 20, windowMs: 60_000 },
  global: { max: 30, windowMs: 1_000 },
};

/** A refused send: to which chat, when, and the retry_after it was told. */
export interface FloodRefusal {
  chatId: number;
  at: number;
  retryAfter: number;
}

/** One bot's flood control. */
export class FloodControl {
  /** Every send (message) refused with 429, in order. */
  readonly refusals: FloodRefusal[] = [];
  /** Every chat action (typing) refused with 429, in order. */
  readonly actionRefusals: FloodRefusal[] = [];
  #rules: FloodRules | null = null;
  readonly #sent = new Map<string, number[]>();
  readonly #floodedUntil = new Map<string, number>();
  #scripted: { until: number; retryAfter: number; chatId: number | null } | null = null;

  /** Enforces `rules` (null: off, the default) with every window times `scale`, from a clean slate (no chat flooded). */
  enforce(rules: FloodRules | null, scale = 1): void {
    this.#sent.clear();
    this.#floodedUntil.clear();
    const s = (l: FloodLimit): FloodLimit => ({ max: l.max, windowMs: l.windowMs * scale });
    this.#rules = rules && { chat: s(rules.chat), group: s(rules.group), global: s(rules.global) };
  }

  /** For `ms` from now every send (to `chatId`, or to any chat) is refused with this `retry_after` (seconds). */
  flood(ms: number, retryAfter: number, chatId: number | null = null): void {
    this.#scripted = { until: Date.now() + ms, retryAfter, chatId };
  }

  /** Null when a message to `chatId` may be posted now, else the retry_after (s) to answer. */
  admit(chatId: number, now = Date.now()): number | null {
    const flooded = this.#flooded(chatId, now);
    if (flooded !== null) return this.#refuse(chatId, now, flooded);
    const r = this.#rules;
    if (!r) return null;
    for (const [key, limit, floods] of this.#scopes(chatId, r)) {
      const recent = (this.#sent.get(key) ?? []).filter((t) => t > now - limit.windowMs);
      this.#sent.set(key, recent);
      if (recent.length >= limit.max) {
        // Over a limit: that scope is flooded until the window has room again, in whole seconds.
        const retryAfter = Math.max(1, Math.ceil((recent[recent.length - limit.max]! + limit.windowMs - now) / 1000));
        this.#floodedUntil.set(floods, now + retryAfter * 1000);
        return this.#refuse(chatId, now, retryAfter);
      }
    }
    return null;
  }

  /**
   * Null when a chat action (typing) to `chatId` may go now, else the retry_after (s) to answer:
   * refused while the chat (or the bot) is flooded, as Telegram refuses every call then; chat
   * actions are not messages, so they neither count against nor overflow the message windows.
   */
  admitAction(chatId: number, now = Date.now()): number | null {
    const wait = this.#flooded(chatId, now);
    if (wait !== null) this.actionRefusals.push({ chatId, at: now, retryAfter: wait });
    return wait;
  }

  /** The retry_after (s) while `chatId` (or the whole bot) is flooded, else null. */
  #flooded(chatId: number, now: number): number | null {
    const s = this.#scripted;
    if (s && now < s.until && (s.chatId === null || s.chatId === chatId)) return s.retryAfter;
    for (const key of [`chat:${chatId}`, "global"]) {
      const until = this.#floodedUntil.get(key) ?? 0;
      if (now < until) return Math.ceil((until - now) / 1000);
    }
    return null;
  }

  /** A message was posted to `chatId` (refused ones, e.g. for bad formatting, do not count). */
  posted(chatId: number, now = Date.now()): void {
    if (!this.#rules) return;
    for (const [key] of this.#scopes(chatId, this.#rules)) this.#sent.set(key, [...(this.#sent.get(key) ?? []), now]);
  }

  /** What a message to `chatId` counts against: [window key, its limit, what floods when it is over]. */
  #scopes(chatId: number, r: FloodRules): Array<[string, FloodLimit, string]> {
    const scopes: Array<[string, FloodLimit, string]> = [
      [`chat:${chatId}`, r.chat, `chat:${chatId}`],
      ["global", r.global, "global"],
    ];
    if (chatId < 0) scopes.push([`group:${chatId}`, r.group, `chat:${chatId}`]);
    return scopes;
  }

  #refuse(chatId: number, at: number, retryAfter: number): number {
    this.refusals.push({ chatId, at, retryAfter });
    return retryAfter;
  }
}
