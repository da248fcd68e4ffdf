/**
 * RPC methods of the watchdog (docs/alerts.md): `alerts.status` (targets, what is being watched,
 * open and recent alerts with each send's state) and `alerts.test` (a test alert to every target,
 * answered once each send settled). ALERTS_NO_TARGET is INVALID_REQUEST with the code in details.
 */
import { OnebrainError } from "../shared/errors.ts";
import type { GatewayContext } from "./context.ts";
import type { CallerInfo } from "./rpc-chat.ts";
import { RpcError } from "./rpc-error.ts";

type Handler = (params: unknown, ctx: GatewayContext, caller: CallerInfo) => unknown;

export const alertHandlers: Record<"alerts.status" | "alerts.test", Handler> = {
  "alerts.status": (params, ctx) => ctx.alerts.status((params as { recent?: number } | undefined)?.recent),
  "alerts.test": async (params, ctx, caller) => {
    try {
      const alert = await ctx.alerts.test((params as { waitMs?: number } | undefined)?.waitMs);
      ctx.logger.info({ alert: alert.id, targets: alert.sends.map((s) => `${s.target}: ${s.state}`), by: caller.clientId }, "alerts: test sent");
      return { alert };
    } catch (err) {
      if (err instanceof OnebrainError && err.code === "ALERTS_NO_TARGET")
        throw new RpcError("INVALID_REQUEST", err.message, { code: err.code, ...(err.hint ? { hint: err.hint } : {}) });
      throw err;
    }
  },
};
