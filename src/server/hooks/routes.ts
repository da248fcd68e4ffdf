/**
 * Webhooks in on the gateway port (docs/hooks.md): `POST /hooks/agent`, `POST /hooks/wake`,
 * `POST /hooks/<mapping>` and `GET /hooks/runs/<id>`. The order of the checks is the point:
 * a token in the URL is refused before anything else (it is in some log already); the failure
 * limiter and the token come before the body is read, so a stranger cannot make the gateway
 * buffer anything; the body is read under its cap; a mapping's signature is checked over its
 * exact bytes; the delivery is answered 202 only once it is durable. Auth is the hook token's
 * alone: the gateway's token opens nothing here, and the hook token opens nothing else.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { metrics } from "../../metrics/instruments.ts";
import { OnebrainError, toOnebrainError } from "../../shared/errors.ts";
import type { AuthVerdict, HookTarget } from "../../hooks/service.ts";
import { isJsonType, secretInQuery } from "../../hooks/request.ts";
import { clientInfo } from "../client.ts";
import type { GatewayContext } from "../context.ts";
import { isHookPath, send, type HookRoutes } from "../http.ts";
import { lingerOnClose, readBody } from "./body.ts";

function answer(res: ServerResponse, err: OnebrainError, headers: Record<string, string> = {}): void {
  metrics.hookRefusals.inc({ status: String(err.httpStatus) });
  const extra: Record<string, string> = err.httpStatus === 401 ? { "www-authenticate": 'Bearer realm="onebrain-hooks"' } : {};
  send(res, err.httpStatus, { error: { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) } }, { ...extra, ...headers });
}

function plain(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  metrics.hookRefusals.inc({ status: String(status) });
  send(res, status, { error: { code, message } }, headers);
}

/**
 * A refusal of auth answered; a wrong secret counted against the sender's address. Before the
 * body is read (`close`), the connection is not reused: Node would read the unread body to its end.
 */
function refused(
  ctx: GatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
  verdict: Extract<AuthVerdict, { ok: false }>,
  address: string,
  hook: string,
  close: boolean,
): void {
  if (verdict.counted) ctx.limiter.fail(address);
  ctx.logThrottle.log(verdict.counted ? "warn" : "debug", { client: address, hook, code: verdict.error.code }, "webhook refused: auth", 30);
  answer(res, verdict.error, close ? closing(req, res) : {});
}

/** The header of an answer given without reading the body, whose connection then closes lingering (body.ts). */
function closing(req: IncomingMessage, res: ServerResponse): Record<string, string> {
  lingerOnClose(req, res);
  return { connection: "close" };
}

/** `POST /hooks/<name>`: token, content type, body under its cap, signature, then the delivery, answered once durable. */
async function deliver(
  ctx: GatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
  target: HookTarget | null,
  name: string,
  query: URLSearchParams,
  address: string,
): Promise<void> {
  const hooks = ctx.brain.hooks;
  // Unknown names take the token too, so a stranger cannot list the mappings by probing.
  const token = hooks.authorizeToken(target, req.headers);
  if (!token.ok) return refused(ctx, req, res, token, address, name, true);
  if (!target)
    return answer(
      res,
      new OnebrainError("HOOK_NOT_FOUND", `No hook /hooks/${name.slice(0, 64)}: the built-in hooks are agent and wake, the others are hooks.mappings`),
      closing(req, res),
    );
  const type = req.headers["content-type"];
  // Refused before the body is read: the body is not taken, and the connection closes (lingering: body.ts).
  if (hooks.wantsJson(target) && !isJsonType(type))
    return plain(res, 415, "UNSUPPORTED_MEDIA_TYPE", `/hooks/${name} takes a JSON body: send Content-Type: application/json`, closing(req, res));
  const max = ctx.config().hooks.maxBodyBytes;
  const body = await readBody(req, max);
  if (!body.ok) {
    if (body.why === "aborted") return void res.destroy();
    ctx.logThrottle.log("warn", { client: address, hook: name, max }, "webhook refused: body over hooks.maxBodyBytes", 30);
    return plain(res, 413, "PAYLOAD_TOO_LARGE", `The body is over hooks.maxBodyBytes (${max} bytes): nothing of it was kept`, closing(req, res));
  }
  const request = { headers: req.headers, query, raw: body.raw };
  const signed = hooks.authorizeSignature(target, request);
  if (!signed.ok) return refused(ctx, req, res, signed, address, name, false);
  ctx.limiter.succeed(address);
  const { value, durable } = hooks.accept(target, request, type);
  try {
    await durable;
  } catch {
    return answer(res, new OnebrainError("HOOK_UNAVAILABLE", "The delivery could not be stored (the brain's database failed): send it again"), {
      "retry-after": "5",
    });
  }
  metrics.hookDeliveries.inc({ hook: target.name, outcome: value.duplicate ? "duplicate" : "accepted" });
  ctx.logger.info(
    { hook: name, runId: value.runId, duplicate: value.duplicate, client: address },
    value.duplicate ? "webhook replayed: answered with its first delivery" : "webhook accepted",
  );
  send(res, value.duplicate ? 200 : 202, value.duplicate ? { runId: value.runId, duplicate: true } : { runId: value.runId }, {
    location: `/hooks/runs/${value.runId}`,
  });
}

function runView(ctx: GatewayContext, req: IncomingMessage, res: ServerResponse, id: string, address: string): void {
  const token = ctx.brain.hooks.authorizeToken(null, req.headers);
  if (!token.ok) return refused(ctx, req, res, token, address, "runs", false);
  ctx.limiter.succeed(address);
  send(res, 200, ctx.brain.hooks.run(id));
}

/** Answers one request under /hooks. */
async function route(ctx: GatewayContext, req: IncomingMessage, res: ServerResponse, path: string, rawQuery: string): Promise<void> {
  // Refusals before the body is read close a connection that may carry one (see closing()).
  const unread = (): Record<string, string> => (req.method === "GET" || req.method === "HEAD" ? {} : closing(req, res));
  if (!ctx.config().hooks.enabled) return plain(res, 404, "NOT_FOUND", "Webhooks are off on this gateway (hooks.enabled is false)", unread());
  const query = new URLSearchParams(rawQuery);
  const inUrl = secretInQuery(query);
  if (inUrl) {
    // Never the value: the operator learns that a token leaked into a URL (and should rotate it).
    ctx.logThrottle.log(
      "warn",
      { client: clientInfo(req, ctx.trustedProxies()).address, parameter: inUrl.slice(0, 32) },
      "webhook refused: a secret in its URL",
      30,
    );
    return answer(
      res,
      new OnebrainError("HOOK_INVALID", `Refused: a "${inUrl.slice(0, 32)}" in the URL. Tokens never go in URLs: they end up in logs and browser histories`, {
        hint: "Send the hook token as `Authorization: Bearer ...` or `X-Onebrain-Hook-Token`, and make a new one (`onebrain hooks token --rotate`) if it was real.",
      }),
      unread(),
    );
  }
  if (ctx.shuttingDown)
    return answer(res, new OnebrainError("HOOK_UNAVAILABLE", "The gateway is stopping: send the delivery again shortly"), { ...unread(), "retry-after": "5" });
  const method = req.method ?? "GET";
  const parts = path.split("/").slice(2);
  const isRun = parts[0] === "runs";
  if (parts.length === 0 || parts[0] === "" || parts.length > (isRun ? 2 : 1) || (isRun && parts.length !== 2))
    return plain(
      res,
      404,
      "NOT_FOUND",
      `no route ${path.slice(0, 200)}: hooks are POST /hooks/agent, /hooks/wake, /hooks/<mapping> and GET /hooks/runs/<id>`,
      unread(),
    );
  const allowed = isRun ? ["GET", "HEAD"] : ["POST"];
  if (!allowed.includes(method))
    return plain(res, 405, "METHOD_NOT_ALLOWED", `${method.slice(0, 16)} is not served at ${isRun ? "/hooks/runs/<id>" : path}: use ${allowed.join(" or ")}`, {
      allow: allowed.join(", "),
      ...unread(),
    });
  const client = clientInfo(req, ctx.trustedProxies());
  const wait = ctx.limiter.retryAfterMs(client.address);
  if (wait > 0)
    return plain(res, 429, "RATE_LIMITED", "Too many failed auth attempts from this address; retry later", {
      "retry-after": String(Math.ceil(wait / 1000)),
      ...unread(),
    });
  if (isRun) return runView(ctx, req, res, parts[1]!, client.address);
  return deliver(ctx, req, res, ctx.brain.hooks.target(parts[0]!), parts[0]!, query, client.address);
}

/** The hooks' routes for createHttpHandler: true when the path was theirs (answered, or being answered). */
export function hookRoutes(ctx: GatewayContext): HookRoutes {
  return (req, res, path, query) => {
    if (!isHookPath(path)) return false;
    route(ctx, req, res, path, query).catch((err: unknown) => {
      const e = toOnebrainError(err);
      if (e.code === "INTERNAL") ctx.logger.error({ err, path: path.slice(0, 200) }, "a webhook request failed");
      if (res.headersSent) return void res.destroy();
      // Coded refusals (a bad field, an unknown run) are the sender's to fix; anything else is a bug, told in the log.
      if (e.code === "INTERNAL") plain(res, 500, "INTERNAL", "The webhook request failed unexpectedly; the gateway log has the details");
      else answer(res, e);
    });
    return true;
  };
}
