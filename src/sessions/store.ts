/**
 * Sessions and transcripts in the store. A session key has at most one live session; a reset
 * ends it (the transcript stays) and the next message starts a new one. Nothing here keeps
 * sessions or messages in memory: history is read from SQLite, bounded by historyLimit.
 */
import type { StoreHandle } from "../store/handle.ts";
import { expiry, type ResetPolicy } from "./reset.ts";

export { modelHistory, type HistoryTurn } from "./history.ts";

export interface LiveSession {
  id: number;
  key: string;
  /** Set when an older session of this key was ended now (daily or idle expiry). */
  expired: "daily" | "idle" | null;
}

export interface TranscriptMessage {
  id: number;
  role: "user" | "assistant" | "system" | "notice" | "tool";
  content: string;
  createdAt: number;
  runId: number | null;
  /**
   * Present on tool lines and on assistant lines that called tools: an assistant line's calls
   * `[{id, name, input}]`, a tool line's `{callId, name, isError}`.
   */
  data?: unknown;
}

/** The live session of `key`, ending an expired one first and creating a new one if needed. Call inside a transaction. */
export function liveSession(store: StoreHandle, key: string, agentId: string, now: number, policy: ResetPolicy): LiveSession {
  const row = store.prepare("SELECT id, last_activity_at FROM sessions WHERE session_key = ? AND ended_at IS NULL").get(key) as
    | { id: number; last_activity_at: number }
    | undefined;
  let expired: LiveSession["expired"] = null;
  if (row) {
    expired = expiry(row.last_activity_at, now, policy);
    if (!expired) return { id: row.id, key, expired: null };
    endSession(store, row.id, expired, now);
  }
  const created = store
    .prepare("INSERT INTO sessions (session_key, agent_id, started_at, last_activity_at) VALUES (?, ?, ?, ?) RETURNING id")
    .get(key, agentId, now, now) as { id: number };
  return { id: created.id, key, expired };
}

/** Ends a live session (reset, new, daily, idle); its transcript is kept. */
export function endSession(store: StoreHandle, sessionId: number, reason: "reset" | "new" | "daily" | "idle", now: number): void {
  store.prepare("UPDATE sessions SET ended_at = ?, ended_reason = ? WHERE id = ? AND ended_at IS NULL").run(now, reason, sessionId);
}

/** Ends the live session of a key, if any; returns whether one was ended. */
export function resetSessionKey(store: StoreHandle, key: string, reason: "reset" | "new", now: number): boolean {
  const r = store.prepare("UPDATE sessions SET ended_at = ?, ended_reason = ? WHERE session_key = ? AND ended_at IS NULL").run(now, reason, key);
  return Number(r.changes) > 0;
}

/** Appends a message to a session's transcript and bumps its activity. */
export function appendMessage(
  store: StoreHandle,
  m: {
    sessionId: number;
    role: TranscriptMessage["role"];
    content: string;
    now: number;
    inboundId?: number | null;
    runId?: number | null;
    /** The structured part of the line, as JSON (tool calls, a tool result's call id). */
    data?: string | null;
  },
): number {
  const row = store
    .prepare("INSERT INTO messages (session_id, role, content, created_at, inbound_id, run_id, data) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id")
    .get(m.sessionId, m.role, m.content, m.now, m.inboundId ?? null, m.runId ?? null, m.data ?? null) as { id: number };
  store.prepare("UPDATE sessions SET last_activity_at = ?, message_count = message_count + 1 WHERE id = ?").run(m.now, m.sessionId);
  return row.id;
}

/** A page of a key's transcript across its sessions, newest last (for chat.history). */
export function transcript(store: StoreHandle, key: string, limit: number, beforeId?: number): TranscriptMessage[] {
  const rows = store
    .prepare(
      `SELECT m.id, m.role, m.content, m.created_at AS createdAt, m.run_id AS runId, m.data FROM messages m JOIN sessions s ON s.id = m.session_id
       WHERE s.session_key = ? AND m.id < ? ORDER BY m.id DESC LIMIT ?`,
    )
    .all(key, beforeId ?? Number.MAX_SAFE_INTEGER, limit) as unknown as Array<TranscriptMessage & { data: string | null }>;
  return rows.reverse().map(({ data, ...m }) => (data === null ? m : { ...m, data: readData(data) }));
}

function readData(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return null; // a damaged line still shows its text
  }
}

export interface SessionSummary {
  key: string;
  sessionId: number;
  /** The channel of the key's last inbound message; null before the first. */
  channel: string | null;
  startedAt: number;
  lastActivityAt: number;
  messageCount: number;
}

/** Live sessions, most recently active first. */
export function listSessions(store: StoreHandle, limit = 100): SessionSummary[] {
  return store
    .prepare(
      `SELECT s.session_key AS key, s.id AS sessionId,
         (SELECT i.channel FROM inbound i WHERE i.session_key = s.session_key ORDER BY i.id DESC LIMIT 1) AS channel,
         s.started_at AS startedAt, s.last_activity_at AS lastActivityAt, s.message_count AS messageCount
       FROM sessions s WHERE s.ended_at IS NULL ORDER BY s.last_activity_at DESC LIMIT ?`,
    )
    .all(limit) as unknown as SessionSummary[];
}
