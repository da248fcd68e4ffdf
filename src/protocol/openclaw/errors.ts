/**
 * OpenClaw's wire errors as its clients branch on them: the top-level `code` (a closed list), the
 * `details.code` of connect failures, and the close codes. OpenClaw words every auth failure as
 * INVALID_REQUEST with a detail code; its clients decide whether to retry from the detail.
 */

/** `error.code` values an OpenClaw gateway sends (NOT_LINKED and AGENT_TIMEOUT are reserved, never sent). */
export const openclawErrorCodes = {
  INVALID_REQUEST: "Malformed params, an unknown method, a failed handshake or auth (details.code says which).",
  NOT_PAIRED: "The device must be approved first (details.code PAIRING_REQUIRED or DEVICE_IDENTITY_REQUIRED).",
  FORBIDDEN: "Authenticated, but the connection lacks the scope the method needs (details.code MISSING_SCOPE).",
  UNAVAILABLE: "Temporarily unavailable (the gateway is stopping, busy, or the method failed); retry later.",
  APPROVAL_NOT_FOUND: "No pending approval has that id.",
} as const;

export type OpenclawErrorCode = keyof typeof openclawErrorCodes;

/** `error.details.code` values of connect failures that this gateway sends. */
export const openclawConnectDetailCodes = [
  "PROTOCOL_MISMATCH",
  "AUTH_TOKEN_MISSING",
  "AUTH_TOKEN_MISMATCH",
  "AUTH_PASSWORD_MISSING",
  "AUTH_PASSWORD_MISMATCH",
  "AUTH_RATE_LIMITED",
  "AUTH_DEVICE_TOKEN_MISMATCH",
  "AUTH_SCOPE_MISMATCH",
  "DEVICE_IDENTITY_REQUIRED",
  "CONTROL_UI_DEVICE_IDENTITY_REQUIRED",
  "DEVICE_AUTH_DEVICE_ID_MISMATCH",
  "DEVICE_AUTH_SIGNATURE_EXPIRED",
  "DEVICE_AUTH_NONCE_REQUIRED",
  "DEVICE_AUTH_NONCE_MISMATCH",
  "DEVICE_AUTH_SIGNATURE_INVALID",
  "DEVICE_AUTH_PUBLIC_KEY_INVALID",
  "PAIRING_REQUIRED",
] as const;

export type OpenclawConnectDetailCode = (typeof openclawConnectDetailCodes)[number];

/** Close codes OpenClaw's clients read: 1008 for any refused handshake, 1002 for a version mismatch, 4001 for a removed device. */
export const openclawCloseCodes = {
  PREAUTH_TIMEOUT: 1000,
  PROTOCOL_MISMATCH: 1002,
  POLICY: 1008,
  SERVICE_RESTART: 1012,
  DEVICE_REMOVED: 4001,
} as const;

/** A close reason fits in 123 bytes; OpenClaw cuts it at 120 UTF-8 bytes. */
export function closeReason(text: string): string {
  const buf = Buffer.from(text || "invalid handshake", "utf8");
  if (buf.length <= 120) return text || "invalid handshake";
  let end = 120;
  // Never cut inside a UTF-8 sequence: continuation bytes are 10xxxxxx.
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString("utf8");
}
