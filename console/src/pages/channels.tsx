/** Channels: each running channel's last reported state, refreshed every 2 s. */
import { DASH, ago, show, time } from "../ui/format.ts";
import { useLink, useNow, useRequest } from "../ui/hooks.ts";
import type { ChannelState, Status } from "./status-types.ts";

function nextTry(c: ChannelState, now: number): string {
  if (c.attempt === undefined && c.nextAttemptAt === undefined) return DASH;
  const next = c.nextAttemptAt ? `, next in ${Math.max(0, Math.ceil((c.nextAttemptAt - now) / 1000))} s` : "";
  return `attempt ${show(c.attempt)}${next}`;
}

/** The channels page. */
export function ChannelsPage() {
  const status = useRequest<Status>("status", undefined, 2000);
  const link = useLink();
  const now = useNow(1000);
  const s = status.data;
  if (!s) return <section class="page">{status.error ? <p class="error-text">Could not read the status: {status.error}</p> : <p class="muted">{link.hello ? "Loading…" : "Not connected."}</p>}</section>;
  const channels = s.channels;
  return (
    <section class="page">
      <div class="toolbar">
        <h2 class="grow">Channels</h2>
        {status.error && <span class="error-text">Refresh failed: {status.error}</span>}
      </div>
      {channels === undefined && <p class="empty card">This gateway does not report its channels (version {show(s.version)}).</p>}
      {channels?.length === 0 && <p class="empty card">No channels are running on this gateway.</p>}
      {channels && channels.length > 0 && (
        <div class="card">
          <table class="table">
            <thead>
              <tr>
                <th>Channel</th>
                <th>Account</th>
                <th>State</th>
                <th>Since</th>
                <th>Retry</th>
                <th>Detail</th>
              </tr>
            </thead>
            <tbody>
              {channels.map((c) => (
                <tr key={`${c.id}/${c.account ?? ""}`} data-testid="channel-row" data-channel={c.id} data-state={c.state}>
                  <td class="mono">{c.id}</td>
                  <td>{show(c.account)}</td>
                  <td>
                    <span class={`pill pill-${c.state}`}>{c.state}</span>
                  </td>
                  <td title={time(c.since)}>{c.since ? ago(c.since, now) : DASH}</td>
                  <td>{nextTry(c, now)}</td>
                  <td class={c.lastError || c.reason ? "error-text" : ""}>{[c.reason, c.lastError, c.detail].filter(Boolean).join(" · ") || DASH}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
