/**
 * What a person does with devices (docs/devices.md): list them, approve or reject a request,
 * revoke an approved device. One set of functions for the CLI (on the store, no gateway running)
 * and the gateway's RPC (which also tells the device's sockets). Ids as typed: a whole id or a
 * unique prefix of at least 6 characters.
 */
import type { StoreHandle } from "../store/handle.ts";
import {
  approveDevice,
  approvedDevices,
  matchDevice,
  matchRequest,
  pendingRequests,
  rejectRequest,
  removeDevice,
  type DeviceRecord,
  type DeviceRequest,
} from "./records.ts";

export interface DeviceList {
  pending: DeviceRequest[];
  approved: DeviceRecord[];
}

/** A refusal of an id that names nothing, or more than one thing. */
export class DeviceIdError extends Error {
  readonly kind: "unknown" | "ambiguous";
  constructor(kind: "unknown" | "ambiguous", message: string) {
    super(message);
    this.name = "DeviceIdError";
    this.kind = kind;
  }
}

const LIST_HINT = "`onebrain devices list` shows the pending requests and approved devices.";

function wanted<T>(found: T | "ambiguous" | null, id: string, what: string): T {
  if (found === "ambiguous") throw new DeviceIdError("ambiguous", `${JSON.stringify(id)} starts more than one ${what}'s id: give more of it. ${LIST_HINT}`);
  if (!found)
    throw new DeviceIdError("unknown", `No ${what} has the id ${JSON.stringify(id)} (a request lapses 5 minutes after the device last asked). ${LIST_HINT}`);
  return found;
}

/** Pending requests and approved devices. */
export function listDevices(store: StoreHandle, now = Date.now()): DeviceList {
  return { pending: pendingRequests(store, now), approved: approvedDevices(store) };
}

/** Approves a pending request (by request or device id); the device connects with the role and scopes it asked for. */
export function approveRequest(store: StoreHandle, id: string, now = Date.now()): { request: DeviceRequest; device: DeviceRecord } {
  return store.transaction(() => {
    const request = wanted(matchRequest(store, id, now), id, "pending device request");
    const device = approveDevice(
      store,
      {
        ...request,
        displayName: request.displayName ?? undefined,
        platform: request.platform ?? undefined,
        deviceFamily: request.deviceFamily ?? undefined,
        remoteIp: request.remoteIp ?? undefined,
      },
      "owner",
      now,
    );
    return { request, device };
  });
}

/** Drops a pending request. */
export function rejectPending(store: StoreHandle, id: string, now = Date.now()): DeviceRequest {
  return store.transaction(() => {
    const request = wanted(matchRequest(store, id, now), id, "pending device request");
    rejectRequest(store, request.requestId);
    return request;
  });
}

/** Revokes an approved device: its approval and tokens are deleted; it must ask again. */
export function revokeDevice(store: StoreHandle, id: string): DeviceRecord {
  return store.transaction(() => {
    const device = wanted(matchDevice(store, id), id, "approved device");
    removeDevice(store, device.deviceId);
    return device;
  });
}
