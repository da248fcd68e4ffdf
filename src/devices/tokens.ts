/**
 * Device tokens: what an approved device reconnects with when it has no gateway secret. Each is 32
 * random bytes (base64url, as OpenClaw's), stored only as its SHA-256; one per device and role. A
 * device that proved the gateway's secret gets a fresh token at each connect; one that came with
 * its token keeps it.
 */
import crypto from "node:crypto";
import { scopesCovered } from "../protocol/openclaw/scopes.ts";
import type { StoreHandle } from "../store/handle.ts";

const digest = (token: string) => crypto.createHash("sha256").update(token, "utf8").digest();

/** Mints and stores a new token for the device's role (the old one stops working). */
export function issueToken(store: StoreHandle, deviceId: string, role: string, scopes: readonly string[], now: number): { token: string; issuedAt: number } {
  const token = crypto.randomBytes(32).toString("base64url");
  store
    .prepare(
      `INSERT INTO device_tokens (device_id, role, token_hash, scopes, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (device_id, role) DO UPDATE SET token_hash = excluded.token_hash, scopes = excluded.scopes, created_at = excluded.created_at, last_used_at = NULL`,
    )
    .run(deviceId, role, digest(token).toString("hex"), JSON.stringify([...scopes]), now);
  return { token, issuedAt: now };
}

export type TokenCheck = { ok: true; scopes: string[]; issuedAt: number } | { ok: false; why: "mismatch" | "scope" };

/** Checks a presented token for a device and role, and that it covers the scopes asked for (constant time). */
export function checkToken(store: StoreHandle, deviceId: string, role: string, token: string, wanted: readonly string[], now: number): TokenCheck {
  const row = store.prepare("SELECT token_hash, scopes, created_at FROM device_tokens WHERE device_id = ? AND role = ?").get(deviceId, role) as
    | { token_hash: string; scopes: string; created_at: number }
    | undefined;
  const stored = Buffer.from(row?.token_hash ?? "00".repeat(32), "hex");
  const same = crypto.timingSafeEqual(stored, digest(token)) && row !== undefined;
  if (!same) return { ok: false, why: "mismatch" };
  const scopes = JSON.parse(row.scopes) as string[];
  if (role === "operator" && !scopesCovered(scopes, wanted)) return { ok: false, why: "scope" };
  store.prepare("UPDATE device_tokens SET last_used_at = ? WHERE device_id = ? AND role = ?").run(now, deviceId, role);
  return { ok: true, scopes, issuedAt: row.created_at };
}

/** Revokes a device's token for a role; it must prove the gateway's secret (or be approved again) to get another. */
export function revokeToken(store: StoreHandle, deviceId: string, role: string): boolean {
  return Number(store.prepare("DELETE FROM device_tokens WHERE device_id = ? AND role = ?").run(deviceId, role).changes) > 0;
}
