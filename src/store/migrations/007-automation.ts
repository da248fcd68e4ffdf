/**
 * Cron, hooks and alerts owned by the brain (issue 16):
 *   - submitted: an inbound message that no chat sent (a cron occurrence, a webhook): where its
 *     reply goes (a channel target, or nowhere), its own run timeout, and what a restart does to
 *     its interrupted run (`abandon`: it ends `interrupted`, never run again; `resume`: as a chat's).
 *     A failed or timed-out submitted run delivers nothing: its state says what became of it.
 *   - cron_jobs: each job as created and validated (schedule, target, message, delivery, missed
 *     policy), paused or not; `cursor` is the last occurrence already decided (fired or missed).
 *   - cron_runs: one row per occurrence, UNIQUE (job, scheduled_for), inserted in the transaction
 *     that fires it: an occurrence fires once. A `missed` row may stand for a span of occurrences
 *     (`scheduled_for` .. `last_for`, `count`), so a long outage of a frequent job stays a few rows.
 *   - hook_deliveries: each accepted webhook by its idempotency key, durably: a replay answers the
 *     first delivery's id and starts nothing.
 *   - alerts: the watchdog's open and closed alerts (one per condition at a time) and their sends.
 */
import type { Migration } from "../migrate.ts";

const migration: Migration = {
  version: 7,
  name: "automation",
  up(db) {
    db.exec(`
CREATE TABLE submitted (
  inbound_id INTEGER PRIMARY KEY REFERENCES inbound (id),
  source TEXT NOT NULL CHECK (source IN ('cron', 'hook')),
  reply_channel TEXT,
  reply_account TEXT,
  reply_target TEXT,
  timeout_seconds INTEGER CHECK (timeout_seconds IS NULL OR timeout_seconds >= 1),
  on_interrupt TEXT NOT NULL CHECK (on_interrupt IN ('abandon', 'resume')),
  CHECK ((reply_channel IS NULL) = (reply_target IS NULL))
) STRICT;

CREATE TABLE cron_jobs (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  schedule TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  session_key TEXT,
  message TEXT NOT NULL,
  delivery TEXT NOT NULL,
  missed TEXT NOT NULL CHECK (missed IN ('skip', 'latest', 'all')),
  catchup_window_ms INTEGER NOT NULL CHECK (catchup_window_ms >= 0),
  timeout_seconds INTEGER NOT NULL CHECK (timeout_seconds >= 1),
  retry_unknown INTEGER NOT NULL DEFAULT 0 CHECK (retry_unknown IN (0, 1)),
  paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
  cursor INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE cron_runs (
  id INTEGER PRIMARY KEY,
  job_id TEXT NOT NULL,
  scheduled_for INTEGER NOT NULL,
  last_for INTEGER,
  count INTEGER NOT NULL DEFAULT 1 CHECK (count >= 1),
  state TEXT NOT NULL CHECK (state IN ('running', 'delivered', 'done', 'failed', 'missed', 'unknown')),
  manual INTEGER NOT NULL DEFAULT 0 CHECK (manual IN (0, 1)),
  inbound_id INTEGER REFERENCES inbound (id),
  fired_at INTEGER,
  ended_at INTEGER,
  note TEXT,
  UNIQUE (job_id, scheduled_for)
) STRICT;
CREATE INDEX cron_runs_open ON cron_runs (state) WHERE state = 'running';
CREATE INDEX cron_runs_job ON cron_runs (job_id, id);

CREATE TABLE hook_deliveries (
  id TEXT PRIMARY KEY,
  idempotency_key TEXT NOT NULL UNIQUE,
  hook TEXT NOT NULL,
  inbound_id INTEGER REFERENCES inbound (id),
  received_at INTEGER NOT NULL
) STRICT;

CREATE TABLE alerts (
  id INTEGER PRIMARY KEY,
  condition TEXT NOT NULL,
  opened_at INTEGER NOT NULL,
  closed_at INTEGER,
  detail TEXT NOT NULL,
  sends INTEGER NOT NULL DEFAULT 0 CHECK (sends >= 0),
  last_sent_at INTEGER
) STRICT;
CREATE UNIQUE INDEX alerts_open ON alerts (condition) WHERE closed_at IS NULL;
`);
  },
};

export default migration;
