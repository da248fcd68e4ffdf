/**
 * Sessions and transcripts in OpenClaw's shapes (`sessions.list`, `sessions.describe`,
 * `chat.history`, `chat.startup`): a session row per live session key, messages as OpenClaw's
 * transcript lines (a user's text as a string, the assistant's as text blocks).
 */
import { transcript, type TranscriptMessage } from "../../../sessions/store.ts";
import type { GatewayContext } from "../../context.ts";
import { agentOf, openclawRunId } from "../events.ts";

interface SessionRow {
  id: number;
  key: string;
  agentId: string;
  kind: string | null;
  channel: string | null;
  startedAt: number;
  lastActivityAt: number;
  messageCount: number;
}

const SESSION_SELECT = `SELECT id, session_key AS key, agent_id AS agentId, kind, channel, started_at AS startedAt, last_activity_at AS lastActivityAt,
  message_count AS messageCount FROM sessions WHERE ended_at IS NULL`;

/** The model defaults OpenClaw's clients show beside a session. */
export function modelDefaults(ctx: GatewayContext, agentId?: string): Record<string, unknown> {
  const d = ctx.brain.agent.models(agentId).descriptions[0];
  return d ? { modelProvider: d.provider, model: d.model, contextTokens: null } : { modelProvider: null, model: null, contextTokens: null };
}

/** One session as OpenClaw's session rows carry it. */
function sessionInfo(ctx: GatewayContext, s: SessionRow): Record<string, unknown> {
  const active = ctx.brain.brain.activeRuns().filter((r) => r.sessionKey === s.key);
  const last = ctx.brain.store.prepare("SELECT content FROM messages WHERE session_id = ? AND role = 'assistant' ORDER BY id DESC LIMIT 1").get(s.id) as
    | { content: string }
    | undefined;
  const group = s.kind === "group";
  const main = s.key === `agent:${s.agentId}:main`;
  return {
    key: s.key,
    sessionId: String(s.id),
    kind: group ? "group" : "direct",
    chatType: group ? "group" : "direct",
    classification: main ? "main" : "explicit",
    agentId: s.agentId,
    isMain: main,
    isBackground: false,
    ...(s.channel ? { channel: s.channel } : {}),
    createdAt: s.startedAt,
    updatedAt: s.lastActivityAt,
    lastActivityAt: s.lastActivityAt,
    messageCount: s.messageCount,
    ...(last ? { lastMessagePreview: last.content.slice(0, 200) } : {}),
    archived: false,
    pinned: false,
    unread: false,
    status: active.length ? "running" : "done",
    hasActiveRun: active.length > 0,
    activeRunIds: active.map((r) => openclawRunId(ctx, r.runId)),
  };
}

/** Live sessions, most recent first; of one agent when asked. */
export function listSessionRows(
  ctx: GatewayContext,
  o: { limit: number; offset: number; agentId?: string | undefined },
): { rows: Record<string, unknown>[]; total: number } {
  const where = o.agentId ? " AND agent_id = ?" : "";
  const args = o.agentId ? [o.agentId] : [];
  const total = (ctx.brain.store.prepare(`SELECT count(*) AS n FROM sessions WHERE ended_at IS NULL${where}`).get(...args) as { n: number }).n;
  const rows = ctx.brain.store
    .prepare(`${SESSION_SELECT}${where} ORDER BY last_activity_at DESC, id DESC LIMIT ? OFFSET ?`)
    .all(...args, o.limit, o.offset) as unknown as SessionRow[];
  return { rows: rows.map((r) => sessionInfo(ctx, r)), total };
}

/** The live session of a key, in OpenClaw's row shape; null when there is none. */
export function describeSession(ctx: GatewayContext, key: string): Record<string, unknown> | null {
  const row = ctx.brain.store.prepare(`${SESSION_SELECT} AND session_key = ?`).get(key) as SessionRow | undefined;
  return row ? sessionInfo(ctx, row) : null;
}

/** A transcript line as OpenClaw's: user text as a string, the assistant's as text blocks; tool and system lines are left out. */
function toMessage(ctx: GatewayContext, m: TranscriptMessage, seq: number): Record<string, unknown> | null {
  const meta = { id: String(m.id), seq, ...(m.runId !== null ? { runId: openclawRunId(ctx, m.runId) } : {}) };
  if (m.role === "user") return { role: "user", content: m.content, timestamp: m.createdAt, __openclaw: meta };
  if (m.role === "assistant" || m.role === "notice") {
    if (m.role === "assistant" && !m.content) return null; // a turn that only called tools
    return { role: "assistant", content: [{ type: "text", text: m.content }], timestamp: m.createdAt, stopReason: "stop", __openclaw: meta };
  }
  return null;
}

/** A page of a session key's transcript (all its sessions), oldest first, within `maxBytes` of JSON. */
export function historyPage(ctx: GatewayContext, key: string, limit: number, maxBytes: number): Record<string, unknown> {
  const rows = transcript(ctx.brain.store, key, limit + 1);
  const hasMore = rows.length > limit;
  const page = rows.slice(-limit);
  let messages = page.map((m, i) => toMessage(ctx, m, i + 1)).filter((m): m is Record<string, unknown> => m !== null);
  // The newest lines win when the page is too large for the client's budget.
  while (messages.length > 1 && Buffer.byteLength(JSON.stringify(messages)) > maxBytes) messages = messages.slice(1);
  const live = describeSession(ctx, key);
  const total = (
    ctx.brain.store
      .prepare(
        "SELECT count(*) AS n FROM messages m JOIN sessions s ON s.id = m.session_id WHERE s.session_key = ? AND m.role IN ('user', 'assistant', 'notice')",
      )
      .get(key) as {
      n: number;
    }
  ).n;
  return {
    sessionKey: key,
    ...(live ? { sessionId: live.sessionId } : {}),
    messages,
    pendingInputs: { items: [], total: 0 },
    hasMore: hasMore || messages.length < page.length,
    totalMessages: total,
    defaults: modelDefaults(ctx, agentOf(key)),
    sessionInfo: live ?? { key, agentId: agentOf(key), kind: "direct", isMain: key === `agent:${agentOf(key)}:main`, hasActiveRun: false, activeRunIds: [] },
  };
}
