/** The `hello-ok` an admitted OpenClaw client gets, in OpenClaw's shape (docs/openclaw.md). */
import { OPENCLAW_PROTOCOL } from "../../protocol/openclaw/version.ts";
import { scopeSatisfied } from "../../protocol/openclaw/scopes.ts";
import type { GatewayContext } from "../context.ts";
import type { OcSession } from "./types.ts";
import { OPENCLAW_EVENTS, OPENCLAW_METHODS } from "./methods/index.ts";
import { gatewayPresence, healthSnapshot, sessionDefaults } from "./snapshot.ts";

/** OpenClaw ticks every 30 s and its clients close after two silent intervals; onebrain ticks at its ping interval. */
export function helloOk(ctx: GatewayContext, connId: string, s: OcSession): Record<string, unknown> {
  const ws = ctx.config().gateway.ws;
  const admin = s.role === "operator" && scopeSatisfied(s.scopes, "operator.admin");
  const read = s.role === "operator" && scopeSatisfied(s.scopes, "operator.read");
  const auth = ctx.auth();
  return {
    type: "hello-ok",
    protocol: OPENCLAW_PROTOCOL,
    server: { version: ctx.version, connId },
    features: { methods: Object.keys(OPENCLAW_METHODS), events: [...OPENCLAW_EVENTS] },
    snapshot: {
      presence: read ? [gatewayPresence(ctx)] : [],
      health: healthSnapshot(ctx),
      stateVersion: { presence: 0, health: 0 },
      uptimeMs: Date.now() - ctx.startedAtMs,
      sessionDefaults: sessionDefaults(ctx),
      // Paths and the auth mode only for admins, as OpenClaw does.
      ...(admin ? { configPath: ctx.paths.configPath, stateDir: ctx.paths.stateDir, authMode: auth.mode } : {}),
    },
    auth: {
      method: s.method,
      role: s.role,
      scopes: [...s.scopes],
      ...(s.device ? { deviceToken: s.device.token, issuedAtMs: s.device.issuedAt } : {}),
    },
    policy: { maxPayload: ws.maxPayload, maxBufferedBytes: ws.maxBufferedBytes, tickIntervalMs: ws.pingIntervalMs },
  };
}
