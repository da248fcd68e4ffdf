/**
 * The HTTP client for outside APIs (the model providers, Telegram sends): node:http and
 * node:https with keep-alive agents. The request is written synchronously by `post` (with a free
 * pooled connection its bytes leave on the next tick), which Telegram sends rely on.
 * Not `fetch`: at hundreds of replies a second its WHATWG streams, Request and Headers objects
 * cost a large share of the gateway's CPU, and leaving a stream early (after `[DONE]`) built
 * an AbortError with a stack each time. Here a body that is left early is drained in the
 * background, so its connection goes back to the pool instead of being torn down.
 */
import http from "node:http";
import https from "node:https";
import type { Readable } from "node:stream";

const agents = {
  "http:": new http.Agent({ keepAlive: true, scheduling: "lifo" }),
  "https:": new https.Agent({ keepAlive: true, scheduling: "lifo" }),
};

/** A body left early must end within this time, or its connection is closed. */
const DRAIN_MS = 10_000;

/** A response whose status and headers have arrived; the body is read with `chunks` or `text`. */
export interface HttpAnswer {
  status: number;
  statusText: string;
  /** A header's value (the first, if repeated), by lower-case name. */
  header(name: string): string | undefined;
  /** The body as UTF-8 text chunks. */
  chunks(): AsyncIterable<string>;
  /** At most `max` characters of the body; the rest is let go. A body cut short gives what arrived. */
  text(max: number): Promise<string>;
  /** Lets the body go without reading it. */
  discard(): void;
}

/** True when a kept-alive connection to `url`'s host is open and idle, so that a `post` there writes at once. */
export function hasIdleConnection(url: string): boolean {
  const u = new URL(url);
  const protocol = u.protocol === "https:" ? "https:" : "http:";
  const agent = agents[protocol];
  const key = agent.getName({ host: u.hostname, port: Number(u.port) || (protocol === "https:" ? 443 : 80) });
  return (agent.freeSockets[key]?.length ?? 0) > 0;
}

/** POSTs `body`; resolves when the status line and headers arrive, rejects on a network error or an abort. */
export function post(url: string, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<HttpAnswer> {
  const u = new URL(url);
  const protocol = u.protocol === "https:" || u.protocol === "http:" ? u.protocol : null;
  if (!protocol) return Promise.reject(new Error(`unsupported URL scheme ${JSON.stringify(u.protocol)} in ${u.origin} (use http: or https:)`));
  const request = protocol === "https:" ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = request(u, { method: "POST", headers: { ...headers, "content-length": Buffer.byteLength(body) }, agent: agents[protocol], signal }, (res) => {
      res.setEncoding("utf8");
      resolve(answer(res));
    });
    req.on("error", reject);
    req.end(body);
  });
}

function answer(res: http.IncomingMessage): HttpAnswer {
  return {
    status: res.statusCode ?? 0,
    statusText: res.statusMessage ?? "",
    header(name) {
      const v = res.headers[name];
      return Array.isArray(v) ? v[0] : v;
    },
    async *chunks() {
      let finished = false;
      try {
        for await (const chunk of res.iterator({ destroyOnReturn: false })) yield chunk as string;
        finished = true;
      } finally {
        if (!finished) letGo(res);
      }
    },
    async text(max) {
      let text = "";
      try {
        for await (const chunk of res.iterator({ destroyOnReturn: false })) {
          text += chunk as string;
          if (text.length >= max) break;
        }
      } catch {
        // a body cut short still has a status worth reporting
      }
      letGo(res);
      return text.slice(0, max);
    },
    discard: () => letGo(res),
  };
}

/** Drains what is left of a body so that the keep-alive connection can be reused; closes it if it does not end soon. */
function letGo(res: Readable): void {
  if (res.readableEnded || res.destroyed) return;
  const timer = setTimeout(() => res.destroy(), DRAIN_MS);
  timer.unref();
  res.once("close", () => clearTimeout(timer));
  res.on("error", () => {}); // a reset while draining is nobody's problem
  res.resume();
}
