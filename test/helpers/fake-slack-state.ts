/**
 * The fake Slack's workspace: users, conversations (public channels C…, DMs D…) and their messages,
 * with Slack's ids and `ts` values. A `ts` is the message id within its conversation: seconds and a
 * six-digit suffix ("1712345678.000100"), strictly increasing per workspace here (Slack makes them
 * unique per channel). Threads are messages whose `thread_ts` names the parent's ts.
 */

/** A message as the Web API returns it. */
export interface SMessage {
  type: "message";
  ts: string;
  user?: string;
  bot_id?: string;
  app_id?: string;
  text: string;
  thread_ts?: string;
  subtype?: string;
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  edited?: { user: string; ts: string };
  channel: string;
}

export interface SConversation {
  id: string;
  kind: "im" | "channel";
  name: string;
  /** For a DM: the user at the other end. */
  user?: string;
  messages: SMessage[];
}

export class SlackWorld {
  readonly teamId = "T0FAKE0001";
  readonly appId = "A0FAKE0001";
  readonly botUserId = "U0FAKEBOT1";
  readonly botId = "B0FAKEBOT1";
  readonly users = new Map<string, { id: string; name: string }>();
  readonly conversations = new Map<string, SConversation>();
  #n = 0;
  #lastTs = 0n;

  constructor() {
    this.users.set(this.botUserId, { id: this.botUserId, name: "onebrain" });
  }

  /** An id of Slack's shape: a letter, then upper-case letters and digits. */
  id(prefix: string): string {
    return `${prefix}0${(++this.#n).toString(36).toUpperCase().padStart(8, "0")}`;
  }

  /** A new ts: the clock in microseconds, always later than the last one. */
  ts(): string {
    let us = BigInt(Date.now()) * 1000n;
    if (us <= this.#lastTs) us = this.#lastTs + 1n;
    this.#lastTs = us;
    return `${us / 1_000_000n}.${String(us % 1_000_000n).padStart(6, "0")}`;
  }

  user(name?: string): string {
    const id = this.id("U");
    this.users.set(id, { id, name: name ?? id.toLowerCase() });
    return id;
  }

  /** The DM between the bot and `user` (made once). */
  im(user: string): string {
    for (const c of this.conversations.values()) if (c.kind === "im" && c.user === user) return c.id;
    const id = this.id("D");
    this.conversations.set(id, { id, kind: "im", name: id, user, messages: [] });
    return id;
  }

  channel(name: string): string {
    const id = this.id("C");
    this.conversations.set(id, { id, kind: "channel", name, messages: [] });
    return id;
  }

  add(m: SMessage): SMessage {
    const c = this.conversations.get(m.channel);
    if (!c) throw new Error(`no conversation ${m.channel}`);
    c.messages.push(m);
    return m;
  }

  /**
   * conversations.history: newest first, ts strictly between `oldest` and `latest` (inclusive when
   * asked), at most `limit`, paged by a cursor that is the ts to continue below.
   */
  history(channel: string, o: { oldest?: string; latest?: string; inclusive?: boolean; limit: number; cursor?: string }) {
    const c = this.conversations.get(channel);
    if (!c) return null;
    const num = (t: string) => Number(t);
    const top = o.cursor ? num(o.cursor) : o.latest ? num(o.latest) : Infinity;
    const topIncl = o.cursor ? false : Boolean(o.inclusive);
    const low = o.oldest ? num(o.oldest) : -Infinity;
    // Replies live in their thread; the channel's history shows the parent (and broadcasts).
    const fit = c.messages
      .filter((m) => !m.thread_ts || m.thread_ts === m.ts)
      .filter((m) => (topIncl ? num(m.ts) <= top : num(m.ts) < top) && (o.inclusive ? num(m.ts) >= low : num(m.ts) > low))
      .sort((a, b) => num(b.ts) - num(a.ts));
    const page = fit.slice(0, o.limit);
    const more = fit.length > o.limit;
    return { messages: page, hasMore: more, next: more ? page.at(-1)!.ts : "" };
  }

  /** conversations.replies: the parent, then its replies, oldest first. */
  replies(channel: string, ts: string): SMessage[] | null {
    const c = this.conversations.get(channel);
    if (!c) return null;
    return c.messages.filter((m) => m.ts === ts || m.thread_ts === ts).sort((a, b) => Number(a.ts) - Number(b.ts));
  }
}
