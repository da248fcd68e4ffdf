/**
 * The canvas's live-reload WebSockets (`<base>/__reload` on either port): refused before the
 * WebSocket exists as the gateway refuses its own (ws-upgrade.ts: stopping, bad target, foreign
 * Host, Origin, rate limit), then the canvas's auth (routes.ts), then a cap on how many are
 * open at once. Each open socket subscribes to the root's watcher and gets `{"type":"reload"}`
 * when a file changes; the last one closing stops the watch. A heartbeat ends sockets whose
 * client is gone, and the gateway's stop closes them all (1001).
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { closeCodes } from "../../protocol/codes.ts";
import { canvasAccess, canvasRoute, type CanvasListener } from "./routes.ts";
import { clientInfo, originAllowed } from "../client.ts";
import type { GatewayContext } from "../context.ts";
import { requestTarget } from "../request-target.ts";
import { rejectUpgrade, upgradeRefusal } from "../ws-upgrade.ts";

/** Live-reload sockets open at once, all clients together; more are refused with 503. */
export const MAX_RELOAD_CLIENTS = 64;

const RELOAD = '{"type":"reload"}';

/** How often each socket is pinged; one that missed the previous pong is ended. */
const HEARTBEAT_MS = 30_000;

/** The live-reload side of the canvas host. */
export interface CanvasReload {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, port: CanvasListener): void;
  /** Sockets open now. */
  count(): number;
  /** Closes every socket (1001) and stops the watch: the gateway is stopping. */
  close(): void;
}

/** Creates the live-reload sockets of `ctx.canvas`. */
export function createCanvasReload(ctx: GatewayContext, o: { heartbeatMs?: number } = {}): CanvasReload {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024, perMessageDeflate: false, clientTracking: false });
  const clients = new Map<WebSocket, { alive: boolean; unsubscribe: () => void }>();
  let closing = false;
  let heartbeat: NodeJS.Timeout | null = null;

  // The pages' origins: the gateway's and the canvas port's own, the configured ones, and "null":
  // a canvas page on the gateway port is sandboxed, so its browser sends `Origin: null`.
  const originOk = (origin: string | undefined): boolean =>
    origin === undefined ||
    origin === "null" ||
    originAllowed(origin, ctx.plan.base, ctx.config().gateway.allowedOrigins) ||
    originAllowed(origin, ctx.plan.canvas, []);

  const beat = (): void => {
    for (const [ws, c] of clients) {
      if (!c.alive) {
        ws.terminate();
        continue;
      }
      c.alive = false;
      ws.ping();
    }
  };

  const refuse = (socket: Duplex, status: number, reason: string, why: string, headers?: Record<string, string>): void =>
    rejectUpgrade(socket, { status, reason, why, ...(headers ? { headers } : {}) });

  return {
    handleUpgrade(req, socket, head, port) {
      const client = clientInfo(req, ctx.trustedProxies());
      const refusal = upgradeRefusal(ctx, req, client, closing, originOk);
      if (refusal) return rejectUpgrade(socket, refusal);
      const target = requestTarget(req);
      const route = target.ok ? canvasRoute(target.path, port) : null;
      if (!route?.reload || !ctx.canvas.enabled) return refuse(socket, 404, "Not Found", "no WebSocket here: the canvas's is <canvas path>/__reload");
      const access = canvasAccess(ctx, req, client, route.cap);
      if (!access.ok) {
        const wait = access.status === 429 ? { "Retry-After": String(Math.ceil((access.retryAfterMs ?? 1000) / 1000)) } : undefined;
        return refuse(socket, access.status, access.status === 429 ? "Too Many Requests" : "Unauthorized", `${access.code}: ${access.message}`, wait);
      }
      if (clients.size >= MAX_RELOAD_CLIENTS) {
        ctx.logThrottle.log("warn", { client: client.address, open: clients.size }, "refused a canvas live-reload socket: too many open");
        return refuse(socket, 503, "Service Unavailable", `${MAX_RELOAD_CLIENTS} canvas live-reload sockets are open; close a canvas page and retry`, {
          "Retry-After": "5",
        });
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        if (closing) {
          ws.close(closeCodes.GOING_AWAY, "gateway shutting down");
          return;
        }
        const watcher = ctx.canvas.watcher();
        const unsubscribe = watcher.subscribe(() => {
          if (ws.readyState === ws.OPEN) ws.send(RELOAD);
        });
        // Something changed between the page being served and this socket (its `g` is older).
        const served = new URLSearchParams(target.ok ? target.query : "").get("g");
        if (served !== null && served !== String(watcher.generation)) ws.send(RELOAD);
        clients.set(ws, { alive: true, unsubscribe });
        if (!heartbeat) {
          heartbeat = setInterval(beat, o.heartbeatMs ?? HEARTBEAT_MS);
          heartbeat.unref();
        }
        ws.on("pong", () => {
          const c = clients.get(ws);
          if (c) c.alive = true;
        });
        ws.on("error", () => {}); // a client's reset ends its socket; "close" follows
        ws.on("close", () => {
          clients.get(ws)?.unsubscribe();
          clients.delete(ws);
          if (clients.size === 0 && heartbeat) {
            clearInterval(heartbeat);
            heartbeat = null;
          }
        });
      });
    },
    count: () => clients.size,
    close() {
      closing = true;
      if (heartbeat) clearInterval(heartbeat);
      heartbeat = null;
      for (const [ws, c] of clients) {
        c.unsubscribe();
        ws.close(closeCodes.GOING_AWAY, "gateway shutting down");
        setTimeout(() => ws.terminate(), 500).unref();
      }
      clients.clear();
      ctx.canvas.close();
      wss.close();
    },
  };
}
