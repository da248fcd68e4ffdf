/** The brain's devices as protocol v1 shows them (src/protocol/devices.ts): the gateway's RPC and the CLI on the store give the same views. */
import type { DeviceListView, DeviceRequestView, DeviceView } from "../protocol/devices.ts";
import type { DeviceList } from "./admin.ts";
import { REQUEST_TTL_MS, type DeviceRecord, type DeviceRequest } from "./records.ts";

/** A pending request as the protocol shows it. */
export function requestView(r: DeviceRequest): DeviceRequestView {
  return { ...r, expiresAt: r.refreshedAt + REQUEST_TTL_MS };
}

/** An approved device as the protocol shows it; `connected` from the gateway's sockets (false on the store). */
export function deviceView(d: DeviceRecord, connected = false): DeviceView {
  return { ...d, connected };
}

/** `devices.list`: pending requests and approved devices, each approved one marked when it has a socket open. */
export function listView(list: DeviceList, connected: ReadonlySet<string> = new Set()): DeviceListView {
  return { pending: list.pending.map(requestView), approved: list.approved.map((d) => deviceView(d, connected.has(d.deviceId))) };
}
