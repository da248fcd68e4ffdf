/**
 * The canvas host wired into a started gateway (docs/canvas.md): its routes under `/__canvas__/`
 * on the gateway port, its live-reload sockets on both ports, and the canvas port's listener.
 */
import type http from "node:http";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { GatewayContext } from "../context.ts";
import type { CanvasRoutes } from "../http.ts";
import { requestTarget } from "../request-target.ts";
import { createCanvasReload } from "./reload.ts";
import { canvasPortHandler, canvasRoutes, isCanvasPath } from "./routes.ts";

type Upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** What the gateway's own listener and stop sequence need of the canvas. */
export interface CanvasWiring {
  /** The canvas's routes for the gateway port's request handler. */
  routes: CanvasRoutes;
  /** Takes a gateway-port upgrade that is the canvas's (true), or leaves it to the gateway's WebSocket (false). */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Closes the live-reload sockets and the watch (the canvas port closes with the gateway's servers). */
  close(): void;
}

/** Wires the canvas and listens on its port (`makeServer` builds a server as the gateway's are built). */
export async function wireCanvas(
  ctx: GatewayContext,
  makeServer: (request: http.RequestListener, upgrade: Upgrade) => () => http.Server,
): Promise<CanvasWiring> {
  const reload = createCanvasReload(ctx);
  await ctx.canvas.listen(makeServer(canvasPortHandler(ctx), (req, socket, head) => reload.handleUpgrade(req, socket, head, "canvas")));
  return {
    routes: canvasRoutes(ctx),
    upgrade(req, socket, head) {
      const target = requestTarget(req);
      if (!target.ok || !isCanvasPath(target.path)) return false;
      reload.handleUpgrade(req, socket, head, "gateway");
      return true;
    },
    close: () => reload.close(),
  };
}
