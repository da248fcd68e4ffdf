/**
 * The watchdog's durable record (tables alerts and alert_sends): opening an alert writes the alert,
 * one send per target and each chat send's outbox row in one transaction; closing it writes the
 * recovery sends to the same targets the same way. A crash before the commit loses nothing (the
 * next check decides again); after it, nothing is sent twice (the outbox's keys, the send rows).
 */
import { enqueueReply } from "../brain/runs.ts";
import type { AlertSendView, AlertView } from "../protocol/alerts.ts";
import type { StoreHandle } from "../store/handle.ts";
import type { OpenAlert } from "./decide.ts";
import type { AlertTarget } from "./targets.ts";
import { alertText, type AlertFacts, type AlertPhase } from "./text.ts";

interface AlertRow {
  id: number;
  condition: string;
  detail: string;
  opened_at: number;
  closed_at: number | null;
}

const facts = (r: AlertRow): AlertFacts => ({ id: r.id, condition: r.condition, detail: r.detail, openedAt: r.opened_at, closedAt: r.closed_at });

/** The alerts open now (one per condition at most). */
export function openAlerts(store: StoreHandle): OpenAlert[] {
  return (store.prepare("SELECT id, condition, opened_at FROM alerts WHERE closed_at IS NULL ORDER BY id").all() as unknown as AlertRow[]).map((r) => ({
    id: r.id,
    condition: r.condition,
    openedAt: r.opened_at,
  }));
}

/** How many alerts of `condition` opened since `since` (each doubles the wait before the next). */
export function alertsSince(store: StoreHandle, condition: string, since: number): number {
  return (store.prepare("SELECT count(*) AS n FROM alerts WHERE condition = ? AND opened_at >= ?").get(condition, since) as { n: number }).n;
}

/** Writes one phase's sends of alert `a` (inside the caller's transaction); returns how many. */
function writeSends(
  store: StoreHandle,
  a: AlertFacts,
  phase: AlertPhase,
  targets: readonly AlertTarget[],
  o: { epoch: number; now: number; host: string },
): number {
  const insert = store.prepare(
    `INSERT INTO alert_sends (alert_id, phase, target, label, kind, outbox_id, state, next_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (alert_id, phase, target) DO NOTHING`,
  );
  for (const t of targets) {
    if (t.kind === "webhook") {
      insert.run(a.id, phase, t.key, t.label, "webhook", null, "pending", o.now);
      continue;
    }
    // The opening time makes the key unique even if a pruned alert's id is used again.
    const key = `alert:${a.id}:${a.openedAt}:${phase}:${t.key}`;
    const text = alertText(a, phase, o.host);
    const outboxId = enqueueReply(store, {
      inboundId: null,
      key,
      channel: t.channel,
      account: t.account,
      target: t.target,
      replyTo: null,
      text,
      epoch: o.epoch,
      now: o.now,
    });
    insert.run(a.id, phase, t.key, t.label, "channel", outboxId, "queued", null);
  }
  store.prepare("UPDATE alerts SET sends = sends + ?, last_sent_at = ? WHERE id = ?").run(targets.length, o.now, a.id);
  return targets.length;
}

/** Opens an alert for `condition` with its sends; null when one is open already. `closeAt` closes it at once (a test alert). */
export function openAlert(
  store: StoreHandle,
  s: { condition: string; detail: string; openedAt: number },
  targets: readonly AlertTarget[],
  o: { epoch: number; now: number; host: string; closeAt?: number },
): AlertFacts | null {
  return store.transaction(() => {
    if (store.prepare("SELECT 1 FROM alerts WHERE condition = ? AND closed_at IS NULL").get(s.condition)) return null;
    const row = store
      .prepare("INSERT INTO alerts (condition, opened_at, closed_at, detail) VALUES (?, ?, ?, ?) RETURNING id, condition, detail, opened_at, closed_at")
      .get(s.condition, s.openedAt, o.closeAt ?? null, s.detail) as unknown as AlertRow;
    const a = facts(row);
    writeSends(store, a, "open", targets, o);
    return a;
  });
}

/**
 * Closes alert `id` and writes its recovery to the targets its alert went to: a chat target as it
 * was (from its outbox row), a webhook by its key among `webhooks` (one no longer configured is
 * recorded failed, with why). Null when it was closed already.
 */
export function recoverAlert(
  store: StoreHandle,
  id: number,
  webhooks: readonly AlertTarget[],
  o: { epoch: number; now: number; host: string },
): AlertFacts | null {
  return store.transaction(() => {
    const row = store
      .prepare("UPDATE alerts SET closed_at = ? WHERE id = ? AND closed_at IS NULL RETURNING id, condition, detail, opened_at, closed_at")
      .get(o.now, id) as AlertRow | undefined;
    if (!row) return null;
    const a = facts(row);
    const sent = store
      .prepare(
        `SELECT s.target, s.label, s.kind, o.channel, o.account, o.target AS chat FROM alert_sends s LEFT JOIN outbox o ON o.id = s.outbox_id
         WHERE s.alert_id = ? AND s.phase = 'open'`,
      )
      .all(id) as Array<{ target: string; label: string; kind: string; channel: string | null; account: string | null; chat: string | null }>;
    const targets: AlertTarget[] = [];
    for (const r of sent) {
      if (r.kind === "channel" && r.channel !== null)
        targets.push({ kind: "channel", key: r.target, label: r.label, channel: r.channel, account: r.account!, target: r.chat! });
      else if (r.kind === "webhook") {
        const w = webhooks.find((t) => t.key === r.target);
        if (w) targets.push(w);
        else
          store
            .prepare(`INSERT INTO alert_sends (alert_id, phase, target, label, kind, state, last_error) VALUES (?, 'recovery', ?, ?, 'webhook', 'failed', ?)`)
            .run(id, r.target, r.label, "this webhook is no longer among alerts.targets");
      }
    }
    writeSends(store, a, "recovery", targets, o);
    return a;
  });
}

/** A webhook send that is due, with its alert. */
export interface DueSend extends AlertFacts {
  phase: AlertPhase;
  target: string;
  attempts: number;
}

/** Webhook sends whose next try is due, oldest first. */
export function dueWebhookSends(store: StoreHandle, now: number, limit = 20): DueSend[] {
  const rows = store
    .prepare(
      `SELECT a.id, a.condition, a.detail, a.opened_at, a.closed_at, s.phase, s.target, s.attempts FROM alert_sends s JOIN alerts a ON a.id = s.alert_id
       WHERE s.state = 'pending' AND s.next_at <= ? ORDER BY s.next_at LIMIT ?`,
    )
    .all(now, limit) as unknown as Array<AlertRow & { phase: AlertPhase; target: string; attempts: number }>;
  return rows.map((r) => ({ ...facts(r), phase: r.phase, target: r.target, attempts: r.attempts }));
}

/** The earliest next try of a pending webhook send, or null. */
export function nextWebhookAt(store: StoreHandle): number | null {
  return (store.prepare("SELECT min(next_at) AS t FROM alert_sends WHERE state = 'pending'").get() as { t: number | null }).t;
}

/** Records a webhook try: sent, failed for good, or to be tried again at `nextAt`. */
export function recordTry(
  store: StoreHandle,
  s: { id: number; phase: AlertPhase; target: string },
  r: { state: "sent"; now: number } | { state: "failed"; error: string } | { state: "pending"; nextAt: number; error: string },
): void {
  const sql =
    r.state === "sent"
      ? "UPDATE alert_sends SET state = 'sent', attempts = attempts + 1, sent_at = ?, last_error = NULL, next_at = NULL"
      : r.state === "failed"
        ? "UPDATE alert_sends SET state = 'failed', attempts = attempts + 1, last_error = ?, next_at = NULL"
        : "UPDATE alert_sends SET attempts = attempts + 1, last_error = ?, next_at = ?";
  const args = r.state === "sent" ? [r.now] : r.state === "failed" ? [r.error] : [r.error, r.nextAt];
  store.prepare(`${sql} WHERE alert_id = ? AND phase = ? AND target = ? AND state = 'pending'`).run(...args, s.id, s.phase, s.target);
}

/** Alerts as the status shows them: the open ones, or the newest `limit` closed ones; each with its sends. */
export function alertViews(store: Pick<StoreHandle, "prepare">, which: { open: true } | { closed: number } | { id: number }): AlertView[] {
  const rows = ("open" in which
    ? store.prepare("SELECT * FROM alerts WHERE closed_at IS NULL ORDER BY id DESC").all()
    : "id" in which
      ? store.prepare("SELECT * FROM alerts WHERE id = ?").all(which.id)
      : store.prepare("SELECT * FROM alerts WHERE closed_at IS NOT NULL ORDER BY id DESC LIMIT ?").all(which.closed)) as unknown as AlertRow[];
  const sends = store.prepare(
    `SELECT s.phase, s.label, s.kind, s.state, s.attempts, s.last_error, s.sent_at, o.state AS outbox, o.attempts AS tries, o.last_error AS outboxError,
            o.delivered_at AS deliveredAt
     FROM alert_sends s LEFT JOIN outbox o ON o.id = s.outbox_id WHERE s.alert_id = ? ORDER BY s.phase DESC, s.label`,
  );
  return rows.map((r) => ({
    ...facts(r),
    sends: (sends.all(r.id) as Array<Record<string, string | number | null>>).map((s): AlertSendView => {
      const chat = s.kind === "channel";
      const state = chat ? (s.outbox === "delivered" ? "delivered" : s.outbox === "failed" ? "failed" : "queued") : (s.state as AlertSendView["state"]);
      return {
        phase: s.phase as AlertSendView["phase"],
        target: s.label as string,
        kind: s.kind as AlertSendView["kind"],
        state,
        attempts: Number(chat ? (s.tries ?? 0) : s.attempts),
        lastError: (chat ? s.outboxError : s.last_error) as string | null,
        sentAt: (chat ? s.deliveredAt : s.sent_at) as number | null,
      };
    }),
  }));
}

/** Deletes alerts closed before `before`, with their sends. */
export function pruneAlerts(store: StoreHandle, before: number): number {
  return store.transaction(() => {
    store.prepare("DELETE FROM alert_sends WHERE alert_id IN (SELECT id FROM alerts WHERE closed_at IS NOT NULL AND closed_at < ?)").run(before);
    return Number(store.prepare("DELETE FROM alerts WHERE closed_at IS NOT NULL AND closed_at < ?").run(before).changes);
  });
}
