/**
 * One fake bot's update queue, served by getUpdates as Telegram serves it: a long poll waits for
 * an update or its timeout, an offset confirms (forgets) every update below it, `allowed_updates`
 * is remembered between calls, and a newer poll ends the older one with 409 Conflict. Update ids
 * can restart lower (`restartIds`: Telegram picks the next id at random after a week without
 * updates; another Bot API server has its own sequence), and an offset above the newest id + 10
 * is ignored, as the real server ignores it: the queue is served from its start, nothing confirmed.
 */
import type { ServerResponse } from "node:http";
import type { TgMessage } from "./fake-telegram-chats.ts";
import { CONFLICT } from "./fake-telegram-parse.ts";

export interface TgUpdate {
  update_id: number;
  message?: TgMessage;
  edited_message?: TgMessage;
  [kind: string]: unknown;
}

type Send = (status: number, body: unknown) => void;
interface Poller {
  respond: Send;
}

const DEFAULT_UPDATES = (kind: string) => !["chat_member", "message_reaction", "message_reaction_count"].includes(kind);

/** A bot's updates: pending, confirmed, and the getUpdates calls waiting for them. */
export class UpdateQueue {
  /** Updates not yet confirmed by an offset. */
  pending: TgUpdate[] = [];
  /** getUpdates calls received so far (answered or not). */
  polls = 0;
  /** Updates handed out so far (redeliveries included). */
  returned = 0;
  readonly #confirmed: TgUpdate[] = [];
  readonly #replay: TgUpdate[] = [];
  readonly #pollers = new Set<Poller>();
  readonly #wake = new Set<() => void>();
  #allowed: string[] | null = null;
  #nextUpdateId = 500_000_001;
  /** The newest update id handed out (or the one before the first). */
  #newest = 500_000_000;

  /** Queues an update (update_id assigned when missing) and wakes a waiting poll. */
  push(update: Partial<TgUpdate>): TgUpdate {
    const u = { ...update, update_id: update.update_id ?? this.#nextUpdateId++ } as TgUpdate;
    this.#newest = u.update_id;
    this.pending.push(u);
    for (const w of this.#wake) w();
    return u;
  }

  /** The next poll also returns confirmed updates (the last `count`, default all) again; returns how many. */
  redeliver(count?: number): number {
    const again = count === undefined ? this.#confirmed : this.#confirmed.slice(-count);
    this.#replay.push(...again);
    for (const w of this.#wake) w();
    return again.length;
  }

  /** The next update gets id `next` (lower than before: a sequence restarted); confirmed updates are forgotten. */
  restartIds(next: number): void {
    this.#nextUpdateId = next;
    this.#newest = next - 1;
    this.#confirmed.length = 0;
  }

  /** getUpdates calls waiting right now. */
  get inFlight(): number {
    return this.#pollers.size;
  }

  /** Answers every waiting poll with `status` and `body` (a revoked token, the fake closing). */
  endPolls(status: number, body: unknown): void {
    for (const p of Array.from(this.#pollers)) p.respond(status, body);
  }

  /** Serves one getUpdates call, answering through `send` when updates arrive or the timeout ends. */
  async poll(params: Record<string, any>, res: ServerResponse, send: Send): Promise<void> {
    // The real server ignores an offset above its newest update id + 10 (as if none was given).
    const asked = Number(params.offset ?? 0);
    const offset = asked > this.#newest + 10 ? 0 : asked;
    const limit = Math.min(100, Math.max(1, Number(params.limit ?? 100)));
    const timeout = Math.max(0, Number(params.timeout ?? 0));
    if (Array.isArray(params.allowed_updates)) this.#allowed = params.allowed_updates.length ? params.allowed_updates : null;
    // An offset confirms (forgets) every update below it; updates of kinds not allowed are dropped.
    const allowed = (u: TgUpdate) =>
      Object.keys(u)
        .filter((k) => k !== "update_id")
        .every((k) => (this.#allowed ? this.#allowed.includes(k) : DEFAULT_UPDATES(k)));
    if (offset > 0) this.#confirmed.push(...this.pending.filter((u) => u.update_id < offset));
    this.pending = this.pending.filter((u) => (offset <= 0 || u.update_id >= offset) && allowed(u));
    // A poll whose client has gone still confirms its offset (it reached Telegram), but there is no
    // connection left to hold open, so it waits for nothing and ends no other poll.
    if (res.destroyed) return;
    // A newer poller terminates the older one, as Telegram does.
    this.endPolls(409, { ok: false, error_code: 409, description: CONFLICT });
    let done = false;
    let wake = () => {};
    const poller: Poller = {
      respond: (status, body) => {
        if (done) return;
        done = true;
        this.#pollers.delete(poller);
        this.#wake.delete(wake);
        send(status, body);
        wake();
      },
    };
    this.#pollers.add(poller);
    // The client went away (aborted, timed out): this poll no longer counts as in flight.
    res.once("close", () => poller.respond(499, {}));
    const deadline = Date.now() + timeout * 1000;
    while (!done) {
      const ready = [...this.#replay.splice(0), ...this.pending.filter(allowed)].slice(0, limit);
      if (ready.length || Date.now() >= deadline) {
        this.returned += ready.length;
        return poller.respond(200, { ok: true, result: ready });
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
        this.#wake.add(wake);
      });
      this.#wake.delete(wake);
    }
  }
}
