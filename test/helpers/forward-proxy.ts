/**
 * A real forward proxy on 127.0.0.1, as squid or tinyproxy answer a client: `CONNECT host:port`
 * opens a tunnel, `GET|POST http://host/path` (an absolute URI) is forwarded. It resolves names
 * from its own `hosts` table only (so a name like `model.test` can be reached through it and
 * nowhere else), can require Proxy-Authorization, and records what it carried.
 * Also here: a TLS front (a certificate for those names, made with openssl) so that https
 * targets behind the proxy are real TLS end to end.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import tls from "node:tls";
import type { AddressInfo } from "node:net";

/** One request the proxy carried (or refused). */
export interface Carried {
  /** "CONNECT" or the forwarded method. */
  method: string;
  /** `host:port` for CONNECT, the absolute URI otherwise. */
  target: string;
  /** The client connection it came on (1, 2, ...): equal numbers mean a reused connection. */
  connection: number;
  /** The Proxy-Authorization header as received. */
  proxyAuthorization: string | undefined;
  /** 200 (carried), 407 (credentials missing or wrong) or 502 (unknown name). */
  status: number;
}

/** The forward proxy; `start()` before use. */
export class ForwardProxy {
  /** Names this proxy resolves (to an address); any other name fails with 502, as a DNS failure would. */
  hosts: Record<string, string> = {};
  /** When set, every request must carry `Basic base64(user:pass)` or gets 407. */
  credentials: { user: string; pass: string } | undefined;
  /**
   * How a CONNECT the proxy would carry is answered: `established` is its status line (any 2xx
   * opens the tunnel, RFC 9110 §9.3.6); `close` ends the connection without a word, as a proxy
   * that crashed or drops what it will not carry.
   */
  connect: { kind: "established"; line: string } | { kind: "close" } = { kind: "established", line: "HTTP/1.1 200 Connection Established" };
  readonly carried: Carried[] = [];
  #connections = 0;
  #ids = new WeakMap<net.Socket, number>();
  #server = http.createServer((req, res) => this.#forward(req, res));
  #upstream = new http.Agent({ keepAlive: true });
  #tunnels = new Set<net.Socket>();
  #port = 0;

  constructor() {
    this.#server.on("connection", (socket) => this.#ids.set(socket, ++this.#connections));
    this.#server.on("connect", (req, socket, head) => this.#connect(req, socket as net.Socket, head));
  }

  /** Listens on 127.0.0.1 on a free port. */
  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    this.#port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  /** `http://127.0.0.1:PORT`, or with userinfo when given. */
  url(userinfo = ""): string {
    return `http://${userinfo ? `${userinfo}@` : ""}127.0.0.1:${this.#port}`;
  }

  /** Client connections accepted so far. */
  get connections(): number {
    return this.#connections;
  }

  async close(): Promise<void> {
    for (const s of this.#tunnels) s.destroy();
    this.#upstream.destroy();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  #check(req: http.IncomingMessage, socket: net.Socket, method: string, target: string, host: string): { status: number; address?: string } {
    const auth = req.headers["proxy-authorization"];
    const expected = this.credentials ? `Basic ${Buffer.from(`${this.credentials.user}:${this.credentials.pass}`).toString("base64")}` : undefined;
    const address = net.isIP(host) ? host : this.hosts[host];
    const status = expected !== undefined && auth !== expected ? 407 : address === undefined ? 502 : 200;
    this.carried.push({ method, target, connection: this.#ids.get(socket) ?? 0, proxyAuthorization: auth, status });
    return { status, ...(address ? { address } : {}) };
  }

  #connect(req: http.IncomingMessage, client: net.Socket, head: Buffer): void {
    const target = req.url ?? "";
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(target);
    const { status, address } = this.#check(req, client, "CONNECT", target, m?.[1] ?? "");
    client.on("error", () => {});
    if (this.connect.kind === "close") return void client.destroy();
    if (status !== 200 || !m) {
      client.end(
        status === 407
          ? 'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n'
          : "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n",
      );
      return;
    }
    const upstream = net.connect(Number(m[2]), address!, () => {
      client.write(`${(this.connect as { line: string }).line}\r\n\r\n`);
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    this.#tunnels.add(client);
    client.on("close", () => (this.#tunnels.delete(client), upstream.destroy()));
    upstream.on("error", () => client.destroy());
    upstream.on("close", () => client.destroy());
  }

  #forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    const target = req.url ?? "";
    if (!target.startsWith("http://")) return void res.writeHead(400).end("a proxy request needs an absolute URI");
    const u = new URL(target);
    const { status, address } = this.#check(req, req.socket, req.method ?? "GET", target, u.hostname.replace(/^\[|\]$/g, ""));
    if (status === 407) return void res.writeHead(407, { "proxy-authenticate": 'Basic realm="test"' }).end();
    if (status !== 200) return void res.writeHead(502).end("unknown host");
    const headers = { ...req.headers };
    delete headers["proxy-authorization"];
    delete headers["proxy-connection"];
    const up = http.request(
      { host: address, port: Number(u.port) || 80, method: req.method, path: u.pathname + u.search, headers, agent: this.#upstream },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    up.on("error", () => res.destroy());
    res.on("close", () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  }
}

/** A certificate and key for `names`, self-signed (its own CA), written to `dir`. */
export function testCertificate(dir: string, names: string[]): { cert: string; key: string; certFile: string } {
  const keyFile = path.join(dir, "test.key");
  const certFile = path.join(dir, "test.crt");
  const san = names.map((n) => (net.isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(",");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "2",
      "-subj",
      `/CN=${names[0]}`,
      "-addext",
      `subjectAltName=${san}`,
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-keyout",
      keyFile,
      "-out",
      certFile,
    ],
    { stdio: "ignore" },
  );
  return { cert: fs.readFileSync(certFile, "utf8"), key: fs.readFileSync(keyFile, "utf8"), certFile };
}

/** TLS on 127.0.0.1 in front of a plain HTTP server on `targetPort`: an https endpoint for it. */
export async function tlsFront(targetPort: number, pem: { cert: string; key: string }): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = tls.createServer({ cert: pem.cert, key: pem.key }, (socket) => {
    const plain = net.connect(targetPort, "127.0.0.1");
    socket.pipe(plain).pipe(socket);
    socket.on("error", () => plain.destroy());
    plain.on("error", () => socket.destroy());
    socket.on("close", () => plain.destroy());
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
