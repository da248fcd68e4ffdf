/**
 * The two dialects this client speaks: onebrain's protocol 1, and OpenClaw's 3-4 (so `gateway
 * probe --url` and `status --url` work against an OpenClaw, Clawdbot or Moltbot gateway). An
 * OpenClaw gateway admits only its own client ids: this client says it is OpenClaw's `cli`, as
 * that CLI's probe does (`cli`/`probe`, 3-4) or its commands do (`cli`/`cli`).
 */
import { openclawConnectDetailCodes } from "../protocol/openclaw/errors.ts";
import { OPENCLAW_MIN_PROBE_PROTOCOL, OPENCLAW_PROTOCOL } from "../protocol/openclaw/version.ts";
import type { ErrorCode } from "../shared/errors.ts";

export type ClientDialect = "onebrain" | "openclaw";

export interface ConnectInput {
  protocol: number;
  clientId?: string | undefined;
  mode?: string | undefined;
  version: string;
  auth?: { token?: string; password?: string } | undefined;
  scopes?: string[] | undefined;
}

/** The `connect` params of a dialect. */
export function connectParams(dialect: ClientDialect, c: ConnectInput): Record<string, unknown> {
  const auth = c.auth ? { auth: c.auth } : {};
  if (dialect === "onebrain")
    return {
      minProtocol: c.protocol,
      maxProtocol: c.protocol,
      client: { id: c.clientId ?? "onebrain-cli", version: c.version, platform: process.platform, mode: c.mode ?? "cli" },
      ...auth,
    };
  // A probe may speak 3 (Clawdbot); a `cli` connection must cover 4. Only `cli`/`cli` from loopback
  // keeps its scopes without a device key on OpenClaw; a probe's are cleared, and health still answers.
  const probe = c.mode === "probe";
  return {
    minProtocol: probe ? OPENCLAW_MIN_PROBE_PROTOCOL : OPENCLAW_PROTOCOL,
    maxProtocol: OPENCLAW_PROTOCOL,
    client: { id: "cli", version: c.version, platform: process.platform, mode: probe ? "probe" : "cli" },
    caps: [],
    ...auth,
    role: "operator",
    scopes: c.scopes ?? ["operator.read"],
  };
}

/** The onebrain error code of a refusal, from the wire code and OpenClaw's `details.code`. */
export function refusalCode(code: string, details?: Record<string, unknown>): ErrorCode {
  const detail = typeof details?.code === "string" ? details.code : "";
  if (code === "AUTH_FAILED" || code === "AUTH_REQUIRED" || code === "NOT_PAIRED") return "AUTH_FAILED";
  if (code === "RATE_LIMITED" || detail === "AUTH_RATE_LIMITED") return "RATE_LIMITED";
  if (code === "PROTOCOL_UNSUPPORTED" || detail === "PROTOCOL_MISMATCH") return "PROTOCOL_ERROR";
  // Every other connect detail of OpenClaw's (token, password, device proof, pairing) is an auth refusal.
  if ((openclawConnectDetailCodes as readonly string[]).includes(detail)) return "AUTH_FAILED";
  return "UNHEALTHY";
}

/**
 * True when a refusal of onebrain's `connect` is an OpenClaw-family gateway's: it admits only its
 * own client ids ("invalid connect params: at /client/id: ...") and protocols 3-4 (PROTOCOL_MISMATCH).
 */
export function isOpenclawRefusal(wireCode: unknown, message: string, details?: Record<string, unknown>): boolean {
  if (wireCode !== "INVALID_REQUEST") return false;
  return details?.code === "PROTOCOL_MISMATCH" || /^invalid connect params\b/.test(message) || /^protocol mismatch\b/.test(message);
}
