/**
 * The canvas host's HTTP side (docs/canvas.md): which paths are the canvas's on either port, who
 * may read them, and the answer. Auth is the gateway's own (`checkAccess`: a token or password
 * header; without auth, local callers only), plus the capability path `/c/<cap>/` for what
 * cannot send a header (an iframe, a browser tab): checked in constant time, a wrong one counted
 * toward the same per-address failure limit.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { CAPABILITY_PATTERN } from "../../canvas/capability.ts";
import { OnebrainError } from "../../shared/errors.ts";
import { CANVAS_MOUNT } from "./host.ts";
import { clientInfo, type ClientInfo } from "../client.ts";
import type { GatewayContext } from "../context.ts";
import { admitRequest, checkAccess, httpCredentials, send, type AccessResult, type CanvasRoutes } from "../http.ts";

/** Which listener a request came in on. */
export type CanvasListener = "gateway" | "canvas";

/** A request path read as the canvas's. */
export interface CanvasRoute {
  /** The path up to the served tree: `/__canvas__`, `/__canvas__/c/CAP`, `` or `/c/CAP`. */
  base: string;
  /** The capability in the path (checked later), or null. */
  cap: string | null;
  /** The rest, from its `/` (empty when the path stops at the base). */
  rest: string;
  /** The live-reload socket's path (`<base>/__reload`). */
  reload: boolean;
}

/** The name of the reload socket under each base; a canvas file of that name is never reachable. */
export const RELOAD_NAME = "__reload";

/** True when `path` is the canvas's on the gateway port. */
export function isCanvasPath(path: string): boolean {
  return path === CANVAS_MOUNT || path.startsWith(`${CANVAS_MOUNT}/`);
}

/** Reads `path` as a canvas route: on the gateway port only under `/__canvas__`; on the canvas port with or without it. */
export function canvasRoute(path: string, port: CanvasListener): CanvasRoute | null {
  let base = "";
  let rest = path;
  if (isCanvasPath(path)) {
    base = CANVAS_MOUNT;
    rest = path.slice(CANVAS_MOUNT.length);
  } else if (port === "gateway") return null;
  let cap: string | null = null;
  const m = /^\/c\/([^/]*)(\/.*)?$/.exec(rest);
  if (m) {
    cap = m[1]!;
    base = `${base}/c/${cap}`;
    rest = m[2] ?? "";
  }
  return { base, cap, rest, reload: rest === `/${RELOAD_NAME}` };
}

/**
 * Who may read the canvas: with a capability in the path, that capability (and, without gateway
 * auth, a local caller, as for everything else); without one, exactly the gateway's `checkAccess`.
 */
export function canvasAccess(ctx: GatewayContext, req: IncomingMessage, client: ClientInfo, cap: string | null): AccessResult {
  if (cap === null) return checkAccess(ctx, client, httpCredentials(req));
  const auth = ctx.auth();
  if (auth.mode === "none" && !client.local)
    return { ok: false, status: 401, code: "AUTH_REQUIRED", message: "this gateway has no auth configured, so it only serves local clients" };
  const wait = auth.mode === "none" ? 0 : ctx.limiter.retryAfterMs(client.address);
  if (wait > 0) return { ok: false, status: 429, code: "RATE_LIMITED", message: "too many failed auth attempts; retry later", retryAfterMs: wait };
  if (CAPABILITY_PATTERN.test(cap) && ctx.canvas.capabilityMatches(cap)) return { ok: true, authenticated: auth.mode !== "none" };
  if (auth.mode !== "none") ctx.limiter.fail(client.address);
  ctx.logThrottle.log("warn", { client: client.address, peer: client.peer }, "wrong canvas capability", 30);
  return {
    ok: false,
    status: 401,
    code: "AUTH_FAILED",
    message:
      "wrong canvas capability: get the current canvas URL from the console, `canvas.info` or the canvas tool (it changes when the gateway's secret does)",
  };
}

/** The refusal of `canvasAccess` as an HTTP answer (401 with a challenge, 429 with Retry-After). */
export function sendRefusal(res: ServerResponse, access: Extract<AccessResult, { ok: false }>): void {
  const headers: Record<string, string> =
    access.status === 401 ? { "www-authenticate": 'Bearer realm="onebrain"' } : { "retry-after": String(Math.ceil((access.retryAfterMs ?? 1000) / 1000)) };
  send(res, access.status, { error: { code: access.code, message: access.message } }, headers);
}

// Canvas pages are written by the agent. On the gateway port they share the console's origin, so
// they are sandboxed (an opaque origin: no console storage, no gateway WebSocket) and framed only
// by the console; on the canvas port they have an origin of their own. Neither leaks the
// capability in a Referer.
const HEADERS: Record<CanvasListener, Readonly<Record<string, string>>> = {
  gateway: {
    "content-security-policy": "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads; frame-ancestors 'self'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
  },
  canvas: { "x-content-type-options": "nosniff", "referrer-policy": "no-referrer" },
};

/** True when a browser asks for a document to show (a tab or a frame), not a script, style or fetch. */
function wantsPage(req: IncomingMessage): boolean {
  const dest = req.headers["sec-fetch-dest"];
  if (dest !== undefined) return dest === "document" || dest === "iframe" || dest === "frame";
  return /\btext\/html\b/.test(req.headers.accept ?? "");
}

/** Answers one canvas request that `admitRequest` let through. */
async function answer(ctx: GatewayContext, req: IncomingMessage, res: ServerResponse, path: string, port: CanvasListener): Promise<void> {
  const route = canvasRoute(path, port);
  if (!route) return send(res, 404, { error: { code: "NOT_FOUND", message: `no route ${path}` } });
  if (!ctx.canvas.enabled) return send(res, 404, { error: { code: "NOT_FOUND", message: "the canvas host is off (canvasHost.enabled is false)" } });
  const access = canvasAccess(ctx, req, clientInfo(req, ctx.trustedProxies()), route.cap);
  if (!access.ok) return sendRefusal(res, access);
  if (route.reload)
    return send(
      res,
      426,
      { error: { code: "UPGRADE_REQUIRED", message: "this is the canvas's live-reload WebSocket; open it as one" } },
      { upgrade: "websocket" },
    );
  // The bare base: redirected to its "/" form, so the page's relative links resolve under it.
  if (route.rest === "") return send(res, 301, { error: { code: "MOVED", message: "the canvas is at this path with a trailing /" } }, { location: `${path}/` });
  const root = ctx.canvas.root();
  const { serveCanvasFile } = await import("../../canvas/serve.ts");
  await serveCanvasFile(res, {
    root,
    rest: route.rest,
    requestPath: path,
    head: req.method === "HEAD",
    // The watch's generation now: the page's socket asks for a reload at once if it moved meanwhile.
    reloadPath: `${route.base}/${RELOAD_NAME}?g=${ctx.canvas.watcher().generation}`,
    wantsPage: wantsPage(req),
    headers: HEADERS[port],
    ifNoneMatch: req.headers["if-none-match"],
  });
}

/** Answers, turning a failure (an unusable root) into a coded 500 instead of a dropped request. */
function handle(ctx: GatewayContext, req: IncomingMessage, res: ServerResponse, path: string, port: CanvasListener): void {
  answer(ctx, req, res, path, port).catch((err: unknown) => {
    ctx.logThrottle.log("error", { err: (err as Error).message, path }, "a canvas request failed");
    if (res.headersSent) return void res.destroy();
    // A coded error (the root cannot be made) says what to fix; anything else is a bug, told in the log.
    if (err instanceof OnebrainError) send(res, err.httpStatus, { error: { code: err.code, message: err.message } });
    else send(res, 500, { error: { code: "INTERNAL", message: "the canvas request failed unexpectedly; the gateway log has the details" } });
  });
}

/** The canvas's routes on the gateway port, for createHttpHandler. */
export function canvasRoutes(ctx: GatewayContext): CanvasRoutes {
  return (req, res, path) => {
    if (!isCanvasPath(path)) return false;
    handle(ctx, req, res, path, "gateway");
    return true;
  };
}

/** The request listener of the canvas port: everything on it is the canvas's. */
export function canvasPortHandler(ctx: GatewayContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const target = admitRequest(ctx, req, res);
    if (target) handle(ctx, req, res, target.path, "canvas");
  };
}
