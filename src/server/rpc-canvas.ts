/** RPC methods of the canvas host: `canvas.info`, where the canvas is and its capability URLs (docs/canvas.md). */
import type { CanvasInfo } from "../protocol/canvas.ts";
import type { GatewayContext } from "./context.ts";

/** The canvas host's facts for an authenticated client (the console frames `path`). */
export function canvasInfo(ctx: GatewayContext): CanvasInfo {
  const c = ctx.canvas;
  const on = c.enabled;
  return {
    enabled: on,
    root: c.rootPath(),
    port: ctx.plan.canvas,
    listening: c.port !== null,
    portProblem: c.portProblem,
    path: on ? c.capabilityPath() : null,
    urls: on ? c.urls() : null,
    reloadClients: c.reloadClients,
  };
}

export const canvasHandlers: Record<"canvas.info", (params: unknown, ctx: GatewayContext) => unknown> = {
  "canvas.info": (_params, ctx) => canvasInfo(ctx),
};
