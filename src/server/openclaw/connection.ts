/**
 * An OpenClaw client on the gateway's WebSocket (docs/openclaw.md): its `connect` (closed schema,
 * version window, secret, device proof and approval, scopes), its requests (role and scope
 * checks, then the OpenClaw-shaped method), and its events. The socket, heartbeat and limits are
 * the gateway's own (ws.ts), shared with onebrain's protocol.
 */
import { openclawConnectSchema, issuePath, type OpenclawConnect } from "../../protocol/openclaw/connect.ts";
import { openclawAdmits, OPENCLAW_PROTOCOL } from "../../protocol/openclaw/version.ts";
import { closeReason, openclawCloseCodes } from "../../protocol/openclaw/errors.ts";
import { scopeSatisfied } from "../../protocol/openclaw/scopes.ts";
import type { DeviceRequest } from "../../devices/records.ts";
import type { GatewayContext } from "../context.ts";
import type { ClientInfo } from "../client.ts";
import { admit } from "./admit.ts";
import { helloOk } from "./hello.ts";
import { OPENCLAW_METHODS, isNodeMethod } from "./methods/index.ts";
import { OcError, type OcCaller, type OcSession } from "./types.ts";

export type { OcSession } from "./types.ts";

/** What this module needs from the socket layer. */
export interface OcIo {
  res(ok: true, payload: unknown, onWritten?: () => void): void;
  res(ok: false, error: { code: string; message: string; details?: unknown; retryable?: boolean; retryAfterMs?: number }): void;
  close(code: number, reason: string): void;
}

/** Handles a `connect` in OpenClaw's dialect; the session when it was admitted (hello-ok sent), else null (refused and closing). */
export function openclawConnect(
  ctx: GatewayContext,
  io: OcIo,
  params: unknown,
  sock: { connId: string; client: ClientInfo; nonce: string; origin: string | undefined },
  onRequested: (request: DeviceRequest) => void,
): OcSession | null {
  const parsed = openclawConnectSchema.safeParse(params);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    const message = `invalid connect params: at ${issuePath(first.path)}: ${first.message}`;
    io.res(false, { code: "INVALID_REQUEST", message });
    io.close(openclawCloseCodes.POLICY, closeReason(message));
    return null;
  }
  const p: OpenclawConnect = parsed.data;
  if (!openclawAdmits({ minProtocol: p.minProtocol, maxProtocol: p.maxProtocol, role: p.role ?? "operator", mode: p.client.mode })) {
    io.res(false, {
      code: "INVALID_REQUEST",
      message: "protocol mismatch",
      details: {
        code: "PROTOCOL_MISMATCH",
        clientMinProtocol: p.minProtocol,
        clientMaxProtocol: p.maxProtocol,
        expectedProtocol: OPENCLAW_PROTOCOL,
        minimumProbeProtocol: 3,
      },
    });
    io.close(openclawCloseCodes.PROTOCOL_MISMATCH, "protocol mismatch");
    return null;
  }
  const verdict = admit(ctx, p, sock);
  if (!verdict.ok) {
    if (verdict.requested) onRequested(verdict.requested);
    io.res(false, verdict.error);
    io.close(verdict.close.code, closeReason(verdict.close.reason));
    return null;
  }
  const session: OcSession = { ...verdict, clientId: p.client.id, clientMode: p.client.mode, wrongRole: 0 };
  io.res(true, helloOk(ctx, sock.connId, session));
  return session;
}

/** Runs one request of an admitted OpenClaw connection and answers it. */
export async function openclawRequest(ctx: GatewayContext, io: OcIo, s: OcSession, caller: OcCaller, method: string, params: unknown): Promise<void> {
  const m = Object.hasOwn(OPENCLAW_METHODS, method) ? OPENCLAW_METHODS[method]! : undefined;
  // OpenClaw routes node methods to nodes only and every other method to operators only (health to anyone).
  if (method !== "health" && (m || isNodeMethod(method)) && (s.role === "node") !== isNodeMethod(method)) {
    io.res(false, { code: "INVALID_REQUEST", message: `unauthorized role: ${s.role}` });
    if (++s.wrongRole > 10) io.close(openclawCloseCodes.POLICY, "repeated unauthorized calls");
    return;
  }
  s.wrongRole = 0;
  if (!m) {
    io.res(false, {
      code: "INVALID_REQUEST",
      // OpenClaw's clients match this exact message; what to do is in the details.
      message: `unknown method: ${method}`,
      details: { code: "UNKNOWN_METHOD", method, hint: "onebrain does not serve this OpenClaw method; docs/openclaw.md lists the ones it does" },
    });
    return;
  }
  if (m.scope && s.role === "operator" && !scopeSatisfied(s.scopes, m.scope)) {
    io.res(false, {
      code: "FORBIDDEN",
      message: `missing scope: ${m.scope}`,
      details: { code: "MISSING_SCOPE", missingScope: m.scope, requiredScopes: [m.scope] },
    });
    return;
  }
  let value = params;
  if (m.params) {
    const r = m.params.safeParse(params ?? {});
    if (!r.success) {
      const why = r.error.issues.map((i) => `at ${issuePath(i.path)}: ${i.message}`).join("; ");
      io.res(false, { code: "INVALID_REQUEST", message: `invalid ${method} params: ${why}` });
      return;
    }
    value = r.data;
  }
  try {
    io.res(true, await m.run(value, ctx, caller, (payload) => io.res(true, payload)));
  } catch (err) {
    if (err instanceof OcError) return io.res(false, { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) });
    ctx.logThrottle.log("error", { err, method, conn: caller.connId }, "method failed");
    io.res(false, { code: "UNAVAILABLE", message: `${method} failed: ${(err as Error).message}` });
  }
}
