/**
 * The watchdog's sends (issue 16, docs/alerts.md): one row per alert, phase (`open`, `recovery`)
 * and target, written in the transaction that opens or closes the alert, so a crash never loses
 * nor doubles one.
 *   - A chat target's send is an outbox row (`outbox_id`, key `alert:<id>:<opened_at>:<phase>:<target>`): the
 *     outbox delivers it exactly once, and its state is the send's.
 *   - A webhook target's send is retried here with backoff (`next_at`) until the URL answers 2xx
 *     (`sent`) or refuses for good (`failed`); each POST carries the same Idempotency-Key.
 * `alerts_condition` finds a condition's recent alerts: each one in the last hours doubles the time
 * the next must wait, so a flapping channel does not become a flood.
 */
import type { Migration } from "../migrate.ts";

const migration: Migration = {
  version: 8,
  name: "alert-sends",
  up(db) {
    db.exec(`
CREATE TABLE alert_sends (
  alert_id INTEGER NOT NULL REFERENCES alerts (id),
  phase TEXT NOT NULL CHECK (phase IN ('open', 'recovery')),
  target TEXT NOT NULL,
  label TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('channel', 'webhook')),
  outbox_id INTEGER REFERENCES outbox (id),
  state TEXT NOT NULL CHECK (state IN ('queued', 'pending', 'sent', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_at INTEGER,
  last_error TEXT,
  sent_at INTEGER,
  PRIMARY KEY (alert_id, phase, target)
) STRICT;
CREATE INDEX alert_sends_due ON alert_sends (next_at) WHERE state = 'pending';
CREATE INDEX alerts_condition ON alerts (condition, opened_at);
`);
  },
};

export default migration;
