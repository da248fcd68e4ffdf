/** The failed replies panel of the channels page: replies that failed for good, with their last error and Retry (`outbox.list`, `outbox.retry`). */
import { useState } from "preact/hooks";
import { ago, time } from "../ui/format.ts";
import { useConnection, useNow, useRequest } from "../ui/hooks.ts";

/** One entry of `outbox.list` (docs/protocol.md). */
export interface OutboxReply {
  id: number;
  channel: string;
  target: string;
  state: "pending" | "delivered" | "failed";
  attempts?: number;
  partsSent?: number;
  inDoubt?: boolean;
  lastError?: string | null;
  createdAt?: number;
  preview?: string;
}

/** Failed replies, refreshed every 5 s; shown only when there are some. Retry sends one again (never a delivered one twice). */
export function FailedRepliesPanel() {
  const conn = useConnection();
  const list = useRequest<{ replies: OutboxReply[] }>("outbox.list", { state: "failed", limit: 50 }, 5000);
  const now = useNow(5000);
  const [note, setNote] = useState<{ text: string; error: boolean } | null>(null);
  const [busy, setBusy] = useState<number | null>(null);
  const retry = async (r: OutboxReply) => {
    setBusy(r.id);
    try {
      await conn.request("outbox.retry", { id: r.id });
      setNote({ text: `Reply #${r.id} to ${r.channel} ${r.target} is being delivered again.`, error: false });
    } catch (err) {
      setNote({ text: `Retry failed: ${(err as Error).message}`, error: true });
    } finally {
      setBusy(null);
      list.reload();
    }
  };
  const rows = list.data?.replies ?? [];
  if (!rows.length && !note && !list.error) return null;
  return (
    <div class="card" data-testid="failed-replies">
      <div class="toolbar">
        <h2 class="grow">Failed replies</h2>
        <span class="muted">
          also: <code>onebrain outbox list --failed</code>, <code>onebrain outbox retry ID</code>
        </span>
      </div>
      {note && <p class={note.error ? "error-text" : "muted"}>{note.text}</p>}
      {list.error && <p class="error-text">Could not list failed replies: {list.error}</p>}
      {rows.length > 0 && (
        <table class="table">
          <thead>
            <tr>
              <th>Id</th>
              <th>Channel</th>
              <th>Chat</th>
              <th>Written</th>
              <th>Attempts</th>
              <th>Last error</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} data-testid="failed-reply" data-id={r.id}>
                <td class="mono">#{r.id}</td>
                <td class="mono">{r.channel}</td>
                <td class="mono" title={r.preview}>
                  {r.target}
                </td>
                <td title={time(r.createdAt)}>{ago(r.createdAt, now)}</td>
                <td>{r.attempts ?? 0}</td>
                <td class="error-text">{r.lastError ?? ""}</td>
                <td>
                  <button type="button" class="btn btn-small btn-primary" data-testid="failed-reply-retry" disabled={busy !== null} onClick={() => retry(r)}>
                    {busy === r.id ? "Retrying…" : "Retry"}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
