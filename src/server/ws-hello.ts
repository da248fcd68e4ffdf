/**
 * The handshake of onebrain's own protocol (1) on a socket whose first frame is `connect`:
 * the params checked, the protocol range and the secret checked, then `hello-ok`
 * (docs/protocol.md). OpenClaw's dialect has its own (ws-openclaw.ts).
 */
import { closeCodes, type WireErrorCode } from "../protocol/codes.ts";
import { connectParamsSchema, PROTOCOL_VERSION, type HelloOk } from "../protocol/frames.ts";
import { METHODS, EVENTS } from "../protocol/methods.ts";
import { secretFingerprint } from "./auth.ts";
import type { GatewayContext } from "./context.ts";
import { checkAccess } from "./http.ts";
import type { Conn } from "./ws-conn.ts";

/** What the handshake needs from the socket side (ws.ts). */
export interface HelloSide {
  ctx: GatewayContext;
  sendFrame: (c: Conn, frame: object) => void;
  sendError: (c: Conn, id: string, code: WireErrorCode, message: string, extra?: { retryable?: boolean; retryAfterMs?: number; details?: unknown }) => void;
  closeWith: (c: Conn, code: number, reason: string) => void;
}

/** Admits `c` with `hello-ok`, or answers why not and closes it. */
export function onebrainHandshake(o: HelloSide, c: Conn, frame: { id: string; params?: unknown }): void {
  const { ctx, sendFrame, sendError, closeWith } = o;
  const parsed = connectParamsSchema.safeParse(frame.params);
  if (!parsed.success) {
    sendError(c, frame.id, "INVALID_REQUEST", `connect params: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    return closeWith(c, closeCodes.POLICY, "invalid connect");
  }
  const p = parsed.data;
  if (p.minProtocol > PROTOCOL_VERSION || p.maxProtocol < PROTOCOL_VERSION) {
    sendError(c, frame.id, "PROTOCOL_UNSUPPORTED", `this gateway speaks protocol ${PROTOCOL_VERSION}; the client asked for ${p.minProtocol}-${p.maxProtocol}`, {
      details: { serverProtocol: PROTOCOL_VERSION },
    });
    return closeWith(c, closeCodes.PROTOCOL_UNSUPPORTED, "protocol unsupported");
  }
  const access = checkAccess(ctx, c.client, p.auth ?? {});
  if (!access.ok) {
    if (access.code === "RATE_LIMITED") {
      sendError(c, frame.id, "RATE_LIMITED", access.message, { retryable: true, retryAfterMs: access.retryAfterMs ?? 1000 });
      return closeWith(c, closeCodes.RATE_LIMITED, "rate limited");
    }
    sendError(c, frame.id, access.code as WireErrorCode, access.message, { retryable: false });
    return closeWith(c, closeCodes.AUTH_FAILED, access.code === "AUTH_REQUIRED" ? "auth required" : "auth failed");
  }
  clearTimeout(c.handshakeTimer);
  c.handshakeTimer = undefined;
  c.authed = true;
  c.secretFp = secretFingerprint(ctx.auth());
  const w = ctx.config().gateway.ws;
  const hello: HelloOk = {
    type: "hello-ok",
    protocol: PROTOCOL_VERSION,
    server: { version: ctx.version, connId: c.id, instanceId: ctx.instanceId, host: ctx.paths.profile ?? "default" },
    features: { methods: [...METHODS], events: [...EVENTS] },
    snapshot: { uptimeMs: Date.now() - ctx.startedAtMs, stateDir: ctx.paths.stateDir, profile: ctx.paths.profile ?? null },
    policy: { maxPayload: w.maxPayload, maxBufferedBytes: w.maxBufferedBytes, tickIntervalMs: w.pingIntervalMs },
  };
  sendFrame(c, { type: "res", id: frame.id, ok: true, payload: hello });
  // Probes (healthchecks every few seconds) would drown the log at info level.
  c.quiet = p.client.mode === "probe";
  c.clientId = p.client.id;
  // Rate limited like refusals: a script reconnecting in a loop must not rotate the log away.
  ctx.logThrottle.log(
    c.quiet ? "debug" : "info",
    { conn: c.id, client: c.client.address, clientId: p.client.id, mode: p.client.mode },
    "client connected",
    100,
  );
}
