/**
 * The fake Discord's HTTP side (fake-discord.ts): reads a request, records it, checks
 * `Authorization: Bot TOKEN`, applies the scripted trouble (429 with Discord's body and headers,
 * 5xx before the route runs, an answer lost after it ran) and writes X-RateLimit-* headers on every
 * answer. The routes themselves are in fake-discord-rest.ts. Private to the fake Discord.
 */
import http from "node:http";
import type { RestAnswer } from "./fake-discord-rest.ts";

/** A REST request as the fake received it. */
export interface FakeRequest {
  method: string;
  /** The path after `/api/v10`, decoded (e.g. `/channels/1/messages`). */
  path: string;
  body: any;
  at: number;
}

/** Scripted trouble for the next `n` matching requests. */
export interface Knob {
  n: number;
  /** "POST /channels/:id/messages"; unset: any route. */
  route?: string;
  match?: (r: FakeRequest) => boolean;
  status?: number;
  retryAfterS?: number;
  global?: boolean;
  /** Carry the request out, then destroy the socket instead of answering. */
  lose?: boolean;
}

/** What the HTTP side needs from the fake. */
export interface HttpHost {
  token(): string;
  requests: FakeRequest[];
  /** Told of each request as it arrives, before it is carried out (benches time replies with it). */
  onRequest(r: FakeRequest): void;
  knobs: Knob[];
  run(method: string, segs: string[], query: URLSearchParams, body: any): RestAnswer;
}

const b64url = (s: string) => Buffer.from(s).toString("base64url");
/** A request's route with its ids as `:id` ("POST /channels/:id/messages"). */
export const routeKey = (method: string, path: string) => `${method} ${path.replace(/\/\d+(?=\/|$)/g, "/:id")}`;
/** A test's route with any `:name` as `:id`. */
export const normRoute = (r: string) => r.replace(/:[A-Za-z_]+/g, ":id");

/** The request listener of the fake's HTTP server. */
export function restListener(h: HttpHost): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  return (req, res) => void handle(h, req, res);
}

async function handle(h: HttpHost, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  try {
    for await (const c of req) chunks.push(c as Buffer);
  } catch {
    return; // cut mid-body: Discord never saw the request
  }
  const url = new URL(req.url ?? "/", "http://x");
  const raw = Buffer.concat(chunks).toString();
  let body: any = undefined;
  try {
    body = raw ? JSON.parse(raw) : undefined;
  } catch {
    return reply(res, "", { status: 400, body: { message: "400: Bad Request", code: 0 } });
  }
  const m = /^\/api\/v10(\/.*)$/.exec(url.pathname);
  if (!m) return reply(res, "", { status: 404, body: { message: "404: Not Found", code: 0 } });
  const segs = m[1]!.split("/").slice(1).map(decodeURIComponent);
  const r: FakeRequest = { method: req.method ?? "GET", path: `/${segs.join("/")}`, body, at: Date.now() };
  h.requests.push(r);
  h.onRequest(r);
  const key = routeKey(r.method, r.path);
  // Interaction callbacks and webhook edits are authorised by the interaction token in the path.
  const byPathToken = segs[0] === "interactions" || segs[0] === "webhooks";
  if (!byPathToken && req.headers.authorization !== `Bot ${h.token()}`)
    return reply(res, key, { status: 401, body: { message: "401: Unauthorized", code: 0 } });
  const knob = h.knobs.find((k) => k.n > 0 && !k.lose && k.route === key && (!k.match || k.match(r)));
  if (knob) {
    knob.n--;
    if (knob.status === 429) return tooMany(res, key, knob.retryAfterS!, knob.global === true);
    return reply(res, key, { status: knob.status!, body: { message: `${knob.status}: ${http.STATUS_CODES[knob.status!]}`, code: 0 } });
  }
  const answer = h.run(r.method, segs, url.searchParams, body);
  const lose = h.knobs.find((k) => k.n > 0 && k.lose && (!k.route || k.route === key) && (!k.match || k.match(r)));
  if (lose) {
    lose.n--;
    return void req.socket.destroy();
  }
  reply(res, key, answer);
}

/** 429 as Discord sends it: `retry_after` in seconds (float) in the body, `Retry-After` (whole seconds) and the scope. */
function tooMany(res: http.ServerResponse, key: string, retryAfterS: number, global: boolean): void {
  const headers: Record<string, string> = { "retry-after": String(Math.ceil(retryAfterS)), "x-ratelimit-scope": global ? "global" : "user" };
  if (global) headers["x-ratelimit-global"] = "true";
  else Object.assign(headers, limitHeaders(key, 0, retryAfterS));
  reply(res, key, { status: 429, body: { message: "You are being rate limited.", retry_after: retryAfterS, global } }, headers);
}

/** A bucket of 5 per route; answers say 4 remain so well-behaved clients never wait unasked. */
function limitHeaders(key: string, remaining: number, resetAfterS: number): Record<string, string> {
  return {
    "x-ratelimit-limit": "5",
    "x-ratelimit-remaining": String(remaining),
    "x-ratelimit-reset": ((Date.now() + resetAfterS * 1000) / 1000).toFixed(3),
    "x-ratelimit-reset-after": resetAfterS.toFixed(3),
    "x-ratelimit-bucket": b64url(key).slice(0, 32),
  };
}

function reply(res: http.ServerResponse, key: string, a: RestAnswer, extra?: Record<string, string>): void {
  const headers = { ...limitHeaders(key, 4, 1), ...extra };
  if (a.status === 204) return void res.writeHead(204, headers).end();
  res.writeHead(a.status, { "content-type": "application/json", ...headers }).end(JSON.stringify(a.body));
}
