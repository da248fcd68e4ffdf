/**
 * The outbox: replies are written before they are sent and marked delivered after. Marking is
 * fenced: it only succeeds while the database's epoch is the one this process took with the
 * brain lock, so a process that lost the brain (frozen, then resumed) cannot deliver.
 */
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
}

/** Pending replies in the order they were written, `limit` at a time after the row `afterId`. */
export function pendingReplies(store: StoreHandle, limit = 100, afterId = 0): OutboxItem[] {
  return store.prepare(
      `SELECT id, idempotency_key AS idempotencyKey, channel, account, target, reply_to AS replyTo, text, attempts, parts_sent AS partsSent
       FROM outbox WHERE state = 'pending' AND id > ? ORDER BY id LIMIT ?`,
    )
    .all(afterId, limit) as unknown as OutboxItem[];
}

/** Marks a reply delivered, only if this process still holds the brain's epoch. False when fenced out. */
export function markDelivered(store: StoreHandle, id: number, epoch: number, now: number, platformMessageId: string | null = null): boolean {
  const r = store.prepare(
      `UPDATE outbox SET state = 'delivered', delivered_at = ?, attempts = attempts + 1, platform_message_id = ?
       WHERE id = ? AND state = 'pending' AND (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'epoch') = ?`,
    )
    .run(now, platformMessageId, id, epoch);
  return Number(r.changes) === 1;
}

/**
 * Records that a send to a platform without idempotency is starting. Committed before it returns
 * (in the WAL, so it survives a crash of this process; its fdatasync follows): the channel then
 * writes its request with nothing awaited in between. Fenced like markDelivered.
 */
export function markSendStarted(store: StoreHandle, id: number, epoch: number, now: number): boolean {
  return store.commitNow(() => {
    const r = store.prepare(
        `UPDATE outbox SET send_started_at = ?
         WHERE id = ? AND state = 'pending' AND (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'epoch') = ?`,
      )
      .run(now, id, epoch);
    return Number(r.changes) === 1;
  }).value;
}

/** Records at once (like markSendStarted) that `partsSent` parts of a reply went out, before the next part is written. */
export function markPartsSent(store: StoreHandle, id: number, partsSent: number): void {
  store.commitNow(() => store.prepare("UPDATE outbox SET parts_sent = max(parts_sent, ?) WHERE id = ?").run(partsSent, id));
}

/**
 * After a crash: the part that was being sent to a platform without idempotency is taken as
 * delivered (the platform may have it; sending it again could show the user the same text
 * twice, the failure this project exists to prevent). The reply stays pending for any parts
 * after it, which are sent normally. Returns how many replies had a send in flight.
 */
export function settleStartedSends(store: StoreHandle): number {
  const r = store.prepare(
      `UPDATE outbox SET parts_sent = parts_sent + 1, send_started_at = NULL,
         last_error = 'part ' || (parts_sent + 1) || ' was being sent when the gateway stopped: taken as delivered'
       WHERE state = 'pending' AND send_started_at IS NOT NULL`,
    )
    .run();
  return Number(r.changes);
}

/** Records a failed delivery attempt (and how many parts, in all, did go out); after `maxAttempts` the reply is marked failed. */
export function markAttemptFailed(store: StoreHandle, id: number, error: string, maxAttempts: number, partsSent = 0): "retry" | "failed" {
  // The send is over, so it no longer counts as started: a crash now must not take it for delivered.
  const row = store.prepare(
      `UPDATE outbox SET attempts = attempts + 1, last_error = ?, parts_sent = max(parts_sent, ?), send_started_at = NULL,
         state = CASE WHEN attempts + 1 >= ? THEN 'failed' ELSE state END
       WHERE id = ? RETURNING state`,
    )
    .get(error.slice(0, 500), partsSent, maxAttempts, id) as { state: string } | undefined;
  return row?.state === "failed" ? "failed" : "retry";
}
