/**
 * Helpers for the console's tests: the console's Connection wired to Node's own WebSocket and
 * fetch (the same standard APIs a browser has), waiting on its states, and a reverse proxy that
 * misbehaves the way real ones do.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { Connection, type LinkDeps, type LinkOptions, type LinkSnapshot } from "../../console/src/link/connection.ts";

export interface TestLink {
  conn: Connection;
  /** Every state the link went through, in order. */
  states: LinkSnapshot[];
  /** The URLs it dialled. */
  dialled: string[];
}

/** A console Connection to `127.0.0.1:port`, as a page served from there would make it. */
export function nodeLink(port: number, opts: LinkOptions = {}, deps: Partial<LinkDeps> = {}): TestLink {
  const dialled: string[] = [];
  const states: LinkSnapshot[] = [];
  const conn = new Connection(
    {
      WebSocket: class extends WebSocket {
        constructor(url: string) {
          dialled.push(url);
          super(url);
        }
      },
      fetch: (url) => fetch(url),
      location: { protocol: "http:", host: `127.0.0.1:${port}` },
      ...deps,
    },
    { clientVersion: "test", platform: "node", ...opts },
  );
  conn.subscribe((s) => states.push(s));
  return { conn, states, dialled };
}

/** Resolves with the first snapshot (the current one included) that satisfies `pred`. */
export function waitForLink(conn: Connection, pred: (s: LinkSnapshot) => boolean, what: string, ms = 10_000): Promise<LinkSnapshot> {
  if (pred(conn.snapshot)) return Promise.resolve(conn.snapshot);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(
        new Error(`timed out after ${ms} ms waiting for ${what}; last state ${JSON.stringify({ ...conn.snapshot, hello: conn.snapshot.hello ? "…" : null })}`),
      );
    }, ms);
    const off = conn.subscribe((s) => {
      if (!pred(s)) return;
      clearTimeout(timer);
      off();
      resolve(s);
    });
  });
}

/** Waits `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface TestProxy {
  port: number;
  close(): Promise<void>;
}

function writeRaw(socket: Duplex, status: number, statusText: string, headers: Record<string, string>, body: string): void {
  const lines = Object.entries({ ...headers, "content-length": String(Buffer.byteLength(body)), connection: "close" }).map(([k, v]) => `${k}: ${v}\r\n`);
  socket.end(`HTTP/1.1 ${status} ${statusText}\r\n${lines.join("")}\r\n${body}`);
}

/**
 * A reverse proxy in front of `target`. `plain-http` forwards everything as plain HTTP, dropping
 * the Upgrade and Connection headers (nginx without `proxy_set_header Upgrade ...`);
 * `bad-gateway` answers every request with nginx's 502 page, as when its upstream is down.
 */
export async function startProxy(target: number, mode: "plain-http" | "bad-gateway"): Promise<TestProxy> {
  const forward = (req: http.IncomingMessage, done: (status: number, statusText: string, headers: Record<string, string>, body: string) => void) => {
    if (mode === "bad-gateway")
      return done(
        502,
        "Bad Gateway",
        { "content-type": "text/html" },
        "<html><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>",
      );
    const headers = { ...req.headers };
    for (const h of ["upgrade", "connection", "sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions"]) delete headers[h];
    const out = http.request({ host: "127.0.0.1", port: target, method: req.method, path: req.url, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => done(res.statusCode ?? 502, res.statusMessage ?? "", { "content-type": String(res.headers["content-type"] ?? "text/plain") }, body));
    });
    out.on("error", () => done(502, "Bad Gateway", { "content-type": "text/html" }, "<html>502</html>"));
    out.end();
  };
  const server = http.createServer((req, res) => forward(req, (status, _text, headers, body) => res.writeHead(status, headers).end(body)));
  server.on("upgrade", (req: http.IncomingMessage, socket: Duplex) =>
    forward(req, (status, text, headers, body) => writeRaw(socket, status, text, headers, body)),
  );
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}
