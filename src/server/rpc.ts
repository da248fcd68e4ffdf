/** The RPC methods of protocol v1. Each handler gets validated params and the gateway context. */
import { methodParams, type MethodName } from "../protocol/methods.ts";
import { followLog, tailLog } from "../logging/tail.ts";
import type { GatewayContext } from "./context.ts";
import { chatHandlers, type CallerInfo } from "./rpc-chat.ts";
import { channelHandlers } from "./rpc-channels.ts";
import { outboxHandlers } from "./rpc-outbox.ts";
import { approvalHandlers } from "./rpc-approvals.ts";
import { canvasHandlers } from "./rpc-canvas.ts";
import { cronHandlers } from "./rpc-cron.ts";
import { alertHandlers } from "./rpc-alerts.ts";
import { whatsappHandlers } from "./rpc-whatsapp.ts";
import { deviceHandlers } from "./rpc-devices.ts";
import { brainStatus } from "./status.ts";

export type { CallerInfo } from "./rpc-chat.ts";
export type MethodHandler = (params: unknown, ctx: GatewayContext, caller: CallerInfo) => unknown; // a value or a Promise of one

/** Health as a probe wants it: ok only when every readiness component is ok. */
export function healthPayload(ctx: GatewayContext): { ok: boolean; ready: boolean; failing: string[]; uptimeMs: number; version: string; instanceId: string } {
  const report = ctx.readiness();
  return {
    ok: report.ready,
    ready: report.ready,
    failing: report.failing,
    uptimeMs: Date.now() - ctx.startedAtMs,
    version: ctx.version,
    instanceId: ctx.instanceId,
  };
}

export const handlers: Record<MethodName, MethodHandler> = {
  health: (_params, ctx) => healthPayload(ctx),
  status: (_params, ctx) => brainStatus(ctx),
  "logs.tail": async (params, ctx, caller) => {
    const { follow, ...p } = (params ?? {}) as { cursor?: number; limit?: number; maxBytes?: number; follow?: boolean };
    if (!ctx.logFile) return { file: null, cursor: 0, size: 0, lines: [], truncated: false, reset: false, following: false };
    const page = await tailLog({ file: ctx.logFile, ...p });
    if (follow) followForCaller(ctx.logFile, page.cursor, caller, ctx);
    return { ...page, following: Boolean(follow) };
  },
  "logs.unfollow": (_params, _ctx, caller) => {
    caller.unsubscribe("logs");
    return { following: false };
  },
  ...chatHandlers,
  ...channelHandlers,
  ...outboxHandlers,
  ...approvalHandlers,
  ...canvasHandlers,
  ...cronHandlers,
  // Webhooks (docs/hooks.md): the token's state (never the token), mappings, recent deliveries.
  "hooks.status": (params, ctx) => ctx.brain.hooks.status((params as { recent?: number } | undefined)?.recent),
  ...alertHandlers,
  ...whatsappHandlers,
  ...deviceHandlers,
};

/** Sends `log` events to one connection from `cursor` on, every ~250 ms, until it unsubscribes or closes. */
function followForCaller(file: string, cursor: number, caller: CallerInfo, ctx: GatewayContext): void {
  const signal = caller.subscribe("logs");
  void followLog(file, (lines, info) => caller.push("log", { cursor: info.cursor, lines, reset: info.reset, truncated: info.truncated }), {
    cursor,
    intervalMs: 250,
    signal,
  }).catch((err) => ctx.logger.warn({ err, conn: caller.connId }, "log follow stopped"));
}

/** Validates params for a method; returns the parsed params or an error message. */
export function parseParams(method: MethodName, params: unknown): { ok: true; value: unknown } | { ok: false; message: string } {
  const r = methodParams[method].safeParse(params);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, message: r.error.issues.map((i) => `${i.path.join(".") || "params"}: ${i.message}`).join("; ") };
}

/** True when `name` is a method of this protocol version. */
export function isMethod(name: string): name is MethodName {
  return Object.hasOwn(handlers, name);
}
