/**
 * Devices on protocol v1 (docs/devices.md, docs/protocol.md): the views of `devices.list`,
 * `devices.approve`, `devices.reject` and `devices.revoke`, and the `device` event, typed once
 * for the gateway, the CLI and the console. A device's token is never part of any of them.
 */

/** A device that asked to be let in and waits for a person (it lapses 5 minutes after it last asked). */
export interface DeviceRequestView {
  requestId: string;
  deviceId: string;
  publicKey: string;
  displayName: string | null;
  platform: string | null;
  deviceFamily: string | null;
  clientId: string;
  clientMode: string;
  role: string;
  scopes: string[];
  /** Why it asks: a device nobody approved, or an approved one asking for a new role or more scopes. */
  reason: "not-paired" | "role-upgrade" | "scope-upgrade";
  remoteIp: string | null;
  createdAt: number;
  refreshedAt: number;
  /** When the request lapses unless the device asks again. */
  expiresAt: number;
}

/** An approved device. */
export interface DeviceView {
  deviceId: string;
  publicKey: string;
  displayName: string | null;
  label: string | null;
  platform: string | null;
  deviceFamily: string | null;
  clientId: string;
  clientMode: string;
  roles: string[];
  scopes: string[];
  /** `owner`: a person approved it; `local`: a loopback client that proved the gateway's secret (`gateway.devices.autoApproveLocal`). */
  approvedVia: "owner" | "local";
  remoteIp: string | null;
  createdAt: number;
  approvedAt: number;
  lastSeenAt: number | null;
  /** Whether it has a socket open on this gateway now (always false when read from the store). */
  connected: boolean;
}

/** `devices.list`. */
export interface DeviceListView {
  pending: DeviceRequestView[];
  approved: DeviceView[];
}

/** `devices.approve`. */
export interface DeviceApproved {
  request: DeviceRequestView;
  device: DeviceView;
}

/** `devices.reject`. */
export interface DeviceRejected {
  request: DeviceRequestView;
}

/** `devices.revoke`: the device as it was, and how many of its sockets were closed. */
export interface DeviceRevoked {
  device: DeviceView;
  disconnected: number;
}

/** The `device` event: something changed; a client re-reads `devices.list` for the whole picture. */
export type DeviceEventPayload =
  | { type: "requested"; requestId: string; deviceId: string; clientId: string; role: string }
  | { type: "approved" | "rejected"; requestId: string; deviceId: string }
  | { type: "revoked"; deviceId: string; disconnected: number };
