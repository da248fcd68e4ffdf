/**
 * The request of web_fetch: a GET over node:http(s) whose every connection goes through the
 * guard's lookup (ssrf.ts), redirects followed by hand so each hop is checked again, and a body
 * read up to a byte cap after decompression (a small gzip that inflates to gigabytes stops at
 * the cap).
 *
 * Direct connections only: HTTP(S)_PROXY is not used here. Through a proxy the address the proxy
 * connects to is the proxy's business, out of the guard's sight, so the guard could not keep its
 * promise; the outside APIs (models, Telegram) keep using the proxy (src/shared/http-client.ts).
 */
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { pipeline, type Readable } from "node:stream";
import zlib from "node:zlib";
import { onebrainVersion } from "../../../shared/version.ts";
import { Refused, type Guard } from "./ssrf.ts";

/** What a fetch is allowed and given. */
export interface FetchOptions {
  guard: Guard;
  /** The guard's lookup (resolves and vets). */
  lookup: LookupFunction;
  maxRedirects: number;
  /** Aborted by the deadline or the run's cancel; ends whatever is in flight. */
  signal: AbortSignal;
  /** Told each URL before it is requested (so a failure can name the hop it happened on). */
  onHop?: (url: URL) => void;
}

/** A response whose head has arrived; the body is still unread on `body`. */
export interface Head {
  url: URL;
  status: number;
  statusText: string;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

const headers = () => ({
  "user-agent": `onebrain/${onebrainVersion()} (web_fetch)`,
  accept: "text/html,application/xhtml+xml,text/plain;q=0.9,text/*;q=0.8,application/json;q=0.8,*/*;q=0.1",
  "accept-encoding": "gzip, deflate, br",
});

/**
 * GETs `start`, following up to `maxRedirects` redirects, each hop checked by the guard (scheme,
 * credentials, literal address before the request; resolved addresses in its lookup). Throws
 * Refused for what the guard or a limit refuses; other errors are the network's.
 */
export async function fetchHead(start: URL, o: FetchOptions): Promise<Head> {
  let url = start;
  for (let hop = 0; ; hop++) {
    const why = o.guard.checkUrl(url);
    if (why) throw new Refused(hop === 0 ? why : `The redirect to ${shown(url)} was not followed. ${why}`);
    o.onHop?.(url);
    const res = await get(url, o);
    const location = res.headers.location;
    if (!REDIRECTS.has(res.statusCode ?? 0) || !location)
      return { url, status: res.statusCode ?? 0, statusText: res.statusMessage ?? "", headers: res.headers, body: res };
    res.destroy();
    if (!URL.canParse(location, url.href)) throw new Refused(`${shown(url)} redirects to "${location.slice(0, 200)}", which is not a URL.`);
    const next = new URL(location, url);
    if (hop >= o.maxRedirects)
      throw new Refused(`Stopped after ${o.maxRedirects} redirects (tools.web.maxRedirects) at ${shown(url)}, which redirects again to ${shown(next)}.`);
    url = next;
  }
}

/** A URL as it may be shown: without a user name or password (the guard refuses those, but never echoes them). */
export function shown(url: URL): string {
  if (!url.username && !url.password) return url.href;
  const copy = new URL(url);
  copy.username = "";
  copy.password = "";
  return copy.href;
}

/** One GET, resolved when its response head arrives. Fresh connection (no agent pool): each is vetted. */
function get(url: URL, o: FetchOptions): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const options: https.RequestOptions = {
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[|\]$/g, ""),
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      method: "GET",
      headers: headers(),
      agent: false,
      lookup: o.lookup,
      signal: o.signal,
    };
    const req = url.protocol === "https:" ? https.request(options) : http.request(options);
    req.once("response", (res) => {
      // Errors of the body surface where it is read; until then one must not crash the process.
      res.on("error", () => {});
      resolve(res);
    });
    req.on("error", reject);
    req.end();
  });
}

/** A body read up to a cap. */
export interface Body {
  bytes: Buffer;
  /** True when the body went on past `maxBytes` and the rest was not read. */
  truncated: boolean;
}

/**
 * Reads `head.body`, decompressed, until its end or `maxBytes` (counted after decompression, so a
 * zip bomb costs at most the cap). Throws Refused for an encoding it cannot decode.
 */
export async function readBody(head: Head, maxBytes: number, signal: AbortSignal): Promise<Body> {
  const encoding = String(head.headers["content-encoding"] ?? "identity")
    .trim()
    .toLowerCase();
  const decoder = decoderFor(encoding);
  if (decoder === undefined) {
    head.body.destroy();
    throw new Refused(`${head.url.href} came with content-encoding "${encoding.slice(0, 50)}", which web_fetch cannot decode.`);
  }
  const stream: Readable = decoder ? pipeline(head.body, decoder, () => {}) : head.body;
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  const stop = () => stream.destroy(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
  signal.addEventListener("abort", stop, { once: true });
  try {
    signal.throwIfAborted();
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const room = maxBytes - size;
      if (chunk.length > room) {
        chunks.push(chunk.subarray(0, room));
        size = maxBytes;
        truncated = true;
        break;
      }
      chunks.push(chunk);
      size += chunk.length;
    }
  } finally {
    signal.removeEventListener("abort", stop);
    stream.destroy();
    head.body.destroy();
  }
  return { bytes: Buffer.concat(chunks, size), truncated };
}

/** The decompressor of a content-encoding: null for none, undefined for one not supported. */
function decoderFor(encoding: string): zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress | null | undefined {
  // Lenient about a truncated stream's end, as browsers are: what arrived is still shown.
  const lenient = { finishFlush: zlib.constants.Z_SYNC_FLUSH };
  if (encoding === "identity" || encoding === "") return null;
  if (encoding === "gzip" || encoding === "x-gzip") return zlib.createGunzip(lenient);
  if (encoding === "deflate") return zlib.createInflate(lenient);
  if (encoding === "br") return zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH });
  return undefined;
}
