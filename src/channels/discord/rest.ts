/**
 * The REST client of the Discord channel: @discordjs/rest (buckets, headers, 429 bookkeeping),
 * set up so that onebrain's delivery keeps control:
 *   - `retries: 0`: the lib would resend a POST whose answer was lost (ECONNRESET, timeout), a
 *     blind resend that can post a reply twice; the core's in-doubt path decides instead;
 *   - `rejectOnRateLimit` for waits over REJECT_WAIT_MS: a long wait comes back as the lib's
 *     RateLimitError (retryAfter in ms) and the core waits, instead of a delivery pass blocked here;
 *     a short one is waited out by the lib (a 429 was not carried out, so its retry is safe);
 *   - requests go through src/shared/http-client.ts's agents, so HTTPS_PROXY / NO_PROXY apply as
 *     for every other platform call.
 */
import http from "node:http";
import https from "node:https";
import { Readable } from "node:stream";
import { REST, type RateLimitData, type ResponseLike } from "@discordjs/rest";
import { agentFor } from "../../shared/http-client.ts";

/** A rate limit wait longer than this is handed back to the core rather than waited out in the lib. */
export const REJECT_WAIT_MS = 3_000;

/** A request without an answer in this time is aborted (in doubt for a POST). */
export const REQUEST_TIMEOUT_MS = 15_000;

/** What the lib passes to `makeRequest` (the part of fetch's RequestInit it uses). */
interface RequestLike {
  method?: string;
  headers?: unknown;
  body?: unknown;
  signal?: AbortSignal | null;
}

/** Statuses whose answer has no body (a Response refuses one). */
const NO_BODY = new Set([101, 204, 205, 304]);

/**
 * The lib's `makeRequest` over node:http with our proxy-aware agents. A network error carries
 * `written: true` when the request had gone out on a connection (the server may have it).
 */
export function makeRequestVia(env: NodeJS.ProcessEnv): (url: string, init: RequestLike) => Promise<ResponseLike> {
  return (url, init) => {
    const u = new URL(url);
    const request = u.protocol === "https:" ? https.request : http.request;
    const headers = new Headers(init.headers as Record<string, string> | undefined);
    const body = init.body === undefined || init.body === null ? null : bodyBytes(init.body);
    if (body) headers.set("content-length", String(body.length));
    return new Promise((resolve, reject) => {
      const req = request(
        u,
        { method: init.method ?? "GET", headers: Object.fromEntries(headers), agent: agentFor(u, env), signal: init.signal ?? undefined },
        (res) => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(", ") : v);
          const status = res.statusCode ?? 0;
          const stream = NO_BODY.has(status) || init.method === "HEAD" ? null : (Readable.toWeb(res) as ReadableStream);
          if (!stream) res.resume();
          resolve(new Response(stream, { status, statusText: res.statusMessage ?? "", headers: h }));
        },
      );
      let written = false;
      req.on("finish", () => (written = true));
      req.on("error", (err) => reject(Object.assign(err, { written })));
      req.end(body ?? undefined);
    });
  };
}

function bodyBytes(body: unknown): Buffer {
  if (typeof body === "string") return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  // Uploads (FormData) are not used by the channel: it sends text only.
  throw new Error(`unsupported request body ${Object.prototype.toString.call(body)} (the Discord channel sends JSON only)`);
}

/** A REST client for the bot `token` at `apiRoot` (the lib adds `/v10`), through `env`'s proxy. */
export function createRest(o: { token: string; apiRoot: string; env: NodeJS.ProcessEnv }): REST {
  return new REST({
    api: o.apiRoot.replace(/\/+$/, ""),
    version: "10",
    retries: 0,
    timeout: REQUEST_TIMEOUT_MS,
    rejectOnRateLimit: (r: RateLimitData) => r.retryAfter > REJECT_WAIT_MS || r.timeToReset > REJECT_WAIT_MS,
    makeRequest: makeRequestVia(o.env),
    userAgentAppendix: "onebrain",
  }).setToken(o.token);
}
