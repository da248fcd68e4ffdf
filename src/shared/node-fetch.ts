/**
 * A small `fetch` over node:http with the proxy-aware agents of http-client.ts, for platform SDKs
 * that take a fetch function (@discordjs/rest's `makeRequest`, @slack/web-api's `fetch`):
 *   - HTTPS_PROXY / NO_PROXY apply as for every other platform call;
 *   - an answer larger than `maxAnswerBytes` (a broken proxy, a hostile server) is refused, not
 *     held in memory;
 *   - a network error carries `written: true` when the request had gone out on a connection (the
 *     server may have it: a POST is then in doubt, never blindly sent again);
 *   - the global Response and fetch are never touched: loading them costs ~17 MiB of RSS.
 */
import http from "node:http";
import https from "node:https";
import { agentFor } from "./http-client.ts";

/** The part of fetch's RequestInit the SDKs use. */
export interface RequestLike {
  method?: string;
  headers?: unknown;
  body?: unknown;
  signal?: AbortSignal | null;
}

/** Statuses whose answer has no body. */
const NO_BODY = new Set([101, 204, 205, 304]);

/** A fetch for `service` (named in errors) through `env`'s proxy, with answers capped at `maxAnswerBytes`. */
export function nodeFetch(o: { env: NodeJS.ProcessEnv; service: string; maxAnswerBytes: number }): (url: string, init: RequestLike) => Promise<NodeResponse> {
  return (url, init) => {
    const u = new URL(url);
    if (u.protocol !== "http:" && u.protocol !== "https:") return Promise.reject(new Error(`unsupported URL scheme ${u.protocol} in ${u.origin}`));
    const request = u.protocol === "https:" ? https.request : http.request;
    const headers = headerRecord(init.headers);
    const body = init.body === undefined || init.body === null ? null : bodyBytes(init.body, o.service);
    if (body) headers["content-length"] = String(body.length);
    return new Promise((resolve, reject) => {
      const req = request(u, { method: init.method ?? "GET", headers, agent: agentFor(u, o.env), signal: init.signal ?? undefined }, (res) => {
        const empty = NO_BODY.has(res.statusCode ?? 0) || init.method === "HEAD";
        if (empty) res.resume();
        resolve(new NodeResponse(res, empty, url, o));
      });
      let written = false;
      req.on("finish", () => (written = true));
      req.on("error", (err) => reject(Object.assign(err, { written })));
      req.end(body ?? undefined);
    });
  };
}

/** What the SDKs read of an answer (status, url, headers get/has/entries, json/text/arrayBuffer), over node:http's message. */
export class NodeResponse {
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly url: string;
  readonly headers: Pick<Headers, "get" | "has" | "entries">;
  readonly body: http.IncomingMessage | null;
  bodyUsed = false;
  readonly #limits: { service: string; maxAnswerBytes: number };
  constructor(res: http.IncomingMessage, empty: boolean, url: string, limits: { service: string; maxAnswerBytes: number }) {
    this.status = res.statusCode ?? 0;
    this.statusText = res.statusMessage ?? "";
    this.ok = this.status >= 200 && this.status < 300;
    this.url = url;
    this.#limits = limits;
    const value = (name: string) => {
      const v = res.headers[name.toLowerCase()];
      return v === undefined ? null : Array.isArray(v) ? v.join(", ") : v;
    };
    const entries = () =>
      Object.keys(res.headers)
        .map((k) => [k, value(k) ?? ""] as [string, string])
        [Symbol.iterator]();
    this.headers = { get: value, has: (name) => value(name) !== null, entries: entries as Headers["entries"] };
    this.body = empty ? null : res;
  }
  private async bytes(): Promise<Buffer> {
    if (this.bodyUsed) throw new TypeError("Body has already been read");
    this.bodyUsed = true;
    if (!this.body) return Buffer.alloc(0);
    const { service, maxAnswerBytes } = this.#limits;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of this.body) {
      size += (c as Buffer).length;
      if (size > maxAnswerBytes) {
        this.body.destroy();
        throw new Error(`${service}'s answer (HTTP ${this.status}) is larger than ${maxAnswerBytes / 1024 / 1024} MiB: refused`);
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

/** Headers as a plain record: the SDKs pass a plain object (or, rarely, a Headers). */
function headerRecord(h: unknown): Record<string, string> {
  if (!h) return {};
  if (typeof (h as Headers).forEach === "function" && typeof (h as Headers).get === "function") {
    const out: Record<string, string> = {};
    (h as Headers).forEach((v, k) => (out[k] = v));
    return out;
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h as Record<string, unknown>))
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[k] = String(v);
  return out;
}

function bodyBytes(body: unknown, service: string): Buffer {
  if (typeof body === "string") return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (body instanceof URLSearchParams) return Buffer.from(body.toString());
  // Uploads (FormData) are not used: the channels send text only.
  throw new Error(`unsupported request body ${Object.prototype.toString.call(body)} (the ${service} channel sends text only)`);
}
