/** Sessions: the live sessions from `sessions.list`, and the transcript of the one clicked. */
import { useState } from "preact/hooks";
import type { HistoryMessage } from "../chat/model.ts";
import { ago, show, time } from "../ui/format.ts";
import { useConnection, useNow, useRequest } from "../ui/hooks.ts";

interface SessionRow {
  key: string;
  sessionId: number;
  channel?: string | null;
  startedAt: number;
  lastActivityAt: number;
  messageCount: number;
}

function Transcript({ sessionKey, onReset }: { sessionKey: string; onReset: () => void }) {
  const conn = useConnection();
  const history = useRequest<{ messages: HistoryMessage[] }>("chat.history", { sessionKey, limit: 200 });
  const [note, setNote] = useState<string | null>(null);
  const reset = async () => {
    try {
      const r = await conn.request<{ reset: boolean; aborted: boolean }>("sessions.reset", { sessionKey });
      setNote(
        r.reset
          ? `Reset: the next message to ${sessionKey} starts a new session.${r.aborted ? " The reply in progress was stopped." : ""}`
          : "There was no live session to reset.",
      );
      onReset();
    } catch (err) {
      setNote(`Reset failed: ${(err as Error).message}`);
    }
  };
  const messages = history.data?.messages ?? [];
  return (
    <div class="card transcript">
      <div class="toolbar">
        <h2 class="grow mono">{sessionKey}</h2>
        <button type="button" class="btn" onClick={history.reload}>
          Reload
        </button>
        <button type="button" class="btn" data-testid="session-reset" onClick={reset}>
          Reset session
        </button>
      </div>
      {note && <p class="muted">{note}</p>}
      {history.error && <p class="error-text">Could not load the transcript: {history.error}</p>}
      {!history.data && !history.error && <p class="muted">Loading…</p>}
      {history.data && messages.length === 0 && <p class="empty">No messages.</p>}
      <div class="transcript-list">
        {messages.map((m) => (
          <div key={m.id} class={`msg msg-${m.role}`} data-testid="transcript-message" data-role={m.role}>
            <div class="msg-meta">
              {m.role} · {time(m.createdAt)}
            </div>
            <div class="msg-text">{m.content}</div>
          </div>
        ))}
      </div>
    </div>
  );
}

/** The sessions page. */
export function SessionsPage() {
  const list = useRequest<{ sessions: SessionRow[] }>("sessions.list", { limit: 200 });
  const [selected, setSelected] = useState<string | null>(null);
  const now = useNow(5000);
  const rows = list.data?.sessions ?? [];
  return (
    <section class="page page-split">
      <div class="card">
        <div class="toolbar">
          <h2 class="grow">Live sessions</h2>
          <button type="button" class="btn" onClick={list.reload}>
            Refresh
          </button>
        </div>
        {list.error && <p class="error-text">Could not list sessions: {list.error}</p>}
        {list.data && rows.length === 0 && <p class="empty">No live sessions. A session starts with the first message on any channel.</p>}
        {rows.length > 0 && (
          <table class="table">
            <thead>
              <tr>
                <th>Key</th>
                <th>Channel</th>
                <th>Last activity</th>
                <th class="num">Messages</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((s) => (
                <tr
                  key={s.key}
                  data-testid="session-row"
                  data-key={s.key}
                  class={`clickable${s.key === selected ? " selected" : ""}`}
                  onClick={() => setSelected(s.key)}
                >
                  <td class="mono">{s.key}</td>
                  <td>{show(s.channel)}</td>
                  <td title={time(s.lastActivityAt)}>{ago(s.lastActivityAt, now)}</td>
                  <td class="num">{show(s.messageCount)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {selected ? (
        <Transcript key={selected} sessionKey={selected} onReset={list.reload} />
      ) : (
        <div class="card empty">Click a session to read its transcript.</div>
      )}
    </section>
  );
}
