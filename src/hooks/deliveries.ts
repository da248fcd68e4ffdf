/**
 * Webhook deliveries in the brain's store (`hook_deliveries`, migration 007). A delivery is
 * recorded in the same write as the message it submits, under its idempotency key
 * (`<hook>:<key>`, UNIQUE): a replay finds the first delivery, even after a crash, and starts
 * nothing. A delivery sent without a key is stored under `<hook>#<id>`, which no sent key can be
 * (hook names have no `:` or `#`). What became of a delivery is read from its message's run and
 * reply (brain/submit.ts), never stored twice.
 */
import crypto from "node:crypto";
import { submitMessage, submittedState, type SubmitRequest } from "../brain/submit.ts";
import type { StoreHandle } from "../store/handle.ts";

/** What a delivery has become: accepted (queued), running, answered (no delivery, or delivering), delivered, failed, unknown (cut). */
export type DeliveryState = "accepted" | "running" | "answered" | "delivered" | "failed" | "unknown";

export interface DeliveryView {
  id: string;
  hook: string;
  receivedAt: string;
  state: DeliveryState;
  /** Why it failed or is unknown; "delivering" while an answer is on its way. */
  note: string | null;
  /** The agent's answer (cut at 16 KiB) and where it went, once there is one. */
  reply: { text: string; delivery: { channel: string; target: string; state: string } | null } | null;
}

/** What a delivery submits: the message and its route (brain/submit.ts), without the ids. */
export type PlannedMessage = Omit<SubmitRequest, "source" | "account" | "messageId" | "now">;

const ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

/** A fresh delivery id: `hk_` and 16 random base32 characters (80 bits). */
export function newDeliveryId(random: (n: number) => Buffer = crypto.randomBytes): string {
  let id = "hk_";
  for (const b of random(16)) id += ID_ALPHABET[b & 31];
  return id;
}

/** The stored form of a key a sender sent: within its hook, so one key on two hooks is two deliveries. */
export function sentKey(hook: string, key: string): string {
  return `${hook}:${key}`;
}

/** The first delivery with this stored key, if any. */
export function findByKey(store: StoreHandle, stored: string): { id: string; hook: string } | null {
  const row = store.prepare("SELECT id, hook FROM hook_deliveries WHERE idempotency_key = ?").get(stored) as { id: string; hook: string } | undefined;
  return row ?? null;
}

/** Records a delivery and submits its message (inside the caller's write). */
export function recordDelivery(store: StoreHandle, d: { id: string; hook: string; key: string | null; message: PlannedMessage; now: number }): void {
  const { inboundId } = submitMessage(store, { ...d.message, source: "hook", account: d.hook, messageId: d.id, now: d.now });
  store
    .prepare("INSERT INTO hook_deliveries (id, idempotency_key, hook, inbound_id, received_at) VALUES (?, ?, ?, ?, ?)")
    .run(d.id, d.key === null ? `${d.hook}#${d.id}` : sentKey(d.hook, d.key), d.hook, inboundId, d.now);
}

const REPLY_CHARS = 16 * 1024;

function stateOf(s: NonNullable<ReturnType<typeof submittedState>>): { state: DeliveryState; note: string | null } {
  if (s.inbound === "pending") return { state: "accepted", note: null };
  if (s.inbound === "running" || !s.run || s.run.state === "running") return { state: "running", note: null };
  if (s.run.state === "interrupted") return { state: "unknown", note: "cut by a restart or its timeout: it may have acted, and is not run again" };
  if (s.run.state === "aborted") return { state: "unknown", note: "stopped by the operator" };
  if (s.run.state === "failed" || s.inbound === "failed") return { state: "failed", note: s.run.error };
  if (!s.reply) return { state: "answered", note: null };
  if (s.reply.state === "pending") return { state: "answered", note: "delivering" };
  if (s.reply.state === "failed") return { state: "failed", note: `not delivered: ${s.reply.error ?? "failed"}` };
  return { state: "delivered", note: null };
}

/** A delivery and what became of it; null when no delivery has that id. */
export function deliveryView(store: Pick<StoreHandle, "prepare">, id: string): DeliveryView | null {
  const d = store.prepare("SELECT id, hook, inbound_id AS inboundId, received_at AS receivedAt FROM hook_deliveries WHERE id = ?").get(id) as
    | { id: string; hook: string; inboundId: number | null; receivedAt: number }
    | undefined;
  if (!d) return null;
  const base = { id: d.id, hook: d.hook, receivedAt: new Date(d.receivedAt).toISOString() };
  const s = d.inboundId === null ? null : submittedState(store, d.inboundId);
  if (!s) return { ...base, state: "unknown", note: "its message is no longer in the store", reply: null };
  const { state, note } = stateOf(s);
  let reply: DeliveryView["reply"] = null;
  if (s.run && s.run.state !== "running") {
    const line = store.prepare("SELECT content FROM messages WHERE run_id = ? AND role IN ('assistant', 'notice') ORDER BY id DESC LIMIT 1").get(s.run.id) as
      | { content: string }
      | undefined;
    const out = store.prepare("SELECT channel, target, state FROM outbox WHERE inbound_id = ? ORDER BY id LIMIT 1").get(d.inboundId) as
      | { channel: string; target: string; state: string }
      | undefined;
    if (line) reply = { text: line.content.length > REPLY_CHARS ? `${line.content.slice(0, REPLY_CHARS)}…` : line.content, delivery: out ? { ...out } : null };
  }
  return { ...base, state, note, reply };
}

/** The newest deliveries, newest first (for `hooks status`). */
export function recentDeliveries(store: Pick<StoreHandle, "prepare">, limit = 20): Array<{ id: string; hook: string; receivedAt: string }> {
  const rows = store.prepare("SELECT id, hook, received_at AS receivedAt FROM hook_deliveries ORDER BY rowid DESC LIMIT ?").all(limit) as Array<{
    id: string;
    hook: string;
    receivedAt: number;
  }>;
  return rows.map((r) => ({ id: r.id, hook: r.hook, receivedAt: new Date(r.receivedAt).toISOString() }));
}

/** How many deliveries each hook has had (for `hooks status`). */
export function deliveryCounts(store: Pick<StoreHandle, "prepare">): Record<string, number> {
  const rows = store.prepare("SELECT hook, count(*) AS n FROM hook_deliveries GROUP BY hook").all() as Array<{ hook: string; n: number }>;
  return Object.fromEntries(rows.map((r) => [r.hook, r.n]));
}
