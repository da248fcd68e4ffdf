/**
 * The HTTP client for outside APIs (the model providers, Telegram): node:http and node:https
 * with keep-alive agents, through the proxy HTTPS_PROXY / HTTP_PROXY name unless NO_PROXY or
 * loopback says direct (proxy-env.ts). The request is written synchronously by `post` (with a free
 * pooled connection its bytes leave on the next tick), which Telegram sends rely on.
 * Not `fetch`: at hundreds of replies a second its WHATWG streams, Request and Headers objects
 * cost a large share of the gateway's CPU, and leaving a stream early (after `[DONE]`) built
 * an AbortError with a stack each time. Here a body that is left early is drained in the
 * background, so its connection goes back to the pool instead of being torn down.
 */
import http from "node:http";
import https from "node:https";
import net from "node:net";
import tls from "node:tls";
import type { Duplex, Readable } from "node:stream";
import { OnebrainError } from "./errors.ts";
import { proxyFor, proxySettings, type ProxyEntry, type ProxySettings } from "./proxy-env.ts";

const direct = {
  "http:": new http.Agent({ keepAlive: true, scheduling: "lifo" }),
  "https:": new https.Agent({ keepAlive: true, scheduling: "lifo" }),
};

/** A CONNECT through the proxy that has not answered in this time fails (the request is then retried or reported). */
const CONNECT_TIMEOUT_MS = 30_000;

/**
 * https targets through an http proxy: each pooled connection is a CONNECT tunnel with TLS to the
 * target inside it, so the pool (keyed by target, as for direct connections) keeps tunnels alive.
 */
class TunnelAgent extends https.Agent {
  private readonly proxy: ProxyEntry;
  constructor(proxy: ProxyEntry) {
    super({ keepAlive: true, scheduling: "lifo" });
    this.proxy = proxy;
  }

  override createConnection(options: http.RequestOptions, callback?: (err: Error | null, stream: Duplex) => void): undefined {
    const done = callback!;
    const target = `${options.host?.includes(":") ? `[${options.host}]` : options.host}:${options.port ?? 443}`;
    const raw = net.connect({ host: this.proxy.hostname, port: this.proxy.port });
    let settled = false;
    const settle = (err: Error | null) => {
      if (settled) return;
      settled = true;
      raw.off("data", onData);
      raw.setTimeout(0);
      if (!err) return done(null, tls.connect({ ...(options as tls.ConnectionOptions), socket: raw }));
      raw.destroy();
      done(err, raw);
    };
    const fail = (why: string, status?: number) =>
      settle(
        new OnebrainError("PROXY_FAILED", `proxy ${this.proxy.origin} ${why}`, {
          details: { proxy: this.proxy.origin, target, ...(status !== undefined ? { status } : {}) },
          hint:
            status === 407
              ? "Check the credentials in HTTPS_PROXY / HTTP_PROXY of the gateway's environment."
              : "Check that the proxy in HTTPS_PROXY / HTTP_PROXY runs and may carry this target.",
        }),
      );
    raw.setTimeout(CONNECT_TIMEOUT_MS, () => fail(`did not answer CONNECT ${target} within ${CONNECT_TIMEOUT_MS / 1000} s`));
    // Stays on after the handover: the TLS socket reports what happens later; an error here must not throw.
    raw.on("error", (err: NodeJS.ErrnoException) => fail(`failed during CONNECT ${target}: ${err.code ?? err.message}`));
    // A proxy that hangs up before its answer: at once, not after the timeout (after the handover, settle ignores it).
    raw.once("close", () => fail(`closed the connection during CONNECT ${target}`));
    raw.once("connect", () => {
      const auth = this.proxy.authorization ? `Proxy-Authorization: ${this.proxy.authorization}\r\n` : "";
      raw.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${auth}\r\n`);
    });
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end === -1) return head.length > 16_384 ? fail("an endless answer to CONNECT") : undefined;
      const status = /^HTTP\/1\.[01] (\d{3})([^\r]*)/.exec(head.subarray(0, end).toString("latin1"));
      // Any 2xx opens the tunnel (RFC 9110, CONNECT); 407: the credentials were refused.
      if (!status?.[1]?.startsWith("2"))
        return fail(
          `answered CONNECT ${target} ${status ? `with ${status[1]}${status[2]}` : "with something that is not HTTP"}`,
          status ? Number(status[1]) : undefined,
        );
      if (head.length > end + 4) raw.unshift(head.subarray(end + 4));
      settle(null);
    };
    raw.on("data", onData);
    return undefined;
  }
}

/**
 * http targets through an http proxy: the request goes to the proxy with its absolute URI
 * (`POST http://host/path`), so every target shares the kept-alive connections to the proxy.
 */
class ForwardAgent extends http.Agent {
  private readonly proxy: ProxyEntry;
  constructor(proxy: ProxyEntry) {
    super({ keepAlive: true, scheduling: "lifo" });
    this.proxy = proxy;
  }

  /** Runs in the request's constructor, before its head is written: the path and headers can still change. */
  addRequest(req: http.ClientRequest, options: http.RequestOptions): void {
    const host = req.getHeader("host") ?? `${options.host}:${options.port ?? 80}`;
    req.path = `http://${String(host)}${req.path}`;
    if (this.proxy.authorization) req.setHeader("proxy-authorization", this.proxy.authorization);
    (http.Agent.prototype as unknown as { addRequest(r: http.ClientRequest, o: http.RequestOptions): void }).addRequest.call(this, req, {
      ...options,
      host: this.proxy.hostname,
      port: this.proxy.port,
    });
  }
}

/** The agents of each proxy in use, made on first use and kept: their pools are the point. */
const viaProxy = new Map<string, { "http:": http.Agent; "https:": https.Agent }>();

/**
 * The proxy settings of an environment, parsed again only when its proxy variables change, and
 * those looked at no more than once a second: six getenv calls per request were most of its cost.
 */
const settingsCache = new WeakMap<NodeJS.ProcessEnv, { key: string; settings: ProxySettings; checkedAt: number }>();
const PROXY_VARS = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"];

/** The proxy settings `env` gives (cached per env object). */
export function proxySettingsOf(env: NodeJS.ProcessEnv, now: number = performance.now()): ProxySettings {
  let cached = settingsCache.get(env);
  if (cached && now - cached.checkedAt < 1000) return cached.settings;
  const key = PROXY_VARS.map((v) => env[v] ?? "\0").join("\n");
  if (cached?.key !== key) cached = { key, settings: proxySettings(env), checkedAt: now };
  settingsCache.set(env, { ...cached, checkedAt: now });
  return cached.settings;
}

/**
 * The agent for a request to `url` under `env`'s proxy settings: a direct keep-alive agent, or
 * one of the proxy's. Also what grammY's fetch gets (`baseFetchConfig.agent`), so Telegram's
 * polling takes the same way out as everything else.
 */
export function agentFor(url: URL | { href: string }, env: NodeJS.ProcessEnv = process.env): http.Agent {
  const u = url instanceof URL ? url : new URL(url.href);
  const protocol = u.protocol === "https:" ? "https:" : "http:";
  const proxy = proxyFor(proxySettingsOf(env), u);
  if (!proxy) return direct[protocol];
  const key = `${proxy.origin}\n${proxy.authorization ?? ""}`;
  let agents = viaProxy.get(key);
  if (!agents) viaProxy.set(key, (agents = { "http:": new ForwardAgent(proxy), "https:": new TunnelAgent(proxy) }));
  return agents[protocol];
}

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

/** True when a kept-alive connection for `url` (to its host, or to its proxy) is open and idle, so that a `post` there writes at once. */
export function hasIdleConnection(url: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const u = new URL(url);
  const agent = agentFor(u, env);
  const proxy = agent instanceof ForwardAgent ? proxyFor(proxySettingsOf(env), u) : null;
  const key = agent.getName(
    proxy ? { host: proxy.hostname, port: proxy.port } : { host: u.hostname, port: Number(u.port) || (u.protocol === "https:" ? 443 : 80) },
  );
  return (agent.freeSockets[key]?.length ?? 0) > 0;
}

/** POSTs `body` (through the proxy `env` names for it, if any); resolves when the status line and headers arrive, rejects on a network error or an abort. */
export function post(
  url: string,
  headers: Record<string, string>,
  body: string,
  signal: AbortSignal,
  env: NodeJS.ProcessEnv = process.env,
): Promise<HttpAnswer> {
  return send("POST", url, headers, body, signal, env);
}

/** GETs `url` as `post` POSTs (the same proxy rules and answer). */
export function get(url: string, headers: Record<string, string>, signal: AbortSignal, env: NodeJS.ProcessEnv = process.env): Promise<HttpAnswer> {
  return send("GET", url, headers, null, signal, env);
}

function send(
  method: "GET" | "POST",
  url: string,
  headers: Record<string, string>,
  body: string | null,
  signal: AbortSignal,
  env: NodeJS.ProcessEnv,
): Promise<HttpAnswer> {
  const u = new URL(url);
  const protocol = u.protocol === "https:" || u.protocol === "http:" ? u.protocol : null;
  if (!protocol) return Promise.reject(new Error(`unsupported URL scheme ${JSON.stringify(u.protocol)} in ${u.origin} (use http: or https:)`));
  const request = protocol === "https:" ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const sized = body === null ? headers : { ...headers, "content-length": Buffer.byteLength(body) };
    const req = request(u, { method, headers: sized, agent: agentFor(u, env), signal }, (res) => {
      res.setEncoding("utf8");
      resolve(answer(res));
    });
    req.on("error", reject);
    req.end(body ?? undefined);
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
