/**
 * The agent acts (issue 12):
 *   - messages gains role 'tool' (a tool result) and `data`, the structured part of a line as JSON:
 *     an assistant line's tool calls `[{id, name, input, inputError?}]`, a tool line's result
 *     `{callId, name, isError}`. SQLite cannot change a CHECK in place, so the table is rebuilt.
 *   - runs.resumes counts restarts that resumed the run (a crash loop ends after a few);
 *     runs.steps counts its model turns that called tools.
 *   - tool_calls: the journal of each call: planned with the model's turn, `started` on disk before
 *     a side effect begins, `done` with its result; a side-effecting call found `started` after a
 *     crash is `unknown`, never run again. pid/pgid/proc_start name an exec's process group so the
 *     next start can reap it.
 *   - approvals: exec approval requests and their answers; `executed_at` is set (once) before an
 *     approved command starts: one approval, at most one execution.
 *   - exec_allowlist: executables allowed for ever by an "allow always" answer.
 *   - memory_fts: full-text index of transcripts (caught up by memory search from meta
 *     'memory_fts_upto', not by an insert trigger: that cost a fifth of the chat throughput) and
 *     of workspace notes.
 */
import type { Migration } from "../migrate.ts";

const migration: Migration = {
  version: 5,
  name: "tools",
  up(db) {
    db.exec(`
CREATE TABLE messages_v5 (
  id INTEGER PRIMARY KEY,
  session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system', 'notice', 'tool')),
  content TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  inbound_id INTEGER REFERENCES inbound (id),
  run_id INTEGER REFERENCES runs (id),
  data TEXT
) STRICT;
INSERT INTO messages_v5 (id, session_id, role, content, created_at, inbound_id, run_id)
  SELECT id, session_id, role, content, created_at, inbound_id, run_id FROM messages;
DROP TABLE messages;
ALTER TABLE messages_v5 RENAME TO messages;
CREATE INDEX messages_session ON messages (session_id, id);
CREATE INDEX messages_run ON messages (run_id, id) WHERE run_id IS NOT NULL;

ALTER TABLE runs ADD COLUMN resumes INTEGER NOT NULL DEFAULT 0 CHECK (resumes >= 0);
ALTER TABLE runs ADD COLUMN steps INTEGER NOT NULL DEFAULT 0 CHECK (steps >= 0);

CREATE TABLE tool_calls (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs (id),
  step INTEGER NOT NULL CHECK (step >= 1),
  call_id TEXT NOT NULL,
  name TEXT NOT NULL,
  input TEXT NOT NULL,
  side_effects INTEGER NOT NULL CHECK (side_effects IN (0, 1)),
  state TEXT NOT NULL CHECK (state IN ('planned', 'awaiting-approval', 'started', 'done', 'unknown')),
  approval_id TEXT,
  result TEXT,
  is_error INTEGER CHECK (is_error IN (0, 1)),
  pid INTEGER,
  pgid INTEGER,
  proc_start INTEGER,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  ended_at INTEGER,
  epoch INTEGER NOT NULL,
  UNIQUE (run_id, step, call_id)
) STRICT;
CREATE INDEX tool_calls_open ON tool_calls (state, id) WHERE state IN ('planned', 'awaiting-approval', 'started');
CREATE INDEX tool_calls_process ON tool_calls (pgid) WHERE pgid IS NOT NULL AND ended_at IS NULL;

CREATE TABLE approvals (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL DEFAULT 'exec' CHECK (kind IN ('exec')),
  run_id INTEGER REFERENCES runs (id),
  call_id TEXT,
  session_key TEXT NOT NULL,
  channel TEXT NOT NULL,
  account TEXT NOT NULL,
  peer TEXT NOT NULL,
  command TEXT NOT NULL,
  argv TEXT NOT NULL,
  cwd TEXT NOT NULL,
  env_names TEXT NOT NULL,
  executables TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'allow-once', 'allow-always', 'deny', 'expired')),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  decided_at INTEGER,
  decided_by TEXT,
  reason TEXT,
  executed_at INTEGER
) STRICT;
CREATE INDEX approvals_state ON approvals (state, expires_at);

CREATE TABLE exec_allowlist (
  executable TEXT PRIMARY KEY,
  added_at INTEGER NOT NULL,
  added_by TEXT NOT NULL,
  approval_id TEXT
) STRICT;

CREATE VIRTUAL TABLE memory_fts USING fts5 (
  content,
  source UNINDEXED,
  ref UNINDEXED,
  created_at UNINDEXED,
  tokenize = 'unicode61 remove_diacritics 2'
);
-- Transcripts are indexed by memory search itself, from meta 'memory_fts_upto' on (an insert
-- trigger cost a fifth of the chat throughput); a deleted line leaves the index at once, and
-- moves the mark back if its id could be reused.
INSERT INTO meta (key, value) VALUES ('memory_fts_upto', '0');
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.role IN ('user', 'assistant') BEGIN
  DELETE FROM memory_fts WHERE rowid = old.id;
  UPDATE meta SET value = CAST(old.id - 1 AS TEXT) WHERE key = 'memory_fts_upto' AND CAST(value AS INTEGER) >= old.id;
END;

-- Workspace notes indexed for memory_search: which file versions are in memory_fts (rowids above 2^40).
CREATE TABLE memory_notes (
  path TEXT PRIMARY KEY,
  mtime_ms INTEGER NOT NULL,
  size INTEGER NOT NULL,
  indexed_at INTEGER NOT NULL
) STRICT;
`);
  },
};

export default migration;
