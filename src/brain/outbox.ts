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
}

/** Pending replies in the order they were written. */
export function pendingReplies(store: StoreHandle, limit = 100): OutboxItem[] {
  return store.prepare(
      `SELECT id, idempotency_key AS idempotencyKey, channel, account, target, reply_to AS replyTo, text, attempts
       FROM outbox WHERE state = 'pending' ORDER BY id LIMIT ?`,
    )
    .all(limit) as unknown as OutboxItem[];
}

/** Marks a reply delivered, only if this process still holds the brain's epoch. False when fenced out. */
export function markDelivered(store: StoreHandle, id: number, epoch: number, now: number): boolean {
  const r = store.prepare(
      `UPDATE outbox SET state = 'delivered', delivered_at = ?, attempts = attempts + 1
       WHERE id = ? AND state = 'pending' AND (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'epoch') = ?`,
    )
    .run(now, id, epoch);
  return Number(r.changes) === 1;
}

/** Records a failed delivery attempt; after `maxAttempts` the reply is marked failed. */
export function markAttemptFailed(store: StoreHandle, id: number, error: string, maxAttempts: number): "retry" | "failed" {
  const row = store.prepare(
      `UPDATE outbox SET attempts = attempts + 1, last_error = ?, state = CASE WHEN attempts + 1 >= ? THEN 'failed' ELSE state END
       WHERE id = ? RETURNING state`,
    )
    .get(error.slice(0, 500), maxAttempts, id) as { state: string } | undefined;
  return row?.state === "failed" ? "failed" : "retry";
}
