/**
 * Which WebSocket upgrades are refused before the WebSocket exists, and how: shutting down (503),
 * a malformed target or Host (400, see request-target.ts), a foreign Host on a gateway without auth (421), a foreign browser Origin (403), an address
 * rate limited after failed auth (429). The refusal is a plain HTTP answer on the raw socket.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { originAllowed, type ClientInfo } from "./client.ts";
import type { GatewayContext } from "./context.ts";
import { misdirected } from "./http.ts";
import { clip } from "../shared/text.ts";
import { requestTarget } from "./request-target.ts";

export interface UpgradeRefusal {
  status: number;
  /** The HTTP reason phrase. */
  reason: string;
  /** Why, for the client (the JSON body) and `/api/ws-check`. */
  why: string;
  headers?: Record<string, string>;
}

/**
 * Why this upgrade must be refused, or null when it may proceed. `originOk` decides the Origin
 * (default: the gateway's own loopback origins and `gateway.allowedOrigins`).
 */
export function upgradeRefusal(
  ctx: GatewayContext,
  req: IncomingMessage,
  client: ClientInfo,
  draining: boolean,
  originOk: (origin: string | undefined) => boolean = (o) => originAllowed(o, ctx.plan.base, ctx.config().gateway.allowedOrigins),
): UpgradeRefusal | null {
  if (draining || ctx.shuttingDown) return { status: 503, reason: "Service Unavailable", why: "the gateway is shutting down" };
  const target = requestTarget(req);
  if (!target.ok) return { status: 400, reason: "Bad Request", why: target.why };
  const wrongHost = misdirected(ctx, target.host, client);
  if (wrongHost) return { status: 421, reason: "Misdirected Request", why: wrongHost };
  if (!originOk(req.headers.origin)) {
    const origin = clip(req.headers.origin ?? "");
    ctx.logThrottle.log("warn", { origin, client: client.address }, "refused WebSocket from a foreign origin");
    return { status: 403, reason: "Forbidden", why: `origin ${JSON.stringify(origin)} is not allowed (add it to gateway.allowedOrigins)` };
  }
  const wait = ctx.auth().mode === "none" ? 0 : ctx.limiter.retryAfterMs(client.address);
  if (wait > 0) {
    const s = Math.ceil(wait / 1000);
    return {
      status: 429,
      reason: "Too Many Requests",
      why: `too many failed auth attempts from ${client.address}; retry in ${s} s`,
      headers: { "Retry-After": String(s) },
    };
  }
  return null;
}

/** Answers a refused upgrade on its raw socket and ends it. */
export function rejectUpgrade(socket: Duplex, r: UpgradeRefusal): void {
  const body = JSON.stringify({ error: { message: r.why } });
  const extra = Object.entries(r.headers ?? {})
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("");
  // The client may already be gone (a reset right after its request): nothing to answer. Once the
  // answer is flushed the socket is destroyed, so a client that never closes its side holds nothing.
  if (!socket.writable) return void socket.destroy();
  socket.once("finish", () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${r.status} ${r.reason}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`,
  );
}
