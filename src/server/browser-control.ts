/**
 * The browser control service: an HTTP API on `browser.controlPort` (base+2), loopback only,
 * authenticated as the gateway (docs/browser.md). Every call takes `?profile=NAME`; errors are the
 * registry's codes. The domain (profiles, launches, tabs) is src/browser/; this file is routing.
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import { parseAction, checkNavigable } from "../browser/actions.ts";
import type { BrowserManager } from "../browser/manager.ts";
import { OnebrainError, toOnebrainError } from "../shared/errors.ts";
import { planBind } from "./bind.ts";
import { clientInfo, originAllowed } from "./client.ts";
import type { BrowserControl, GatewayContext } from "./context.ts";
import { checkAccess, httpCredentials, misdirected, send as sendJson } from "./http.ts";
import { listenAll } from "./listen.ts";
import { requestTarget } from "./request-target.ts";
import { answerClientError, guardServer, logSocketError } from "./sockets.ts";

const MAX_BODY = 1024 * 1024;

function sendError(res: ServerResponse, err: unknown): void {
  const e = toOnebrainError(err);
  const close: Record<string, string> = (err as { closeConnection?: boolean }).closeConnection ? { connection: "close" } : {};
  sendJson(res, e.httpStatus, { error: { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) } }, close);
}

/** The JSON object of a POST body (empty body: `{}`); USAGE for anything else. */
async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    // The rest is never read: the connection is closed after the answer (see the handler).
    if (size > MAX_BODY) throw Object.assign(new OnebrainError("USAGE", `The request body is over ${MAX_BODY} bytes`), { closeConnection: true });
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString("utf8").trim();
  if (text === "") return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new OnebrainError("USAGE", `The request body is not JSON: ${(err as Error).message}`);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new OnebrainError("USAGE", "The request body must be a JSON object");
  return body as Record<string, unknown>;
}

const optionalText = (v: unknown, name: string): string | null => {
  if (v === undefined || v === null || v === "") return null;
  if (typeof v !== "string") throw new OnebrainError("USAGE", `"${name}" must be a string`);
  return v;
};

/** Routes one authenticated request. */
async function route(m: BrowserManager, method: string, path: string, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const profile = query.get("profile");
  const body: Record<string, unknown> = method === "POST" ? await readBody(req) : {};
  const tab = optionalText(body.tab ?? query.get("tab"), "tab");
  const maxTabs = (): number => m.maxTabs();
  const want = (allowed: "GET" | "POST") => {
    if (method !== allowed && !(allowed === "GET" && method === "HEAD"))
      throw Object.assign(new OnebrainError("USAGE", `${path} takes ${allowed}`), { status: 405 });
  };
  switch (path) {
    case "/":
    case "/status":
      want("GET");
      return sendJson(res, 200, m.status(profile));
    case "/start":
      want("POST");
      return sendJson(res, 200, await m.start(profile));
    case "/stop":
      want("POST");
      return sendJson(res, 200, await m.stop(profile));
    case "/tabs":
      want("GET");
      return sendJson(res, 200, { tabs: await m.use(profile, false, (s) => s.tabs()) });
    case "/tabs/open": {
      want("POST");
      const url = body.url === undefined ? "about:blank" : checkNavigable(body.url);
      return sendJson(res, 200, { tab: await m.use(profile, true, (s) => s.open(url, maxTabs())) });
    }
    case "/tabs/focus":
      want("POST");
      return sendJson(res, 200, { tab: await m.use(profile, false, (s) => s.focus(tab ?? must("tab"))) });
    case "/tabs/close":
      want("POST");
      await m.use(profile, false, (s) => s.close(tab ?? must("tab")));
      return sendJson(res, 200, { closed: tab });
    case "/navigate": {
      want("POST");
      const url = checkNavigable(body.url);
      return sendJson(res, 200, { tab: await m.use(profile, true, (s) => s.navigate(tab, url)) });
    }
    case "/snapshot":
      want("GET");
      return sendJson(res, 200, await m.use(profile, false, (s) => s.snapshot(tab)));
    case "/act": {
      want("POST");
      const action = parseAction(body);
      return sendJson(res, 200, { tab: await m.use(profile, false, (s) => s.act(tab, action)) });
    }
    case "/screenshot": {
      want("GET");
      const png = await m.use(profile, false, (s) => s.screenshot(tab, query.get("fullPage") === "1" || query.get("fullPage") === "true"));
      res.writeHead(200, { "content-type": "image/png", "cache-control": "no-store", "content-length": png.length });
      return void res.end(method === "HEAD" ? undefined : png);
    }
    case "/pdf": {
      want("GET");
      const pdf = await m.use(profile, false, (s) => s.pdf(tab));
      res.writeHead(200, { "content-type": "application/pdf", "cache-control": "no-store", "content-length": pdf.length });
      return void res.end(method === "HEAD" ? undefined : pdf);
    }
    default:
      return sendJson(res, 404, { error: { code: "NOT_FOUND", message: `no route ${path} (see docs/browser.md)` } });
  }
}

function must(name: string): never {
  throw new OnebrainError("USAGE", `"${name}" is required: a tab id from /tabs`);
}

/** The request listener: Host, Origin and auth as the gateway's, then the route. */
export function browserControlHandler(ctx: GatewayContext, m: BrowserManager, port: number): http.RequestListener {
  return (req, res) => {
    const target = requestTarget(req);
    if (!target.ok) return sendJson(res, 400, { error: { code: "BAD_REQUEST", message: target.why } }, { connection: "close" });
    const client = clientInfo(req, ctx.trustedProxies());
    const wrongHost = misdirected(ctx, target.host, client);
    if (wrongHost) return sendJson(res, 421, { error: { code: "MISDIRECTED_REQUEST", message: wrongHost } });
    // A web page must never drive the browser: any Origin but the gateway's own (or an allowed one) is refused.
    const origin = req.headers.origin;
    if (origin !== undefined && !originAllowed(origin, ctx.plan.base, ctx.config().gateway.allowedOrigins) && !originAllowed(origin, port, [])) {
      return sendJson(res, 403, {
        error: { code: "ORIGIN_FORBIDDEN", message: `Origin ${JSON.stringify(origin).slice(0, 100)} may not use the browser control service` },
      });
    }
    const access = checkAccess(ctx, client, httpCredentials(req));
    if (!access.ok) {
      const headers: Record<string, string> =
        access.status === 401 ? { "www-authenticate": 'Bearer realm="onebrain"' } : { "retry-after": String(Math.ceil((access.retryAfterMs ?? 1000) / 1000)) };
      return sendJson(res, access.status, { error: { code: access.code, message: access.message } }, headers);
    }
    const method = req.method ?? "GET";
    route(m, method, target.path, new URLSearchParams(target.query), req, res).catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      const status = (err as { status?: number }).status;
      if (status === 405) return sendJson(res, 405, { error: { code: "METHOD_NOT_ALLOWED", message: (err as Error).message } });
      const e = toOnebrainError(err);
      if (e.code === "INTERNAL") ctx.logger.error({ err, path: target.path }, "browser control request failed");
      sendError(res, e);
    });
  };
}

/** Listens on the control port (127.0.0.1, and ::1 when the host has it). A held port is reported, never fatal: the gateway serves on. */
export async function startBrowserControl(ctx: GatewayContext, m: BrowserManager): Promise<BrowserControl> {
  const port = ctx.plan.browserControl;
  const on = m.enabled();
  if (!on.enabled) return { port, listening: false, problem: `off: ${on.why}`, close: async () => {} };
  const handler = browserControlHandler(ctx, m, port);
  try {
    const { servers } = await listenAll(planBind({ bind: "loopback" }), port, () => {
      const s = http.createServer({ requestTimeout: 120_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 }, handler);
      s.on("clientError", (err, socket) => answerClientError(err, socket));
      guardServer(s, (err, where) => logSocketError(ctx.logThrottle, err, where));
      return s;
    });
    ctx.logger.info({ port }, "browser control listening on loopback");
    return {
      port,
      listening: true,
      problem: null,
      close: async () => {
        await Promise.all(servers.map((s) => new Promise<void>((r) => (s.close(() => r()), s.closeAllConnections()))));
      },
    };
  } catch (err) {
    const problem = toOnebrainError(err).message;
    ctx.logger.error({ port, err: problem }, "the browser control service cannot listen; the gateway serves on without it");
    return { port, listening: false, problem, close: async () => {} };
  }
}
