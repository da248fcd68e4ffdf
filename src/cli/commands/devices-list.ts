/**
 * `onebrain devices list`: devices waiting for approval and approved ones (docs/devices.md), from
 * the running gateway (which knows which are connected), else from the store. Two tables that fit
 * a screen: ids are cut to the prefix `devices approve|reject|revoke` accepts.
 */
import { listDevices } from "../../devices/admin.ts";
import { listView } from "../../devices/views.ts";
import type { DeviceListView, DeviceRequestView, DeviceView } from "../../protocol/devices.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";
import { viaGatewayOrStore } from "../gateway-or-store.ts";
import { formatDuration, printJson, printLines } from "../output.ts";

const DASH = "—";

/** A request id as shown (and accepted back: a unique prefix of 6+ characters). */
export const shortRequest = (id: string): string => id.slice(0, 8);
/** A device id as shown: 12 of its 64 hex characters. */
export const shortDevice = (id: string): string => id.slice(0, 12);

/** `node-host/node`, or the client id alone when the mode says nothing more. */
export const clientOf = (d: { clientId: string; clientMode: string }): string => (d.clientMode === d.clientId ? d.clientId : `${d.clientId}/${d.clientMode}`);

/** Operator scopes without their common prefix (`admin,read,write`); none: a dash. */
export const scopesOf = (scopes: readonly string[]): string => (scopes.length ? scopes.map((s) => s.replace(/^operator\./, "")).join(",") : DASH);

/** What a person calls the device: its label or display name, else its platform. */
export const nameOf = (d: { label?: string | null; displayName: string | null; platform: string | null }): string =>
  d.label ?? d.displayName ?? d.platform ?? DASH;

const cut = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
const ago = (at: number | null, now: number): string => (at === null ? DASH : `${formatDuration(Math.max(0, now - at))} ago`);

/** Rows under a header, each column as wide as its widest cell (after cutting to `max`). */
function table(header: readonly string[], body: ReadonlyArray<readonly string[]>, max: readonly number[]): string[] {
  const cells = [header, ...body].map((r) => r.map((c, i) => cut(c, max[i] ?? 40)));
  const width = header.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells.map((r) => `  ${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(width[i]!))).join("  ")}`.trimEnd());
}

function pendingTable(pending: readonly DeviceRequestView[], now: number): string[] {
  const reason = (r: DeviceRequestView) => (r.reason === "not-paired" ? "" : ` (${r.reason})`);
  return table(
    ["REQUEST", "DEVICE", "CLIENT", "ROLE", "SCOPES", "PLATFORM", "FROM", "ASKED"],
    pending.map((r) => [
      shortRequest(r.requestId),
      shortDevice(r.deviceId),
      clientOf(r),
      `${r.role}${reason(r)}`,
      scopesOf(r.scopes),
      r.platform ?? DASH,
      r.remoteIp ?? DASH,
      ago(r.createdAt, now),
    ]),
    [8, 12, 24, 26, 28, 14, 39, 14],
  );
}

function approvedTable(approved: readonly DeviceView[], now: number, live: boolean): string[] {
  return table(
    ["DEVICE", "NAME", "CLIENT", "ROLES", "SCOPES", "APPROVED", "LAST SEEN", "CONNECTED"],
    approved.map((d) => [
      shortDevice(d.deviceId),
      nameOf(d),
      clientOf(d),
      d.roles.join(","),
      scopesOf(d.scopes),
      `${d.approvedVia === "local" ? "locally" : "by owner"} ${ago(d.approvedAt, now)}`,
      ago(d.lastSeenAt, now),
      live ? (d.connected ? "yes" : "no") : DASH,
    ]),
    [12, 20, 24, 14, 28, 24, 14, 9],
  );
}

/** The devices of this brain: from the running gateway, else from the store. */
export async function readDevices(global: GlobalOptions): Promise<{ via: "gateway" | "store"; devices: DeviceListView }> {
  const r = await viaGatewayOrStore<DeviceListView>(brainPaths(global), {
    rpc: (conn) => conn.request<DeviceListView>("devices.list", {}),
    local: (store) => (store ? listView(listDevices(store)) : { pending: [], approved: [] }),
  });
  return { via: r.via, devices: r.value };
}

/** The command. */
export default async function devicesListCommand(global: GlobalOptions, opts: { json?: boolean }): Promise<void> {
  const { via, devices } = await readDevices(global);
  if (opts.json) return printJson({ via, ...devices });
  const now = Date.now();
  const { pending, approved } = devices;
  const source = via === "gateway" ? "from the running gateway" : "from the store; the gateway is not running";
  const lines = [`devices: ${pending.length} pending, ${approved.length} approved (${source})`];
  if (pending.length) lines.push("", "waiting for approval (a request lapses 5 minutes after the device last asked):", ...pendingTable(pending, now));
  if (approved.length) lines.push("", "approved:", ...approvedTable(approved, now, via === "gateway"));
  if (pending[0]) lines.push("", `next: onebrain devices approve ${shortRequest(pending[0].requestId)} (or reject it)`);
  else if (!approved.length) lines.push("  none yet: an OpenClaw node, Control UI or remote CLI that connects with its own key is listed here until approved");
  printLines(lines);
}
