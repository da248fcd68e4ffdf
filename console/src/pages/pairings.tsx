/** The pairings panel of the channels page: access requests of unknown senders, with Approve. */
import { useState } from "preact/hooks";
import { DASH, ago, show, time } from "../ui/format.ts";
import { useConnection, useNow, useRequest } from "../ui/hooks.ts";

/** One entry of `pairing.list` (docs/protocol.md). */
export interface Pairing {
  channel: string;
  account?: string;
  sender: string;
  name?: string | null;
  state: "pending" | "approved";
  code?: string | null;
  createdAt?: number;
  expiresAt?: number | null;
  approvedAt?: number | null;
  approvedBy?: string | null;
}

const who = (p: Pairing): string => (p.name ? `${p.name} (${p.sender})` : p.sender);

function expiresIn(at: number | null | undefined, now: number): string {
  if (!at) return DASH;
  const min = Math.max(0, Math.ceil((at - now) / 60_000));
  return `in ${min} min`;
}

/** Pending requests (code, sender, Approve) and approved senders, refreshed every 5 s. */
export function PairingsPanel() {
  const conn = useConnection();
  const list = useRequest<{ pairings: Pairing[] }>("pairing.list", {}, 5000);
  const now = useNow(5000);
  const [note, setNote] = useState<{ text: string; error: boolean } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const approve = async (p: Pairing) => {
    if (!p.code) return;
    setBusy(p.code);
    try {
      const r = await conn.request<{ sender: string; name?: string | null }>("pairing.approve", { channel: p.channel, code: p.code });
      setNote({ text: `Approved ${r.name ? `${r.name} (${r.sender})` : r.sender} on ${p.channel}: their next message reaches the agent.`, error: false });
    } catch (err) {
      setNote({ text: `Approve failed: ${(err as Error).message}`, error: true });
    } finally {
      setBusy(null);
      list.reload();
    }
  };
  const rows = list.data?.pairings ?? [];
  const pending = rows.filter((p) => p.state === "pending");
  const approved = rows.filter((p) => p.state === "approved");
  return (
    <div class="card" data-testid="pairings">
      <div class="toolbar">
        <h2 class="grow">Pairing requests</h2>
        <button type="button" class="btn" onClick={list.reload}>
          Refresh
        </button>
      </div>
      {note && <p class={note.error ? "error-text" : "muted"}>{note.text}</p>}
      {list.error && <p class="error-text">Could not list pairings: {list.error}</p>}
      {list.data && pending.length === 0 && <p class="empty">No pending requests. An unknown sender's direct message gets a code; it shows up here.</p>}
      {pending.length > 0 && (
        <table class="table">
          <thead>
            <tr>
              <th>Channel</th>
              <th>Code</th>
              <th>Sender</th>
              <th>Asked</th>
              <th>Expires</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {pending.map((p) => (
              <tr key={`${p.channel}/${p.code}`} data-testid="pairing-row" data-state="pending" data-channel={p.channel} data-code={p.code ?? ""}>
                <td class="mono">{p.channel}</td>
                <td class="mono">{show(p.code)}</td>
                <td>{who(p)}</td>
                <td title={time(p.createdAt)}>{ago(p.createdAt, now)}</td>
                <td title={time(p.expiresAt)}>{expiresIn(p.expiresAt, now)}</td>
                <td>
                  <button type="button" class="btn btn-small btn-primary" data-testid="pairing-approve" disabled={busy !== null} onClick={() => approve(p)}>
                    {busy === p.code ? "Approving…" : "Approve"}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {approved.length > 0 && (
        <>
          <h3>Approved</h3>
          <table class="table">
            <tbody>
              {approved.map((p) => (
                <tr key={`${p.channel}/${p.sender}`} data-testid="pairing-row" data-state="approved" data-channel={p.channel}>
                  <td class="mono">{p.channel}</td>
                  <td>{who(p)}</td>
                  <td title={time(p.approvedAt)}>{ago(p.approvedAt, now)}</td>
                  <td class="muted">{show(p.approvedBy)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}
