/**
 * The outbox: replies are written before they are sent and marked delivered after. Marking is
 * fenced: it only succeeds while the database's epoch is the one this process took with the
 * brain lock, so a process that lost the brain (frozen, then resumed) cannot deliver.
 *
 * For platforms without idempotency, `send_started_at` marks the part at `parts_sent` as on its
 * way; still set after a crash (or a send without an answer), that part is in doubt until
 * `settleDoubt` records what the platform says (delivery.ts).
 */
import type { SendCheck } from "../channels/channel.ts";
import type { StoreHandle } from "../store/handle.ts";

export interface OutboxItem {
  id: number;
  idempotencyKey: string;
  channel: string;
  account: string;
  target: string;
  replyTo: string | null;
  text: string;
  attempts: number;
  /** Parts of a long reply already delivered by an earlier attempt. */
  partsSent: number;
  /** Set while part `partsSent` is (or, after a crash, may have been) on its way to a platform without idempotency. */
  sendStartedAt: number | null;
  /** The conversation's floor recorded with that send (see Channel.sendFloor). */
  sendFloor: number | null;
}

/** Pending replies in the order they were written, `limit` at a time after the row `afterId`. */
export function pendingReplies(store: StoreHandle, limit = 100, afterId = 0): OutboxItem[] {
  return store
    .prepare(
      `SELECT id, idempotency_key AS idempotencyKey, channel, account, target, reply_to AS replyTo, text, attempts,
         parts_sent AS partsSent, send_started_at AS sendStartedAt, send_floor AS sendFloor
       FROM outbox WHERE state = 'pending' AND id > ? ORDER BY id LIMIT ?`,
    )
    .all(afterId, limit) as unknown as OutboxItem[];
}

const FENCE = "(SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'epoch') = ?";

/**
 * Marks a reply delivered, only if this process still holds the brain's epoch. False when fenced
 * out. An id found earlier for the first part (a check after a crash) is kept.
 */
export function markDelivered(
  store: StoreHandle,
  id: number,
  epoch: number,
  now: number,
  platformMessageId: string | null = null,
  floor: number | null = null,
): boolean {
  const r = store
    .prepare(
      `UPDATE outbox SET state = 'delivered', delivered_at = ?, attempts = attempts + 1, send_started_at = NULL,
         platform_message_id = coalesce(platform_message_id, ?), send_floor = coalesce(?, send_floor)
       WHERE id = ? AND state = 'pending' AND ${FENCE}`,
    )
    .run(now, platformMessageId, floor, id, epoch);
  return Number(r.changes) === 1;
}

/**
 * Records that a send to a platform without idempotency is starting, with the conversation's
 * floor. Committed before it returns (in the WAL, so it survives a crash of this process; its
 * fdatasync follows): the channel then writes its request with nothing awaited in between.
 * Fenced like markDelivered.
 */
export function markSendStarted(store: StoreHandle, id: number, epoch: number, now: number, floor: number | null = null): boolean {
  return store.commitNow(() => {
    const r = store
      .prepare(`UPDATE outbox SET send_started_at = ?, send_floor = coalesce(?, send_floor) WHERE id = ? AND state = 'pending' AND ${FENCE}`)
      .run(now, floor, id, epoch);
    return Number(r.changes) === 1;
  }).value;
}

/**
 * Records at once (like markSendStarted) that `partsSent` parts of a reply went out, before the
 * next part is written: that next part is now the one in doubt, from `now`, above `floor`.
 */
export function markPartsSent(store: StoreHandle, id: number, partsSent: number, now: number, floor: number | null = null): void {
  store.commitNow(() =>
    store
      .prepare(
        "UPDATE outbox SET parts_sent = max(parts_sent, ?), send_floor = coalesce(?, send_floor), send_started_at = CASE WHEN send_started_at IS NULL THEN NULL ELSE ? END WHERE id = ?",
      )
      .run(partsSent, floor, now, id),
  );
}

/** The newest floor recorded by any send to this conversation (null: none yet). */
export function priorFloor(store: StoreHandle, channel: string, account: string, target: string): number | null {
  const row = store.prepare("SELECT max(send_floor) AS floor FROM outbox WHERE channel = ? AND account = ? AND target = ?").get(channel, account, target) as {
    floor: number | null;
  };
  return row.floor;
}

/** How a part in doubt was settled: the platform has it, has not, or (no way to ask) it is taken as delivered. */
export type DoubtOutcome = SendCheck | { assumed: true };

/**
 * Settles the part in doubt of a reply (fenced): found or assumed, it counts as sent and the
 * reply goes on with the next part; not found, it is sent again. Returns the new parts count,
 * or null when fenced out or the row is no longer in doubt.
 */
export function settleDoubt(store: StoreHandle, id: number, epoch: number, outcome: DoubtOutcome): number | null {
  const found = "sent" in outcome && outcome.sent ? outcome : null;
  const note =
    "assumed" in outcome
      ? "taken as delivered (this channel cannot ask its platform)"
      : outcome.sent
        ? "found on the platform"
        : (outcome.note ?? "not on the platform: sent again");
  const row = store
    .prepare(
      `UPDATE outbox SET parts_sent = parts_sent + ?, send_started_at = NULL,
         platform_message_id = CASE WHEN parts_sent = 0 THEN coalesce(?, platform_message_id) ELSE platform_message_id END,
         send_floor = max(coalesce(send_floor, 0), coalesce(?, 0)),
         last_error = 'part ' || (parts_sent + 1) || ' was being sent when the gateway stopped: ' || ?
       WHERE id = ? AND state = 'pending' AND send_started_at IS NOT NULL AND ${FENCE} RETURNING parts_sent AS n`,
    )
    .get("assumed" in outcome || found ? 1 : 0, found?.platformMessageId ?? null, found?.floor ?? null, note, id, epoch) as { n: number } | undefined;
  return row ? row.n : null;
}

/** The conversations (channel, account, target joined by NUL) with a part in doubt (one each): nothing else may go there yet. */
export function conversationsInDoubt(store: StoreHandle): Set<string> {
  const rows = store.prepare("SELECT DISTINCT channel, account, target FROM outbox WHERE state = 'pending' AND send_started_at IS NOT NULL").all() as Array<{
    channel: string;
    account: string;
    target: string;
  }>;
  return new Set(rows.map((r) => conversationKey(r)));
}

/** One key per conversation. */
export function conversationKey(r: { channel: string; account: string; target: string }): string {
  return `${r.channel}\u0000${r.account}\u0000${r.target}`;
}

/**
 * Records a failed delivery attempt (and how many parts, in all, did go out); after `maxAttempts`
 * the reply is marked failed. `inDoubt`: the failing part's request went out without an answer,
 * so it stays "started" and is checked with the platform before it is sent again. `counted`
 * false (the platform asked to wait: a rate limit): recorded, but not an attempt towards the cap;
 * `error` null (the channel's own pacing, not a failure): the last error is kept.
 */
export function markAttemptFailed(
  store: StoreHandle,
  id: number,
  error: string | null,
  maxAttempts: number,
  partsSent = 0,
  inDoubt = false,
  counted = true,
): "retry" | "failed" {
  // A send that is over without doubt no longer counts as started: a crash now must not take it for delivered.
  const row = store
    .prepare(
      `UPDATE outbox SET attempts = attempts + ?, last_error = coalesce(?, last_error), parts_sent = max(parts_sent, ?),
         send_started_at = CASE WHEN ? THEN send_started_at ELSE NULL END,
         state = CASE WHEN ? AND attempts + 1 >= ? THEN 'failed' ELSE state END
       WHERE id = ? RETURNING state`,
    )
    .get(counted ? 1 : 0, error?.slice(0, 500) ?? null, partsSent, inDoubt ? 1 : 0, counted ? 1 : 0, maxAttempts, id) as { state: string } | undefined;
  return row?.state === "failed" ? "failed" : "retry";
}
