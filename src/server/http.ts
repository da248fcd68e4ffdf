/** The HTTP side: health, readiness, the authenticated status and metrics endpoints, and where the canvas and webhooks plug in. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { checkCredentials } from "./auth.ts";
import { clientInfo, hostAllowed, type ClientInfo } from "./client.ts";
import { clip } from "../shared/text.ts";
import type { GatewayContext } from "./context.ts";
import { brainStatus } from "./status.ts";
import { sendMetrics } from "./metrics.ts";
import { ConsoleAssets } from "./console-assets.ts";
import { attemptId, WsAttempts } from "./ws-attempts.ts";
import { requestTarget } from "./request-target.ts";

/** Answers with a JSON body, never cached. */
export function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(res.req.method === "HEAD" ? undefined : text);
}

/** Credentials from `Authorization: Bearer X` (token or password) or Basic (password). */
export function httpCredentials(req: IncomingMessage): { token?: string; password?: string } {
  const h = req.headers.authorization ?? "";
  const bearer = /^Bearer\s+(.+)$/i.exec(h);
  if (bearer) return { token: bearer[1]!.trim(), password: bearer[1]!.trim() };
  const basic = /^Basic\s+(.+)$/i.exec(h);
  if (basic) {
    const decoded = Buffer.from(basic[1]!, "base64").toString("utf8");
    return { password: decoded.slice(decoded.indexOf(":") + 1) };
  }
  return {};
}

export type AccessResult = { ok: true; authenticated: boolean } | { ok: false; status: 401 | 429; code: string; message: string; retryAfterMs?: number };

/**
 * Decides whether a caller may use protected routes. With auth mode none only local callers may
 * (a proxied request is never local); otherwise valid credentials are required. Wrong secrets
 * count toward the per-address limit.
 */
export function checkAccess(ctx: GatewayContext, client: ClientInfo, creds: { token?: string | undefined; password?: string | undefined }): AccessResult {
  const auth = ctx.auth();
  if (auth.mode === "none") {
    return client.local
      ? { ok: true, authenticated: false }
      : { ok: false, status: 401, code: "AUTH_REQUIRED", message: "this gateway has no auth configured, so it only serves local clients" };
  }
  const wait = ctx.limiter.retryAfterMs(client.address);
  if (wait > 0) return { ok: false, status: 429, code: "RATE_LIMITED", message: "too many failed auth attempts; retry later", retryAfterMs: wait };
  const verdict = checkCredentials(auth, creds);
  if (verdict === "ok") {
    ctx.limiter.succeed(client.address);
    return { ok: true, authenticated: true };
  }
  // Only a wrong secret counts toward the limit: a missing one is the normal 401-then-retry flow.
  if (verdict === "wrong") ctx.limiter.fail(client.address);
  if (verdict === "wrong") ctx.logThrottle.log("warn", { client: client.address, peer: client.peer, verdict }, "auth failed", 30);
  else ctx.logThrottle.log("debug", { client: client.address, peer: client.peer, verdict }, "auth required");
  return verdict === "missing"
    ? { ok: false, status: 401, code: "AUTH_REQUIRED", message: `this gateway requires a ${auth.mode}` }
    : { ok: false, status: 401, code: "AUTH_FAILED", message: `wrong ${auth.mode}` };
}

/**
 * Why a request must be refused with 421 for its Host header, or null when it may proceed. Only
 * without auth: then the gateway serves any local caller, and a web page whose name was rebound
 * to 127.0.0.1 is a local caller that sends its own name as Host (DNS rebinding).
 */
export function misdirected(ctx: GatewayContext, host: string | undefined, client: ClientInfo): string | null {
  if (ctx.auth().mode !== "none") return null;
  if (hostAllowed(host, [...ctx.bind.hosts, ...ctx.boundHosts], ctx.config().gateway.allowedHosts)) return null;
  // Logged: a reverse proxy forwarding its public name is the likely cause, and the fix is one key.
  ctx.logThrottle.log(
    "warn",
    { host: clip(host ?? ""), client: client.address },
    "refused a request for a Host that is not this gateway's (421; see gateway.allowedHosts)",
  );
  return `Host ${clip(JSON.stringify(host ?? ""))} is not a name of this gateway. Without auth it answers only its loopback names and addresses and gateway.allowedHosts: add the name there, or set gateway.auth.`;
}

const clipped = (header: string | undefined): string | null => (header === undefined ? null : clip(header));

/**
 * The checks every request on a gateway listener (the gateway port and the canvas port) passes
 * first: a target read as RFC 9112 says (else 400), a Host that names this gateway when it has no
 * auth (else 421), GET or HEAD (else 405, unless `ownMethods` says the path's routes check the
 * method). Returns the target, or null once it has answered.
 */
export function admitRequest(
  ctx: GatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
  ownMethods: (path: string) => boolean = () => false,
): { path: string; query: string } | null {
  const target = requestTarget(req);
  if (!target.ok) {
    // The connection may be out of step with the client (which Host did it mean?): not reused.
    send(res, 400, { error: { code: "BAD_REQUEST", message: target.why } }, { connection: "close" });
    return null;
  }
  const wrongHost = misdirected(ctx, target.host, clientInfo(req, ctx.trustedProxies()));
  if (wrongHost) {
    send(res, 421, { error: { code: "MISDIRECTED_REQUEST", message: wrongHost } });
    return null;
  }
  const method = req.method ?? "GET";
  // Routes that take other methods (the webhooks' POST) answer 405 themselves.
  if (method !== "GET" && method !== "HEAD" && !ownMethods(target.path)) {
    send(res, 405, { error: { code: "METHOD_NOT_ALLOWED", message: `${method} is not served here` } }, { allow: "GET, HEAD" });
    return null;
  }
  return { path: target.path, query: target.query };
}

/** The canvas host's routes on the gateway port (`/__canvas__/...`, canvas/routes.ts): true when it answered. */
export type CanvasRoutes = (req: IncomingMessage, res: ServerResponse, path: string) => boolean;

/** The gateway port's paths that are the webhooks' (their routes take POST and check methods themselves). */
export function isHookPath(path: string): boolean {
  return path === "/hooks" || path.startsWith("/hooks/");
}

/** The webhooks' routes on the gateway port (`/hooks/...`, hooks/routes.ts): true when it answered. */
export type HookRoutes = (req: IncomingMessage, res: ServerResponse, path: string, query: string) => boolean;

/** Builds the request listener. */
export function createHttpHandler(
  ctx: GatewayContext,
  assets = new ConsoleAssets(),
  canvas: CanvasRoutes = () => false,
  hooks: HookRoutes = () => false,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const target = admitRequest(ctx, req, res, isHookPath);
    if (!target) return;
    const path = target.path;
    const method = req.method ?? "GET";
    if (hooks(req, res, path, target.query)) return;
    if (canvas(req, res, path)) return;
    if (assets.owns(path)) return assets.serve(res, path, method === "HEAD");
    switch (path) {
      case "/ws":
        // A WebSocket request that arrived as plain HTTP: a proxy dropped the upgrade on the way.
        ctx.attempts.record(attemptId(req.url), { upgraded: false });
        // Logged once a minute (then a count): a misconfigured proxy retries all day long.
        ctx.logThrottle.log(
          "warn",
          { client: clientInfo(req, ctx.trustedProxies()).address, upgrade: clipped(req.headers.upgrade), connection: clipped(req.headers.connection) },
          "a WebSocket request arrived without its upgrade (a reverse proxy without Upgrade/Connection headers?)",
          1,
        );
        send(
          res,
          426,
          {
            error: {
              code: "UPGRADE_REQUIRED",
              message:
                'This is the gateway\'s WebSocket endpoint, but the request arrived as plain HTTP: the WebSocket upgrade was lost on the way. A reverse proxy must pass it on (nginx: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade").',
            },
          },
          { upgrade: "websocket" },
        );
        return;
      case "/api/ws-check": {
        const id = new URLSearchParams(target.query).get("attempt");
        if (!WsAttempts.valid(id)) {
          send(res, 400, { error: { code: "INVALID_REQUEST", message: "attempt must be 8-64 characters of A-Z, a-z, 0-9, _ and -" } });
          return;
        }
        send(res, 200, ctx.attempts.lookup(id));
        return;
      }
      case "/healthz":
      case "/health":
        send(res, 200, { ok: true, service: "onebrain" });
        return;
      case "/readyz": {
        const report = ctx.readiness();
        const client = clientInfo(req, ctx.trustedProxies());
        const creds = httpCredentials(req);
        // Only a presented secret is an auth attempt: anonymous probes (load balancers) must not use up the failure limit.
        const presented = creds.token !== undefined || creds.password !== undefined;
        const detailed = client.local || (ctx.auth().mode !== "none" && presented && checkAccess(ctx, client, creds).ok);
        send(res, report.ready ? 200 : 503, detailed ? report : { ready: report.ready });
        return;
      }
      case "/api/status":
      case "/metrics": {
        const client = clientInfo(req, ctx.trustedProxies());
        const access = checkAccess(ctx, client, httpCredentials(req));
        if (!access.ok) {
          const headers: Record<string, string> =
            access.status === 401
              ? { "www-authenticate": 'Bearer realm="onebrain"' }
              : { "retry-after": String(Math.ceil((access.retryAfterMs ?? 1000) / 1000)) };
          send(res, access.status, { error: { code: access.code, message: access.message } }, headers);
          return;
        }
        if (path === "/metrics") return sendMetrics(res, ctx, method === "HEAD");
        send(res, 200, brainStatus(ctx));
        return;
      }
      default:
        send(res, 404, { error: { code: "NOT_FOUND", message: `no route ${path}` } });
    }
  };
}
