/**
 * The outbox seen by an operator: replies listed (newest first), the failed ones counted with the
 * newest error, and a failed reply sent again. A retry only turns a `failed` row back to
 * `pending` with its attempts and backoff reset; everything that keeps replies exactly-once stays
 * on the row: parts already sent are skipped, and a part in doubt (`send_started_at` kept) is
 * looked for on the platform before anything is sent. A delivered reply is never retried.
 */
import type { StoreHandle } from "../store/handle.ts";
import type { OutboxState } from "../store/rows.ts";

/** One reply as `outbox list` and `outbox.list` show it. */
export interface OutboxView {
  id: number;
  channel: string;
  account: string;
  target: string;
  state: OutboxState;
  attempts: number;
  /** Parts of a long reply that went out. */
  partsSent: number;
  /** A part was on its way without an answer: it is looked for on the platform before it is sent again. */
  inDoubt: boolean;
  lastError: string | null;
  createdAt: number;
  deliveredAt: number | null;
  /** The reply's first 80 characters. */
  preview: string;
}

/** The newest failed reply as `status` shows it. */
export interface FailedReply {
  id: number;
  channel: string;
  target: string;
  error: string | null;
  createdAt: number;
}

const VIEW = `SELECT id, channel, account, target, state, attempts, parts_sent AS partsSent, send_started_at IS NOT NULL AS inDoubt,
  last_error AS lastError, created_at AS createdAt, delivered_at AS deliveredAt, substr(text, 1, 80) AS preview FROM outbox`;

function view(row: Record<string, unknown>): OutboxView {
  return { ...(row as unknown as OutboxView), inDoubt: Boolean(row.inDoubt) };
}

/** Replies newest first, `state` only when given, at most `limit`. */
export function listOutbox(store: StoreHandle, o: { state?: OutboxState; limit?: number } = {}): OutboxView[] {
  const limit = o.limit ?? 50;
  const rows = o.state
    ? store.prepare(`${VIEW} WHERE state = ? ORDER BY id DESC LIMIT ?`).all(o.state, limit)
    : store.prepare(`${VIEW} ORDER BY id DESC LIMIT ?`).all(limit);
  return rows.map((r) => view(r as Record<string, unknown>));
}

/** How many replies ended failed and the newest of them (what `status` shows). */
export function failedReplies(store: Pick<StoreHandle, "prepare">): { count: number; newest: FailedReply | null } {
  const { n } = store.prepare("SELECT count(*) AS n FROM outbox WHERE state = 'failed'").get() as { n: number };
  return { count: n, newest: n ? newestFailedReply(store) : null };
}

/** The newest reply that ended failed, with its last error (null: none). */
export function newestFailedReply(store: Pick<StoreHandle, "prepare">): FailedReply | null {
  const r = store
    .prepare("SELECT id, channel, target, last_error AS error, created_at AS createdAt FROM outbox WHERE state = 'failed' ORDER BY id DESC LIMIT 1")
    .get() as FailedReply | undefined;
  return r ? { ...r } : null;
}

/** Why a retry was refused, in words the CLI and the protocol both use. */
export type RetryRefusal = { reason: "missing" | "delivered" | "pending"; message: string };

/**
 * Turns failed reply `id` back to pending with attempts 0 (delivery then tries it at once, with
 * a fresh backoff). Refused for a delivered reply (it would be sent twice), a pending one (still
 * being tried) and an unknown id.
 */
export function retryOutbox(store: StoreHandle, id: number): { ok: true; reply: OutboxView } | ({ ok: false } & RetryRefusal) {
  // One durable transaction: the caller then starts a delivery pass, which must see the row pending.
  const { done, row } = store.transaction(() => ({
    done: store.prepare("UPDATE outbox SET state = 'pending', attempts = 0 WHERE id = ? AND state = 'failed' RETURNING id").get(id),
    row: store.prepare(`${VIEW} WHERE id = ?`).get(id) as Record<string, unknown> | undefined,
  }));
  if (done && row) return { ok: true, reply: view(row) };
  if (!row) return { ok: false, reason: "missing", message: `no reply #${id} in the outbox` };
  const r = view(row);
  if (r.state === "delivered")
    return {
      ok: false,
      reason: "delivered",
      message: `reply #${id} was delivered${r.deliveredAt ? ` at ${new Date(r.deliveredAt).toISOString()}` : ""}: sending it again would send it twice`,
    };
  return {
    ok: false,
    reason: "pending",
    message: `reply #${id} is still pending (${r.attempts} failed attempt(s) so far${r.lastError ? `, last error: ${r.lastError}` : ""}): delivery keeps trying it`,
  };
}
