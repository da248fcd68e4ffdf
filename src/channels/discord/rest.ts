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
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { RateLimitData, ResponseLike } from "@discordjs/rest";
import { agentFor } from "../../shared/http-client.ts";

/**
 * @discordjs/rest's own "web" build: the same classes as its Node build, without the Node build's
 * import of the undici package, which only its default transport uses (~17 MiB of RSS a gateway
 * would carry for nothing: requests go through makeRequestVia below). Every value of the lib is
 * taken from here, so `instanceof` on its errors holds.
 */
const lib = (await import(
  pathToFileURL(path.join(path.dirname(createRequire(import.meta.url).resolve("@discordjs/rest")), "web.mjs")).href
)) as typeof import("@discordjs/rest");
export const { REST, DiscordAPIError, HTTPError, RateLimitError } = lib;
export type REST = import("@discordjs/rest").REST;
export type DiscordAPIError = import("@discordjs/rest").DiscordAPIError;
export type HTTPError = import("@discordjs/rest").HTTPError;
export type RateLimitError = import("@discordjs/rest").RateLimitError;

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

/** Discord's answers are small; a larger one (a broken proxy, a hostile server) is refused, not held in memory. */
export const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

/** Statuses whose answer has no body. */
const NO_BODY = new Set([101, 204, 205, 304]);

/**
 * The lib's `makeRequest` over node:http with our proxy-aware agents. A network error carries
 * `written: true` when the request had gone out on a connection (the server may have it).
 */
export function makeRequestVia(env: NodeJS.ProcessEnv): (url: string, init: RequestLike) => Promise<ResponseLike> {
  return (url, init) => {
    const u = new URL(url);
    const request = u.protocol === "https:" ? https.request : http.request;
    // The lib passes a plain object of headers (web.mjs's resolveRequest).
    const headers: Record<string, string> = { ...(init.headers as Record<string, string> | undefined) };
    const body = init.body === undefined || init.body === null ? null : bodyBytes(init.body);
    if (body) headers["content-length"] = String(body.length);
    return new Promise((resolve, reject) => {
      const req = request(u, { method: init.method ?? "GET", headers, agent: agentFor(u, env), signal: init.signal ?? undefined }, (res) => {
        const empty = NO_BODY.has(res.statusCode ?? 0) || init.method === "HEAD";
        if (empty) res.resume();
        resolve(new NodeResponse(res, empty) as unknown as ResponseLike);
      });
      let written = false;
      req.on("finish", () => (written = true));
      req.on("error", (err) => reject(Object.assign(err, { written })));
      req.end(body ?? undefined);
    });
  };
}

/**
 * What the lib reads of an answer (status, headers.get/has, json/text/arrayBuffer), over node:http's
 * message: the global Response would load Node's fetch implementation (~17 MiB of RSS) for this.
 */
class NodeResponse {
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly headers: Pick<Headers, "get" | "has">;
  readonly body: http.IncomingMessage | null;
  bodyUsed = false;
  constructor(res: http.IncomingMessage, empty: boolean) {
    this.status = res.statusCode ?? 0;
    this.statusText = res.statusMessage ?? "";
    this.ok = this.status >= 200 && this.status < 300;
    const value = (name: string) => {
      const v = res.headers[name.toLowerCase()];
      return v === undefined ? null : Array.isArray(v) ? v.join(", ") : v;
    };
    this.headers = { get: value, has: (name) => value(name) !== null };
    this.body = empty ? null : res;
  }
  private async bytes(): Promise<Buffer> {
    if (this.bodyUsed) throw new TypeError("Body has already been read");
    this.bodyUsed = true;
    if (!this.body) return Buffer.alloc(0);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of this.body) {
      size += (c as Buffer).length;
      if (size > MAX_ANSWER_BYTES) {
        this.body.destroy();
        throw new Error(`Discord's answer (HTTP ${this.status}) is larger than ${MAX_ANSWER_BYTES / 1024 / 1024} MiB: refused`);
      }
      chunks.push(c as Buffer);
    }
    return Buffer.concat(chunks);
  }
  async arrayBuffer(): Promise<ArrayBuffer> {
    const b = await this.bytes();
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;
  }
  async text(): Promise<string> {
    return (await this.bytes()).toString("utf8");
  }
  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }
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
