/**
 * Who an OpenClaw `connect` is let in as (docs/devices.md, docs/openclaw.md): the gateway's secret
 * (in `auth.token` or `auth.password`, as OpenClaw accepts either), or an approved device's token;
 * a device's Ed25519 proof of this socket's nonce; and approval of a device nobody has seen. The
 * decision and its words follow OpenClaw's gateway, so its clients retry, pause or ask the
 * operator exactly as they would against it.
 */
import { approveDevice, findDevice, markSeen, requestApproval, upgradeNeeded, type DeviceClaim, type DeviceRequest } from "../../devices/records.ts";
import { checkToken, issueToken } from "../../devices/tokens.ts";
import type { OpenclawConnect } from "../../protocol/openclaw/connect.ts";
import { UI_CLIENT_IDS } from "../../protocol/openclaw/connect.ts";
import { DEVICE_PROOF_FAILURES, verifyDeviceProof } from "../../protocol/openclaw/device-auth.ts";
import type { OpenclawErrorCode } from "../../protocol/openclaw/errors.ts";
import { normalizeScopes } from "../../protocol/openclaw/scopes.ts";
import type { ClientInfo } from "../client.ts";
import type { GatewayContext } from "../context.ts";
import { checkAccess } from "../http.ts";

/** A connection let in: its role, live scopes, how it proved itself, and its device. */
export interface Admitted {
  ok: true;
  role: "operator" | "node";
  scopes: string[];
  method: "none" | "token" | "password" | "device-token";
  device: { id: string; token: string; issuedAt: number } | null;
}

export interface Refused {
  ok: false;
  error: { code: OpenclawErrorCode; message: string; details?: Record<string, unknown>; retryable?: boolean; retryAfterMs?: number };
  /** The close after the answer (OpenClaw: 1008 for every refused handshake). */
  close: { code: number; reason: string };
  /** A new request for the operator to answer (broadcast as `device.pair.requested`). */
  requested?: DeviceRequest;
}

const refuse = (code: OpenclawErrorCode, message: string, details?: Record<string, unknown>, extra: Partial<Refused["error"]> = {}): Refused => ({
  ok: false,
  error: { code, message, ...(details ? { details } : {}), ...extra },
  close: { code: 1008, reason: message },
});

const PAIRING_MESSAGES = {
  "not-paired": "pairing required: device is not approved yet",
  "role-upgrade": "pairing required: device is asking for a higher role than currently approved",
  "scope-upgrade": "pairing required: device is asking for more scopes than currently approved",
} as const;

/** Refusal of the gateway secret in OpenClaw's words, with the step its clients take next. */
function authRefusal(ctx: GatewayContext, verdict: { code: string; retryAfterMs?: number }, p: OpenclawConnect, local: boolean): Refused {
  const mode = ctx.auth().mode === "password" ? "password" : "token";
  if (verdict.code === "RATE_LIMITED") {
    return refuse(
      "INVALID_REQUEST",
      "unauthorized: too many failed authentication attempts (retry later)",
      { code: "AUTH_RATE_LIMITED", authReason: "rate_limited", canRetryWithDeviceToken: false, recommendedNextStep: "wait_then_retry" },
      { retryable: true, retryAfterMs: verdict.retryAfterMs ?? 1000 },
    );
  }
  const missing = verdict.code === "AUTH_REQUIRED";
  const hint = p.client.mode === "cli" && local ? `use this gateway's gateway.auth.${mode} or pair the device` : `provide gateway auth ${mode}`;
  const message = missing ? `unauthorized: gateway ${mode} missing (${hint})` : `unauthorized: gateway ${mode} mismatch (${hint})`;
  const detail = `AUTH_${mode.toUpperCase()}_${missing ? "MISSING" : "MISMATCH"}`;
  const retryWithDevice = !missing && p.device !== undefined && p.auth?.deviceToken === undefined;
  return refuse("INVALID_REQUEST", message, {
    code: detail,
    authReason: `${mode}_${missing ? "missing" : "mismatch"}`,
    canRetryWithDeviceToken: retryWithDevice,
    recommendedNextStep: retryWithDevice ? "retry_with_device_token" : "update_auth_credentials",
  });
}

/** Decides a connect. `nonce` is the challenge this socket was sent; `origin` its browser Origin, if any. */
export function admit(
  ctx: GatewayContext,
  p: OpenclawConnect,
  sock: { client: ClientInfo; nonce: string; origin: string | undefined },
  now = Date.now(),
): Admitted | Refused {
  const role = p.role ?? "operator";
  if (role !== "operator" && role !== "node") return refuse("INVALID_REQUEST", "invalid role");
  const asked = role === "node" ? [] : [...new Set(p.scopes ?? [])];
  if (UI_CLIENT_IDS.includes(p.client.id) && !p.device) {
    return refuse("INVALID_REQUEST", "control ui requires device identity (use HTTPS or localhost secure context)", {
      code: "CONTROL_UI_DEVICE_IDENTITY_REQUIRED",
    });
  }
  const signed = p.auth?.token ?? p.auth?.deviceToken ?? p.auth?.bootstrapToken ?? "";
  let proof: { deviceId: string; publicKey: string } | null = null;
  if (p.device) {
    const meta = {
      clientId: p.client.id,
      clientMode: p.client.mode,
      role,
      scopes: p.scopes ?? [],
      token: signed,
      platform: p.client.platform,
      deviceFamily: p.client.deviceFamily,
    };
    const v = verifyDeviceProof(p.device, meta, sock.nonce, now);
    if (!v.ok) return refuse("INVALID_REQUEST", DEVICE_PROOF_FAILURES[v.code].message, { code: v.code, reason: DEVICE_PROOF_FAILURES[v.code].reason });
    proof = v;
  }
  const store = ctx.brain.store;
  const secret = p.auth?.token ?? p.auth?.password;
  const shared = checkAccess(ctx, sock.client, { token: p.auth?.token ?? p.auth?.password, password: p.auth?.password ?? p.auth?.token });
  let method: Admitted["method"];
  let presented: { token: string; issuedAt: number } | null = null;
  if (shared.ok) method = ctx.auth().mode === "none" ? "none" : ctx.auth().mode === "password" ? "password" : "token";
  else if (proof && (p.auth?.deviceToken ?? p.auth?.token)) {
    const token = (p.auth?.deviceToken ?? p.auth?.token)!;
    const check = checkToken(store, proof.deviceId, role, token, asked, now);
    if (!check.ok && (check.why === "scope" || p.auth?.deviceToken !== undefined || secret === undefined)) {
      if (check.why === "mismatch") ctx.limiter.fail(sock.client.address);
      return check.why === "scope"
        ? refuse("INVALID_REQUEST", "unauthorized: device token scope mismatch (re-pair or approve scope upgrade)", {
            code: "AUTH_SCOPE_MISMATCH",
            authReason: "scope_mismatch",
            canRetryWithDeviceToken: false,
            recommendedNextStep: "review_auth_configuration",
          })
        : refuse("INVALID_REQUEST", "unauthorized: device token mismatch (rotate/reissue device token)", {
            code: "AUTH_DEVICE_TOKEN_MISMATCH",
            authReason: "device_token_mismatch",
            canRetryWithDeviceToken: false,
            recommendedNextStep: "update_auth_credentials",
          });
    }
    if (!check.ok) return authRefusal(ctx, shared, p, sock.client.local);
    method = "device-token";
    presented = { token, issuedAt: check.issuedAt };
  } else if (!proof && !secret && shared.code !== "RATE_LIMITED") {
    return refuse("NOT_PAIRED", "device identity required", { code: "DEVICE_IDENTITY_REQUIRED" });
  } else return authRefusal(ctx, shared, p, sock.client.local);

  if (!proof) {
    if (role === "node") return refuse("NOT_PAIRED", "device identity required", { code: "DEVICE_IDENTITY_REQUIRED" });
    // Without a key, only OpenClaw's own local CLI and backend clients keep the scopes they ask for.
    const trusted = (p.client.id === "cli" && p.client.mode === "cli") || (p.client.id === "gateway-client" && p.client.mode === "backend");
    return { ok: true, role, scopes: trusted && sock.client.local && sock.origin === undefined ? asked : [], method, device: null };
  }

  const claim: DeviceClaim = {
    deviceId: proof.deviceId,
    publicKey: proof.publicKey,
    displayName: p.client.displayName,
    platform: p.client.platform,
    deviceFamily: p.client.deviceFamily,
    clientId: p.client.id,
    clientMode: p.client.mode,
    role,
    scopes: asked,
    remoteIp: sock.client.address,
  };
  const had = findDevice(store, proof.deviceId);
  const need = upgradeNeeded(had, role, asked);
  if (need) {
    // A loopback client that proved the gateway's secret could do all of this anyway; a node that was once approved and lost its role asks a person.
    const local = sock.client.local && method !== "device-token" && ctx.config().gateway.devices.autoApproveLocal && !(had && role !== "operator");
    if (!local) return pairingRequired(ctx, claim, need, had, now);
    approveDevice(store, claim, "local", now);
    ctx.logger.info({ device: proof.deviceId.slice(0, 12), client: p.client.id, role }, "approved a local device");
  }
  markSeen(store, proof.deviceId, now);
  const device = presented ?? issueToken(store, proof.deviceId, role, role === "operator" ? normalizeScopes(asked) : [], now);
  return { ok: true, role, scopes: asked, method, device: { id: proof.deviceId, token: device.token, issuedAt: device.issuedAt } };
}

function pairingRequired(
  ctx: GatewayContext,
  claim: DeviceClaim,
  need: keyof typeof PAIRING_MESSAGES,
  had: ReturnType<typeof findDevice>,
  now: number,
): Refused {
  const { request, isNew } = requestApproval(ctx.brain.store, claim, need, now);
  const message = PAIRING_MESSAGES[need];
  // A browser UI keeps reconnecting until someone approves; other clients pause (OpenClaw's own rule).
  const waits = UI_CLIENT_IDS.includes(claim.clientId);
  const refused = refuse("NOT_PAIRED", message, {
    code: "PAIRING_REQUIRED",
    reason: need,
    requestId: request.requestId,
    remediationHint: "Approve this device: onebrain devices approve " + request.requestId.slice(0, 8),
    deviceId: claim.deviceId,
    requestedRole: claim.role,
    ...(claim.scopes.length ? { requestedScopes: [...claim.scopes] } : {}),
    ...(had ? { approvedRoles: had.roles, approvedScopes: had.scopes } : {}),
    ...(waits ? { recommendedNextStep: "wait_then_retry", retryable: true, pauseReconnect: false } : {}),
  });
  refused.close.reason = `${message} (requestId: ${request.requestId})`;
  if (isNew) {
    refused.requested = request;
    ctx.logger.info(
      { device: claim.deviceId.slice(0, 12), client: claim.clientId, role: claim.role, request: request.requestId },
      "a device asks to be approved",
    );
  }
  return refused;
}
