/** Channels: each channel's state, traffic and credential lease (`channels.status`, every 2 s), linking WhatsApp, failed replies, the pairing requests and the devices. */
import { DASH, ago, show, time } from "../ui/format.ts";
import { useLink, useNow, useRequest } from "../ui/hooks.ts";
import { DevicesCard } from "./devices.tsx";
import { FailedRepliesPanel } from "./failed-replies.tsx";
import { PairingsPanel } from "./pairings.tsx";
import type { ChannelState } from "./status-types.ts";
import { WhatsAppCard } from "./whatsapp.tsx";

/** Who holds a channel credential's host-wide lease (docs/protocol.md, `channels.status`). */
interface LeaseHolder {
  pid: number;
  user?: string | null;
  stateDir?: string | null;
}

/** One entry of `channels.status`; every field beyond the state is optional, as in status-types.ts. */
export interface ChannelReport extends ChannelState {
  lastInboundAt?: number | null;
  lastOutboundAt?: number | null;
  lease?: { key: string; holder: LeaseHolder | null; mine?: boolean } | null;
  /** Where the credential comes from, shown by its ends (a linked WhatsApp device: `{source: "linked", masked: "+491…001"}`); null: none. */
  token?: { source: string; masked: string | null } | null;
}

function nextTry(c: ChannelState, now: number): string {
  if (c.attempt === undefined && c.nextAttemptAt === undefined) return DASH;
  const next = c.nextAttemptAt ? `, next in ${Math.max(0, Math.ceil((c.nextAttemptAt - now) / 1000))} s` : "";
  return `attempt ${show(c.attempt)}${next}`;
}

function leaseText(c: ChannelReport): string {
  const l = c.lease;
  if (!l) return DASH;
  if (!l.holder) return "free";
  if (l.mine) return "this gateway";
  const h = l.holder;
  const facts = [h.user ? `user ${h.user}` : null, h.stateDir ? `state dir ${h.stateDir}` : null].filter(Boolean).join(", ");
  return `pid ${h.pid}${facts ? ` (${facts})` : ""}`;
}

/** The channels page. */
export function ChannelsPage() {
  const status = useRequest<{ channels: ChannelReport[] }>("channels.status", {}, 2000);
  const link = useLink();
  const now = useNow(1000);
  const s = status.data;
  return (
    <section class="page">
      {!s &&
        (status.error ? (
          <p class="error-text">Could not read the channels: {status.error}</p>
        ) : (
          <p class="muted">{link.hello ? "Loading…" : "Not connected."}</p>
        ))}
      {s && (
        <>
          <div class="toolbar">
            <h2 class="grow">Channels</h2>
            {status.error && <span class="error-text">Refresh failed: {status.error}</span>}
          </div>
          {s.channels.length === 0 && <p class="empty card">No channels are running on this gateway.</p>}
          {s.channels.length > 0 && (
            <div class="card">
              <table class="table">
                <thead>
                  <tr>
                    <th>Channel</th>
                    <th>Account</th>
                    <th>State</th>
                    <th>Since</th>
                    <th>Retry</th>
                    <th>Last in</th>
                    <th>Last out</th>
                    <th>Lease</th>
                    <th>Detail</th>
                  </tr>
                </thead>
                <tbody>
                  {s.channels.map((c) => (
                    <tr key={`${c.id}/${c.account ?? ""}`} data-testid="channel-row" data-channel={c.id} data-state={c.state}>
                      <td class="mono">{c.id}</td>
                      <td>{show(c.account)}</td>
                      <td>
                        <span class={`pill pill-${c.state}`}>{c.state}</span>
                      </td>
                      <td title={time(c.since)}>{c.since ? ago(c.since, now) : DASH}</td>
                      <td>{nextTry(c, now)}</td>
                      <td title={time(c.lastInboundAt)} data-testid="channel-last-inbound">
                        {c.lastInboundAt ? ago(c.lastInboundAt, now) : DASH}
                      </td>
                      <td title={time(c.lastOutboundAt)} data-testid="channel-last-outbound">
                        {c.lastOutboundAt ? ago(c.lastOutboundAt, now) : DASH}
                      </td>
                      <td class={c.state === "conflict" ? "error-text" : ""} data-testid="channel-lease">
                        {leaseText(c)}
                      </td>
                      <td class={c.lastError || c.reason || c.state === "conflict" ? "error-text" : ""}>
                        {[c.reason, c.lastError, c.detail].filter(Boolean).join(" · ") || DASH}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <WhatsAppCard channel={s.channels.find((c) => c.id === "whatsapp")} channelAt={status.at} onChange={status.reload} />
        </>
      )}
      <FailedRepliesPanel />
      <PairingsPanel />
      <DevicesCard />
    </section>
  );
}
