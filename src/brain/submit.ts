/**
 * A message no chat sent (a cron occurrence, a webhook) becomes an inbound row like any other, so
 * it runs through the same exactly-once pipeline: one run per message, resumed or abandoned after
 * a crash, its reply in the outbox. Its identity is its source and the source's own key
 * (`channel` = source, `account` = the job or hook, `message_id` = the occurrence or delivery), so
 * a second submission of one key is the same message. Where the reply goes, its timeout and what a
 * restart does to it are in `submitted` beside it (runs.ts reads them at claim).
 */
import type { StoreHandle } from "../store/handle.ts";
import type { Submission } from "./runs.ts";

export interface SubmitRequest extends Submission {
  source: "cron" | "hook";
  /** The job id or hook name. */
  account: string;
  /** The source's own key: the occurrence's time, the delivery's idempotency key. */
  messageId: string;
  sessionKey: string;
  text: string;
  /** Who sent it, for the transcript (`cron:<job>`, `hook:<name>`). */
  sender: string;
  now: number;
}

/** Writes the message and its submission (inside the caller's transaction); a repeated key writes nothing and returns the first row. */
export function submitMessage(store: StoreHandle, r: SubmitRequest): { inboundId: number; duplicate: boolean } {
  const row = store
    .prepare(
      `INSERT INTO inbound (channel, account, message_id, session_key, kind, peer, sender, reply_to, text, received_at)
       VALUES (?, ?, ?, ?, 'dm', ?, ?, NULL, ?, ?) ON CONFLICT (channel, account, message_id) DO NOTHING RETURNING id`,
    )
    .get(r.source, r.account, r.messageId, r.sessionKey, r.account, r.sender, r.text, r.now) as { id: number } | undefined;
  if (!row) {
    const first = store.prepare("SELECT id FROM inbound WHERE channel = ? AND account = ? AND message_id = ?").get(r.source, r.account, r.messageId) as {
      id: number;
    };
    return { inboundId: first.id, duplicate: true };
  }
  store
    .prepare(
      `INSERT INTO submitted (inbound_id, source, reply_channel, reply_account, reply_target, timeout_seconds, on_interrupt)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(row.id, r.source, r.reply?.channel ?? null, r.reply?.account ?? null, r.reply?.target ?? null, r.timeoutSeconds, r.onInterrupt);
  return { inboundId: row.id, duplicate: false };
}

/** What became of a submitted message: its run's state and its reply's delivery, for cron_runs and `GET /hooks/runs/ID`. */
export interface SubmittedState {
  inbound: "pending" | "running" | "answered" | "failed" | "dropped";
  run: { id: number; state: string; error: string | null; endedAt: number | null } | null;
  reply: { state: "pending" | "delivered" | "failed"; error: string | null } | null;
}

/** The state of a submitted message, from the store. */
export function submittedState(store: Pick<StoreHandle, "prepare">, inboundId: number): SubmittedState | null {
  const i = store.prepare("SELECT state FROM inbound WHERE id = ?").get(inboundId) as { state: SubmittedState["inbound"] } | undefined;
  if (!i) return null;
  const run = store.prepare("SELECT id, state, error, ended_at AS endedAt FROM runs WHERE inbound_id = ? ORDER BY id DESC LIMIT 1").get(inboundId) as
    | SubmittedState["run"]
    | undefined;
  const reply = store.prepare("SELECT state, last_error AS error FROM outbox WHERE inbound_id = ? ORDER BY id LIMIT 1").get(inboundId) as
    | SubmittedState["reply"]
    | undefined;
  return { inbound: i.state, run: run ?? null, reply: reply ?? null };
}
