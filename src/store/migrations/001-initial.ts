/**
 * The first schema of the brain's database. Times are INTEGER epoch ms; every table is STRICT so
 * a wrong type is an error, not a silent conversion; enum-like columns carry CHECKs whose values
 * match the unions in `../rows.ts`. Released: never edit, add 002 instead.
 */
import type { Migration } from "../migrate.ts";

const SQL = `
-- meta: small key/value facts about this brain; 'epoch' is the fencing epoch (bumped at each lock take-over).
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
INSERT INTO meta (key, value) VALUES ('epoch', '0');

-- inbound: every message a channel delivered, once (dedup on the channel's own id), with its processing state.
CREATE TABLE inbound (
  id INTEGER PRIMARY KEY,
  channel TEXT NOT NULL,
  account TEXT NOT NULL,
  message_id TEXT NOT NULL,
  session_key TEXT NOT NULL,
  kind TEXT NOT NULL DEFAULT 'dm' CHECK (kind IN ('dm', 'group')),
  peer TEXT NOT NULL,
  sender TEXT,
  reply_to TEXT,
  text TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'answered', 'failed', 'dropped')),
  UNIQUE (channel, account, message_id)
) STRICT;
CREATE INDEX inbound_state ON inbound (state, id);
CREATE INDEX inbound_session_key ON inbound (session_key, id);

-- sessions: one conversation per session key; ending one (reset, daily, idle, new) keeps its transcript.
CREATE TABLE sessions (
  id INTEGER PRIMARY KEY,
  session_key TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  channel TEXT,
  account TEXT,
  kind TEXT,
  peer TEXT,
  started_at INTEGER NOT NULL,
  last_activity_at INTEGER NOT NULL,
  ended_at INTEGER,
  ended_reason TEXT CHECK (ended_reason IN ('reset', 'daily', 'idle', 'new')),
  message_count INTEGER NOT NULL DEFAULT 0 CHECK (message_count >= 0)
) STRICT;
-- At most one live session per key; ended ones may share it.
CREATE UNIQUE INDEX sessions_live_key ON sessions (session_key) WHERE ended_at IS NULL;

-- runs: one agent turn answering an inbound message, stamped with the epoch of the gateway that ran it.
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  inbound_id INTEGER NOT NULL REFERENCES inbound (id),
  session_id INTEGER NOT NULL REFERENCES sessions (id),
  state TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed', 'interrupted', 'aborted')),
  model TEXT,
  started_at INTEGER NOT NULL,
  ended_at INTEGER,
  error TEXT,
  epoch INTEGER NOT NULL
) STRICT;
-- Start-up finds the runs a dead gateway left 'running'; the pipeline looks runs up by inbound.
CREATE INDEX runs_state ON runs (state, id);
CREATE INDEX runs_inbound ON runs (inbound_id);

-- messages: the transcript of a session, in id order.
CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system', 'notice')),
  content TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  inbound_id INTEGER REFERENCES inbound (id),
  run_id INTEGER REFERENCES runs (id)
) STRICT;
CREATE INDEX messages_session ON messages (session_id, id);

-- outbox: replies to deliver, at most once per idempotency key, retried until delivered or failed.
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  inbound_id INTEGER REFERENCES inbound (id),
  idempotency_key TEXT NOT NULL UNIQUE,
  channel TEXT NOT NULL,
  account TEXT NOT NULL,
  target TEXT NOT NULL,
  reply_to TEXT,
  text TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  last_error TEXT,
  created_at INTEGER NOT NULL,
  delivered_at INTEGER,
  epoch INTEGER NOT NULL
) STRICT;
CREATE INDEX outbox_state ON outbox (state, id);

-- channel_cursors: how far each channel account has been read (e.g. a polling offset), so a restart resumes there.
CREATE TABLE channel_cursors (
  channel TEXT NOT NULL,
  account TEXT NOT NULL,
  cursor TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (channel, account)
) STRICT;
`;

/** Migration 1: meta, inbound, sessions, runs, messages, outbox, channel_cursors. */
export const initial: Migration = {
  version: 1,
  name: "initial",
  up(db) {
    db.exec(SQL);
  },
};

export default initial;
