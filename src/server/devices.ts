/**
 * Devices while the gateway runs: the admin functions of src/devices/ plus what the sockets must
 * learn. OpenClaw clients holding operator.pairing get `device.pair.requested` / `resolved`;
 * onebrain clients (the console) get `device`; a revoked device's sockets are closed at once.
 */
import { approveRequest, listDevices, rejectPending, revokeDevice, type DeviceList } from "../devices/admin.ts";
import type { DeviceRecord, DeviceRequest } from "../devices/records.ts";
import type { DeviceEventPayload } from "../protocol/devices.ts";
import type { StoreHandle } from "../store/handle.ts";

export interface DeviceSockets {
  /** Sends an OpenClaw event to OpenClaw operators holding `scope`. */
  openclaw(event: string, payload: unknown, scope: string): void;
  /** Sends a onebrain event to onebrain clients. */
  onebrain(event: "device", payload: DeviceEventPayload): void;
  /** Closes a device's sockets; how many. */
  disconnect(deviceId: string): number;
  /** Which devices have a socket open now. */
  connected(): ReadonlySet<string>;
}

/** A pending request as OpenClaw's `device.pair.requested` and `device.pair.list` carry it. */
export function pairRequestPayload(r: DeviceRequest): Record<string, unknown> {
  return {
    requestId: r.requestId,
    deviceId: r.deviceId,
    publicKey: r.publicKey,
    ...(r.displayName ? { displayName: r.displayName } : {}),
    ...(r.platform ? { platform: r.platform } : {}),
    ...(r.deviceFamily ? { deviceFamily: r.deviceFamily } : {}),
    clientId: r.clientId,
    clientMode: r.clientMode,
    role: r.role,
    roles: [r.role],
    scopes: r.scopes,
    ...(r.remoteIp ? { remoteIp: r.remoteIp } : {}),
    silent: false,
    isRepair: r.reason !== "not-paired",
    ts: r.createdAt,
  };
}

/** An approved device as OpenClaw's `device.pair.list` shows it (no token, only that one exists). */
export function pairedPayload(d: DeviceRecord, connected?: boolean): Record<string, unknown> {
  return {
    deviceId: d.deviceId,
    publicKey: d.publicKey,
    ...(d.displayName ? { displayName: d.displayName } : {}),
    ...(d.label ? { operatorLabel: d.label } : {}),
    ...(d.platform ? { platform: d.platform } : {}),
    ...(d.deviceFamily ? { deviceFamily: d.deviceFamily } : {}),
    clientId: d.clientId,
    clientMode: d.clientMode,
    role: d.roles[0] ?? "operator",
    roles: d.roles,
    scopes: d.scopes,
    approvedVia: d.approvedVia === "local" ? "silent" : "owner",
    createdAtMs: d.createdAt,
    approvedAtMs: d.approvedAt,
    ...(d.lastSeenAt !== null ? { lastSeenAtMs: d.lastSeenAt } : {}),
    ...(connected !== undefined ? { connected } : {}),
  };
}

/** The gateway's device admin: the same answers as the CLI gets from the store, and the sockets told. */
export class DeviceAdmin {
  private readonly store: () => StoreHandle;
  private sockets: DeviceSockets | null = null;

  constructor(store: () => StoreHandle) {
    this.store = store;
  }

  /** Wires the sockets once the WebSocket server exists. */
  attach(sockets: DeviceSockets): void {
    this.sockets = sockets;
  }

  list(): DeviceList & { connected: ReadonlySet<string> } {
    return { ...listDevices(this.store()), connected: this.sockets?.connected() ?? new Set() };
  }

  /** A new request (from a connect): announced to those who can approve it. */
  requested(r: DeviceRequest): void {
    this.sockets?.openclaw("device.pair.requested", pairRequestPayload(r), "operator.pairing");
    this.sockets?.onebrain("device", { type: "requested", requestId: r.requestId, deviceId: r.deviceId, clientId: r.clientId, role: r.role });
  }

  approve(id: string): { request: DeviceRequest; device: DeviceRecord } {
    const r = approveRequest(this.store(), id);
    this.resolved(r.request, "approved");
    return r;
  }

  reject(id: string): DeviceRequest {
    const r = rejectPending(this.store(), id);
    this.resolved(r, "rejected");
    return r;
  }

  /** Revokes a device and closes its sockets (OpenClaw: 4001 "device removed"). */
  revoke(id: string): { device: DeviceRecord; disconnected: number } {
    const device = revokeDevice(this.store(), id);
    const disconnected = this.sockets?.disconnect(device.deviceId) ?? 0;
    this.sockets?.onebrain("device", { type: "revoked", deviceId: device.deviceId, disconnected });
    return { device, disconnected };
  }

  /** Closes a device's sockets without changing its record (its token was revoked or rotated). */
  disconnectOnly(deviceId: string): number {
    return this.sockets?.disconnect(deviceId) ?? 0;
  }

  private resolved(r: DeviceRequest, decision: "approved" | "rejected"): void {
    this.sockets?.openclaw("device.pair.resolved", { requestId: r.requestId, deviceId: r.deviceId, decision, ts: Date.now() }, "operator.pairing");
    this.sockets?.onebrain("device", { type: decision, requestId: r.requestId, deviceId: r.deviceId });
  }
}
