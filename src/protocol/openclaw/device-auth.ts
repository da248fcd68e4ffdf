/**
 * OpenClaw's device proof: an Ed25519 key whose id is the hex SHA-256 of the raw public key, and a
 * signature over a `|`-joined payload that binds the socket's challenge nonce, the client, role,
 * scopes and the token it sent (v3 adds platform and device family; v2 is still accepted).
 * The signing time must be within two minutes of ours. Test vectors made with OpenClaw's own
 * functions are in test/fixtures/openclaw-device-vectors.json.
 */
import crypto from "node:crypto";

/** How far a device's clock (its `signedAt`) may be from ours. */
export const DEVICE_SIGNATURE_SKEW_MS = 120_000;

export interface DeviceProofInput {
  deviceId: string;
  clientId: string;
  clientMode: string;
  role: string;
  scopes: readonly string[];
  signedAtMs: number;
  /** `auth.token ?? auth.deviceToken ?? auth.bootstrapToken ?? ""` of the connect. */
  token: string;
  nonce: string;
  platform?: string | undefined;
  deviceFamily?: string | undefined;
}

/** Platform and family as signed: trimmed, ASCII letters lowercased (nothing else). */
function normalizeMeta(value: unknown): string {
  return typeof value === "string" ? value.trim().replace(/[A-Z]/g, (c) => c.toLowerCase()) : "";
}

/** The v2 or v3 string a device signs. */
export function deviceProofPayload(v: "v2" | "v3", p: DeviceProofInput): string {
  const base = [v, p.deviceId, p.clientId, p.clientMode, p.role, p.scopes.join(","), String(p.signedAtMs), p.token, p.nonce];
  return (v === "v3" ? [...base, normalizeMeta(p.platform), normalizeMeta(p.deviceFamily)] : base).join("|");
}

const SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** The raw 32-byte key from base64url, base64 (padded or not) or PEM; null when it is not an Ed25519 key. */
export function rawPublicKey(wire: string): Buffer | null {
  try {
    if (wire.includes("BEGIN")) {
      const key = crypto.createPublicKey(wire);
      if (key.asymmetricKeyType !== "ed25519") return null;
      return key.export({ format: "der", type: "spki" }).subarray(SPKI_ED25519_PREFIX.length);
    }
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(wire)) return null;
    const raw = Buffer.from(wire.replace(/-/g, "+").replace(/_/g, "/"), "base64");
    return raw.length === 32 ? raw : null;
  } catch {
    return null;
  }
}

/** The device id a raw public key gives: lowercase hex SHA-256. */
export function deviceIdOf(raw: Buffer): string {
  return crypto.createHash("sha256").update(raw).digest("hex");
}

/** The canonical wire form of a raw key: base64url without padding. */
export function publicKeyText(raw: Buffer): string {
  return raw.toString("base64url");
}

/** Whether `signature` (base64url or base64) is the key's Ed25519 signature of `payload`. */
export function verifySignature(raw: Buffer, payload: string, signature: string): boolean {
  try {
    const key = crypto.createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: "der", type: "spki" });
    const sig = Buffer.from(signature.replace(/-/g, "+").replace(/_/g, "/"), "base64");
    return sig.length === 64 && crypto.verify(null, Buffer.from(payload, "utf8"), key, sig);
  } catch {
    return false;
  }
}

export type DeviceProofFailure =
  | "DEVICE_AUTH_PUBLIC_KEY_INVALID"
  | "DEVICE_AUTH_DEVICE_ID_MISMATCH"
  | "DEVICE_AUTH_SIGNATURE_EXPIRED"
  | "DEVICE_AUTH_NONCE_REQUIRED"
  | "DEVICE_AUTH_NONCE_MISMATCH"
  | "DEVICE_AUTH_SIGNATURE_INVALID";

/** The words and reason OpenClaw gives each failure (its clients show the message, log the reason). */
export const DEVICE_PROOF_FAILURES: Record<DeviceProofFailure, { message: string; reason: string }> = {
  DEVICE_AUTH_PUBLIC_KEY_INVALID: { message: "device public key invalid", reason: "device-public-key" },
  DEVICE_AUTH_DEVICE_ID_MISMATCH: { message: "device identity mismatch", reason: "device-id-mismatch" },
  DEVICE_AUTH_SIGNATURE_EXPIRED: { message: "device signature expired", reason: "device-signature-stale" },
  DEVICE_AUTH_NONCE_REQUIRED: { message: "device nonce required", reason: "device-nonce-missing" },
  DEVICE_AUTH_NONCE_MISMATCH: { message: "device nonce mismatch", reason: "device-nonce-mismatch" },
  DEVICE_AUTH_SIGNATURE_INVALID: { message: "device signature invalid", reason: "device-signature" },
};

/** Checks a connect's device block against the socket's challenge; the device's canonical key and id, or why not. */
export function verifyDeviceProof(
  device: { id: string; publicKey: string; signature: string; signedAt: number; nonce: string },
  p: Omit<DeviceProofInput, "deviceId" | "signedAtMs" | "nonce">,
  challengeNonce: string,
  now: number,
): { ok: true; deviceId: string; publicKey: string; version: "v2" | "v3" } | { ok: false; code: DeviceProofFailure } {
  const raw = rawPublicKey(device.publicKey);
  if (!raw) return { ok: false, code: "DEVICE_AUTH_PUBLIC_KEY_INVALID" };
  if (deviceIdOf(raw) !== device.id) return { ok: false, code: "DEVICE_AUTH_DEVICE_ID_MISMATCH" };
  if (Math.abs(now - device.signedAt) > DEVICE_SIGNATURE_SKEW_MS) return { ok: false, code: "DEVICE_AUTH_SIGNATURE_EXPIRED" };
  if (!device.nonce.trim()) return { ok: false, code: "DEVICE_AUTH_NONCE_REQUIRED" };
  if (device.nonce !== challengeNonce) return { ok: false, code: "DEVICE_AUTH_NONCE_MISMATCH" };
  const input = { ...p, deviceId: device.id, signedAtMs: device.signedAt, nonce: device.nonce };
  for (const v of ["v3", "v2"] as const) {
    if (verifySignature(raw, deviceProofPayload(v, input), device.signature))
      return { ok: true, deviceId: device.id, publicKey: publicKeyText(raw), version: v };
  }
  return { ok: false, code: "DEVICE_AUTH_SIGNATURE_INVALID" };
}
