/**
 * The brain's devices (docs/devices.md): approved keys, and requests waiting for a person. Ids as
 * a person types them: a whole request or device id, or a unique prefix of at least 6 characters.
 */
import crypto from "node:crypto";
import type { DeviceRequestView, DeviceView } from "../protocol/devices.ts";
import { normalizeScopes, scopesCovered } from "../protocol/openclaw/scopes.ts";
import type { StoreHandle } from "../store/handle.ts";

/** A request waits this long after the device last asked; then the device must connect again. */
export const REQUEST_TTL_MS = 5 * 60_000;

export type RequestReason = DeviceRequestView["reason"];

/** What a connecting device says about itself. */
export interface DeviceClaim {
  deviceId: string;
  publicKey: string;
  displayName?: string | undefined;
  platform?: string | undefined;
  deviceFamily?: string | undefined;
  clientId: string;
  clientMode: string;
  role: string;
  scopes: readonly string[];
  remoteIp?: string | undefined;
}

/** The columns that say which device a claim is, in the order both tables list them (device_id ... client_mode). */
const whoColumns = (c: DeviceClaim) => [c.deviceId, c.publicKey, c.displayName ?? null, c.platform ?? null, c.deviceFamily ?? null, c.clientId, c.clientMode];

/** An approved device as stored: the wire view without its live `connected` (src/protocol/devices.ts). */
export type DeviceRecord = Omit<DeviceView, "connected">;

/** A pending request as stored: the wire view without `expiresAt`, which follows from `refreshedAt`. */
export type DeviceRequest = Omit<DeviceRequestView, "expiresAt">;

type Row = Record<string, string | number | null>;
const json = (v: unknown): string[] => (typeof v === "string" ? (JSON.parse(v) as string[]) : []);
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

function toDevice(r: Row): DeviceRecord {
  return {
    deviceId: String(r.device_id),
    publicKey: String(r.public_key),
    displayName: str(r.display_name),
    label: str(r.label),
    platform: str(r.platform),
    deviceFamily: str(r.device_family),
    clientId: String(r.client_id),
    clientMode: String(r.client_mode),
    roles: json(r.roles),
    scopes: json(r.scopes),
    approvedVia: r.approved_via === "local" ? "local" : "owner",
    remoteIp: str(r.remote_ip),
    createdAt: Number(r.created_at),
    approvedAt: Number(r.approved_at),
    lastSeenAt: r.last_seen_at === null ? null : Number(r.last_seen_at),
  };
}

function toRequest(r: Row): DeviceRequest {
  return {
    requestId: String(r.request_id),
    deviceId: String(r.device_id),
    publicKey: String(r.public_key),
    displayName: str(r.display_name),
    platform: str(r.platform),
    deviceFamily: str(r.device_family),
    clientId: String(r.client_id),
    clientMode: String(r.client_mode),
    role: String(r.role),
    scopes: json(r.scopes),
    reason: String(r.reason) as RequestReason,
    remoteIp: str(r.remote_ip),
    createdAt: Number(r.created_at),
    refreshedAt: Number(r.refreshed_at),
  };
}

/** The approved device with this exact id, or null. */
export function findDevice(store: StoreHandle, deviceId: string): DeviceRecord | null {
  const r = store.prepare("SELECT * FROM devices WHERE device_id = ?").get(deviceId) as Row | undefined;
  return r ? toDevice(r) : null;
}

/** Why a paired device may not connect as it asks (a request's reason), or null when it may. */
export function upgradeNeeded(device: DeviceRecord | null, role: string, scopes: readonly string[]): RequestReason | null {
  if (!device) return "not-paired";
  if (!device.roles.includes(role)) return "role-upgrade";
  if (role === "operator" && !scopesCovered(device.scopes, scopes)) return "scope-upgrade";
  return null;
}

/** Pending requests (lapsed ones are dropped first), oldest first. */
export function pendingRequests(store: StoreHandle, now: number): DeviceRequest[] {
  store.prepare("DELETE FROM device_requests WHERE refreshed_at < ?").run(now - REQUEST_TTL_MS);
  return (store.prepare("SELECT * FROM device_requests ORDER BY created_at, request_id").all() as Row[]).map(toRequest);
}

/** Approved devices, most recently approved first. */
export function approvedDevices(store: StoreHandle): DeviceRecord[] {
  return (store.prepare("SELECT * FROM devices ORDER BY approved_at DESC, device_id").all() as Row[]).map(toDevice);
}

/**
 * Records that a device asks to be let in. A device has one request: the same ask again keeps
 * its id (and is not news); a different one replaces it with a new id asking for both.
 */
export function requestApproval(store: StoreHandle, claim: DeviceClaim, reason: RequestReason, now: number): { request: DeviceRequest; isNew: boolean } {
  return store.transaction(() => {
    pendingRequests(store, now);
    const old = store.prepare("SELECT * FROM device_requests WHERE device_id = ?").get(claim.deviceId) as Row | undefined;
    const prev = old ? toRequest(old) : null;
    if (prev && prev.publicKey === claim.publicKey && prev.role === claim.role && scopesCovered(prev.scopes, claim.scopes)) {
      store.prepare("UPDATE device_requests SET refreshed_at = ? WHERE request_id = ?").run(now, prev.requestId);
      return { request: { ...prev, refreshedAt: now }, isNew: false };
    }
    const scopes = normalizeScopes([...(prev && prev.role === claim.role ? prev.scopes : []), ...claim.scopes]);
    store.prepare("DELETE FROM device_requests WHERE device_id = ?").run(claim.deviceId);
    const requestId = crypto.randomUUID();
    store
      .prepare(
        `INSERT INTO device_requests (request_id, device_id, public_key, display_name, platform, device_family, client_id, client_mode,
           role, scopes, reason, remote_ip, created_at, refreshed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(requestId, ...whoColumns(claim), claim.role, JSON.stringify(scopes), reason, claim.remoteIp ?? null, now, now);
    return { request: toRequest(store.prepare("SELECT * FROM device_requests WHERE request_id = ?").get(requestId) as Row), isNew: true };
  });
}

/** Approves a device for a role and scopes (adding to what it had), as a person or as a local client. */
export function approveDevice(store: StoreHandle, claim: DeviceClaim, via: "owner" | "local", now: number): DeviceRecord {
  return store.transaction(() => {
    const had = findDevice(store, claim.deviceId);
    // A device whose key changed is a new device under an old id: nothing it had carries over.
    const keep = had && had.publicKey === claim.publicKey ? had : null;
    const roles = [...new Set([...(keep?.roles ?? []), claim.role])].sort();
    const scopes = normalizeScopes([...(keep?.scopes ?? []), ...(claim.role === "operator" ? claim.scopes : [])]);
    store
      .prepare(
        `INSERT INTO devices (device_id, public_key, display_name, platform, device_family, client_id, client_mode, roles, scopes, approved_via,
           remote_ip, created_at, approved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (device_id) DO UPDATE SET public_key = excluded.public_key, display_name = excluded.display_name, platform = excluded.platform,
           device_family = excluded.device_family, client_id = excluded.client_id, client_mode = excluded.client_mode, roles = excluded.roles,
           scopes = excluded.scopes, approved_via = excluded.approved_via, remote_ip = excluded.remote_ip, approved_at = excluded.approved_at`,
      )
      .run(...whoColumns(claim), JSON.stringify(roles), JSON.stringify(scopes), via, claim.remoteIp ?? null, keep?.createdAt ?? now, now);
    if (!keep) store.prepare("DELETE FROM device_tokens WHERE device_id = ?").run(claim.deviceId);
    store.prepare("DELETE FROM device_requests WHERE device_id = ?").run(claim.deviceId);
    return findDevice(store, claim.deviceId)!;
  });
}

/** The pending request a person named (whole id or unique prefix of its request or device id). */
export function matchRequest(store: StoreHandle, id: string, now: number): DeviceRequest | "ambiguous" | null {
  return matchOne(pendingRequests(store, now), id, (r) => [r.requestId, r.deviceId]);
}

/** The approved device a person named (whole id or unique prefix). */
export function matchDevice(store: StoreHandle, id: string): DeviceRecord | "ambiguous" | null {
  return matchOne(approvedDevices(store), id, (d) => [d.deviceId]);
}

function matchOne<T>(items: T[], id: string, ids: (t: T) => string[]): T | "ambiguous" | null {
  const want = id.trim().toLowerCase();
  const exact = items.find((t) => ids(t).includes(want));
  if (exact) return exact;
  if (want.length < 6) return null;
  const found = items.filter((t) => ids(t).some((i) => i.startsWith(want)));
  return found.length > 1 ? "ambiguous" : (found[0] ?? null);
}

/** Forgets a device: its approval and tokens, and any request of it. */
export function removeDevice(store: StoreHandle, deviceId: string): boolean {
  return store.transaction(() => {
    store.prepare("DELETE FROM device_requests WHERE device_id = ?").run(deviceId);
    return Number(store.prepare("DELETE FROM devices WHERE device_id = ?").run(deviceId).changes) > 0;
  });
}

/** Drops a pending request; the device may ask again. */
export function rejectRequest(store: StoreHandle, requestId: string): boolean {
  return Number(store.prepare("DELETE FROM device_requests WHERE request_id = ?").run(requestId).changes) > 0;
}

/** Notes when a device last connected. */
export function markSeen(store: StoreHandle, deviceId: string, now: number): void {
  store.prepare("UPDATE devices SET last_seen_at = ? WHERE device_id = ?").run(now, deviceId);
}
