/**
 * The devices card of the channels page (docs/devices.md): OpenClaw clients that prove a device
 * key. Pending requests with Approve and Reject, approved devices with Revoke (after a confirm
 * step: the device's sockets close and it must ask again). Re-read on every `device` event, and
 * every 10 s for who is connected.
 */
import { useState } from "preact/hooks";
import type { DeviceApproved, DeviceListView, DeviceRejected, DeviceRequestView, DeviceRevoked, DeviceView } from "../../../src/protocol/devices.ts";
import { DASH, ago, time } from "../ui/format.ts";
import { useConnection, useEvent, useNow, useRequest } from "../ui/hooks.ts";

const shortId = (id: string): string => id.slice(0, 12);
const client = (d: { clientId: string; clientMode: string }): string => (d.clientMode === d.clientId ? d.clientId : `${d.clientId}/${d.clientMode}`);
const scopes = (s: readonly string[]): string => (s.length ? s.map((x) => x.replace(/^operator\./, "")).join(", ") : DASH);
const nameOf = (d: { displayName: string | null; label?: string | null }): string => d.label ?? d.displayName ?? "";

/** Whether the device may connect now, in words for the note after Approve. */
const afterApprove = (r: DeviceApproved): string =>
  r.request.clientMode === "node"
    ? 'it may connect now: restart its node host (`openclaw node run` waits after "pairing required").'
    : "it may connect now (a Control UI gets in at its next retry).";

function Device({ d }: { d: { deviceId: string; displayName: string | null; label?: string | null } }) {
  const name = nameOf(d);
  return (
    <>
      <span class="mono" title={d.deviceId}>
        {shortId(d.deviceId)}
      </span>
      {name && <span class="muted"> {name}</span>}
    </>
  );
}

/** Pending device requests and approved devices, with their answers. */
export function DevicesCard() {
  const conn = useConnection();
  const list = useRequest<DeviceListView>("devices.list", {}, 10_000);
  const now = useNow(5000);
  const [note, setNote] = useState<{ text: string; error: boolean } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  useEvent("device", () => list.reload());

  async function act<T>(key: string, method: string, id: string, say: (r: T) => string): Promise<void> {
    setBusy(key);
    try {
      setNote({ text: say(await conn.request<T>(method, { id })), error: false });
    } catch (err) {
      setNote({ text: `${method.slice("devices.".length)} failed: ${(err as Error).message}`, error: true });
    } finally {
      setBusy(null);
      setConfirming(null);
      list.reload();
    }
  }
  const approve = (r: DeviceRequestView) =>
    act<DeviceApproved>(r.requestId, "devices.approve", r.requestId, (a) => `Approved ${shortId(a.device.deviceId)} (${client(a.device)}): ${afterApprove(a)}`);
  const reject = (r: DeviceRequestView) =>
    act<DeviceRejected>(r.requestId, "devices.reject", r.requestId, (x) => `Rejected the request of ${shortId(x.request.deviceId)}; it may ask again.`);
  const revoke = (d: DeviceView) =>
    act<DeviceRevoked>(
      d.deviceId,
      "devices.revoke",
      d.deviceId,
      (x) => `Revoked ${shortId(x.device.deviceId)}: ${x.disconnected} socket(s) closed; it must be approved again to connect.`,
    );

  const pending = list.data?.pending ?? [];
  const approved = list.data?.approved ?? [];
  return (
    <div class="card" data-testid="devices">
      <div class="toolbar">
        <h2 class="grow">Devices</h2>
        <button type="button" class="btn" onClick={list.reload}>
          Refresh
        </button>
      </div>
      {note && (
        <p class={note.error ? "error-text" : "muted"} data-testid="devices-note">
          {note.text}
        </p>
      )}
      {list.error && <p class="error-text">Could not list devices: {list.error}</p>}
      {list.data && pending.length === 0 && approved.length === 0 && (
        <p class="empty">No devices. An OpenClaw node, Control UI or remote CLI that connects with its own key waits here for approval.</p>
      )}
      {pending.length > 0 && (
        <table class="table">
          <thead>
            <tr>
              <th>Device</th>
              <th>Client</th>
              <th>Role</th>
              <th>Scopes</th>
              <th>Platform</th>
              <th>From</th>
              <th>Asked</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {pending.map((r) => (
              <tr key={r.requestId} data-testid="device-request-row" data-request-id={r.requestId} data-device-id={r.deviceId}>
                <td>
                  <Device d={r} />
                </td>
                <td class="mono">{client(r)}</td>
                <td>{r.reason === "not-paired" ? r.role : `${r.role} (${r.reason})`}</td>
                <td class="mono">{scopes(r.scopes)}</td>
                <td>{r.platform ?? DASH}</td>
                <td class="mono">{r.remoteIp ?? DASH}</td>
                <td title={`${time(r.createdAt)}; lapses ${time(r.expiresAt)} unless it asks again`}>{ago(r.createdAt, now)}</td>
                <td class="row">
                  <button type="button" class="btn btn-small btn-primary" data-testid="device-approve" disabled={busy !== null} onClick={() => approve(r)}>
                    {busy === r.requestId ? "Approving…" : "Approve"}
                  </button>
                  <button type="button" class="btn btn-small btn-danger" data-testid="device-reject" disabled={busy !== null} onClick={() => reject(r)}>
                    Reject
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
            <thead>
              <tr>
                <th>Device</th>
                <th>Client</th>
                <th>Roles</th>
                <th>Scopes</th>
                <th>Approved</th>
                <th>Last seen</th>
                <th>Connected</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {approved.map((d) => (
                <tr key={d.deviceId} data-testid="device-row" data-device-id={d.deviceId} data-connected={String(d.connected)}>
                  <td>
                    <Device d={d} />
                  </td>
                  <td class="mono">{client(d)}</td>
                  <td>{d.roles.join(", ")}</td>
                  <td class="mono">{scopes(d.scopes)}</td>
                  <td title={time(d.approvedAt)}>
                    {d.approvedVia === "local" ? "locally" : "by owner"}, {ago(d.approvedAt, now)}
                  </td>
                  <td title={time(d.lastSeenAt)}>{d.lastSeenAt ? ago(d.lastSeenAt, now) : DASH}</td>
                  <td>{d.connected ? <span class="pill pill-connected">connected</span> : <span class="pill">no</span>}</td>
                  <td class="row">
                    {confirming === d.deviceId ? (
                      <>
                        <button
                          type="button"
                          class="btn btn-small btn-danger"
                          data-testid="device-revoke-confirm"
                          disabled={busy !== null}
                          onClick={() => revoke(d)}
                        >
                          {busy === d.deviceId ? "Revoking…" : "Revoke: close its sockets"}
                        </button>
                        <button
                          type="button"
                          class="btn btn-small"
                          data-testid="device-revoke-cancel"
                          disabled={busy !== null}
                          onClick={() => setConfirming(null)}
                        >
                          Cancel
                        </button>
                      </>
                    ) : (
                      <button
                        type="button"
                        class="btn btn-small btn-danger"
                        data-testid="device-revoke"
                        disabled={busy !== null}
                        onClick={() => setConfirming(d.deviceId)}
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}
