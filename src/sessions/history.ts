/**
 * A session's transcript as the model sees it: user and assistant lines, an assistant line's tool
 * calls (messages.data) and the tool lines that answer them, rebuilt into turns.
 *
 * Both model APIs refuse a tool call without its result (Anthropic: "tool_use ids were found
 * without tool_result blocks"), so `session.historyLimit` never cuts between them: the window
 * starts at a user line, and a call whose result line is missing gets an error result.
 */
import type { StoreHandle } from "../store/handle.ts";

/**
 * One past turn. The same shape as the agent's `ChatTurn` (src/agent/provider.ts), declared here
 * because sessions may not import agent (same layer); the brain passes one as the other, so the
 * type checker keeps the two in step.
 */
export type HistoryTurn =
  | { role: "user"; content: string }
  | { role: "assistant"; content: string; toolCalls?: HistoryCall[] }
  | { role: "tool"; results: Array<{ callId: string; content: string; isError: boolean }> };

/** A tool call as an assistant line's `data` records it. */
export interface HistoryCall {
  id: string;
  name: string;
  input: Record<string, unknown>;
  inputError?: string;
}

/** A transcript line as history reads it. */
export interface HistoryRow {
  id: number;
  role: string;
  content: string;
  data: string | null;
}

/** The result a call gets in history when its own result line is missing (a run that ended oddly). */
export const MISSING_RESULT = "No result was recorded for this call: its run ended before the call finished. Check before relying on it.";

/**
 * Rows (oldest first) to turns. The tool lines after an assistant line with calls become one tool
 * turn in the calls' order (a second line for a call is ignored). A call without a line gets
 * MISSING_RESULT, except in the last turn with `leaveLastOpen` (a run being resumed: the loop
 * runs those calls). With `strict`, unreadable `data` throws (a damaged journal); otherwise such
 * a line reads as plain text.
 */
export function turnsOf(rows: readonly HistoryRow[], o: { leaveLastOpen: boolean; strict: boolean }): HistoryTurn[] {
  const turns: HistoryTurn[] = [];
  let open: { calls: HistoryCall[]; results: Map<string, { callId: string; content: string; isError: boolean }> } | null = null;
  const close = (last: boolean): void => {
    if (!open) return;
    const { calls, results } = open;
    open = null;
    const answered = calls.flatMap((c) => {
      const r = results.get(c.id);
      if (r) return [r];
      return last && o.leaveLastOpen ? [] : [{ callId: c.id, content: MISSING_RESULT, isError: true }];
    });
    if (answered.length) turns.push({ role: "tool", results: answered });
  };
  for (const row of rows) {
    if (row.role === "tool") {
      const d = parse(row, o.strict) as { callId?: unknown; isError?: unknown } | null;
      if (open && typeof d?.callId === "string" && !open.results.has(d.callId) && open.calls.some((c) => c.id === d.callId)) {
        open.results.set(d.callId, { callId: d.callId, content: row.content, isError: d.isError === true });
      }
      continue; // a result without its call (never written so) is left out: the API would refuse it
    }
    close(false);
    if (row.role === "user") turns.push({ role: "user", content: row.content });
    else if (row.role === "assistant") {
      const calls = callsOf(row, o.strict);
      if (calls.length) {
        turns.push({ role: "assistant", content: row.content, toolCalls: calls });
        open = { calls, results: new Map() };
      } else turns.push({ role: "assistant", content: row.content });
    }
  }
  close(true);
  return turns;
}

function parse(row: HistoryRow, strict: boolean): unknown {
  if (row.data === null) return null;
  try {
    return JSON.parse(row.data);
  } catch (err) {
    if (strict) throw new Error(`transcript line ${row.id} has unreadable data: ${(err as Error).message}`, { cause: err });
    return null;
  }
}

function callsOf(row: HistoryRow, strict: boolean): HistoryCall[] {
  const d = parse(row, strict);
  if (!Array.isArray(d)) {
    if (strict && d !== null) throw new Error(`transcript line ${row.id}: its tool calls are not a list`);
    return [];
  }
  const calls: HistoryCall[] = [];
  for (const c of d as Array<Partial<HistoryCall> | null>) {
    if (typeof c?.id !== "string" || typeof c.name !== "string" || typeof c.input !== "object" || c.input === null) {
      if (strict) throw new Error(`transcript line ${row.id}: a tool call lacks its id, name or input`);
      continue;
    }
    calls.push({ id: c.id, name: c.name, input: c.input, ...(typeof c.inputError === "string" ? { inputError: c.inputError } : {}) });
  }
  return calls;
}

const WINDOW_SQL = `SELECT id, role, content, data FROM messages WHERE session_id = ? AND role IN ('user', 'assistant', 'tool') AND id <= ?
  ORDER BY id DESC LIMIT ?`;

/**
 * The last `limit` lines of a session (up to line `upTo`) as turns, oldest first. The window is
 * moved forward to its first user line, so it never starts inside an exchange of calls and
 * results; when it holds no user line (one long run of tool calls), it reaches back to the last
 * one instead, so the question being answered is always there.
 */
export function modelHistory(store: StoreHandle, sessionId: number, limit: number, upTo = Number.MAX_SAFE_INTEGER): HistoryTurn[] {
  if (limit <= 0) return [];
  let rows = (store.prepare(WINDOW_SQL).all(sessionId, upTo, limit) as unknown as HistoryRow[]).reverse();
  const first = rows.findIndex((r) => r.role === "user");
  if (first >= 0) rows = rows.slice(first);
  else {
    const last = store.prepare("SELECT max(id) AS id FROM messages WHERE session_id = ? AND role = 'user' AND id <= ?").get(sessionId, upTo) as {
      id: number | null;
    };
    if (last.id === null) return [];
    rows = store
      .prepare("SELECT id, role, content, data FROM messages WHERE session_id = ? AND role IN ('user', 'assistant', 'tool') AND id BETWEEN ? AND ? ORDER BY id")
      .all(sessionId, last.id, upTo) as unknown as HistoryRow[];
  }
  return turnsOf(rows, { leaveLastOpen: false, strict: false });
}
