/**
 * Channels that talk to outside platforms (Telegram first):
 *   - pairings: who may talk to the agent. An unknown sender gets a code; the operator approves
 *     it (`onebrain pairing approve telegram CODE`); approved rows are the channel's allow list.
 *   - outbox.send_started_at: set durably just before a send to a platform that cannot dedupe
 *     (Telegram has no idempotency key). After a crash, a pending row with it set was being
 *     sent and is treated as delivered, never sent twice.
 *   - outbox.platform_message_id: the platform's id of the (first part of the) reply.
 *   - outbox.parts_sent: parts of a long reply already delivered, so a retry resumes after them.
 */
import type { Migration } from "../migrate.ts";

const migration: Migration = {
  version: 3,
  name: "channels",
  up(db) {
    db.exec(`
CREATE TABLE pairings (
  channel TEXT NOT NULL,
  account TEXT NOT NULL,
  sender TEXT NOT NULL,
  sender_name TEXT,
  peer TEXT NOT NULL,
  code TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  approved_at INTEGER,
  approved_by TEXT,
  PRIMARY KEY (channel, account, sender),
  UNIQUE (channel, code)
) STRICT;
ALTER TABLE outbox ADD COLUMN send_started_at INTEGER;
ALTER TABLE outbox ADD COLUMN platform_message_id TEXT;
ALTER TABLE outbox ADD COLUMN parts_sent INTEGER NOT NULL DEFAULT 0 CHECK (parts_sent >= 0);
`);
  },
};

export default migration;
