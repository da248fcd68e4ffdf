/**
 * What the web_fetch tests share: a ToolContext whose config is parsed from the real schema, HTTP
 * servers on loopback that count the connections they see, and a fake DNS (a `lookup` with the
 * signature node:net calls) that answers names from a table and counts its calls.
 */
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import type { AddressInfo } from "node:net";
import { configSchema } from "../../../src/config/schema.ts";
import type { ToolContext, ToolsConfig } from "../../../src/agent/tools/types.ts";

type WebConfig = Partial<ToolsConfig["web"]>;

const unused = (what: string) => () => {
  throw new Error(`web_fetch must not call ${what}`);
};

/** A ToolContext for web_fetch: `tools.web` from the schema with `web` applied. */
export function webContext(web: WebConfig = {}, signal: AbortSignal = new AbortController().signal): ToolContext {
  const config = configSchema.parse({ tools: { web } }).tools;
  return {
    origin: { runId: 1, callId: "call-1", sessionKey: "agent:main:main", agentId: "main", channel: "webchat", account: "default", peer: "test" },
    workspace: "/nonexistent",
    signal,
    config,
    env: {},
    sendMessage: unused("sendMessage"),
    searchMemory: unused("searchMemory"),
    getMemory: unused("getMemory"),
    requestApproval: unused("requestApproval"),
    beginSideEffect: unused("beginSideEffect"),
    isAllowlisted: unused("isAllowlisted"),
    recordProcess: unused("recordProcess"),
  };
}

/** A test server and what it saw. */
export interface TestServer {
  port: number;
  /** TCP connections accepted (a refused fetch must leave this at 0). */
  connections: number;
  /** Request paths, in order. */
  paths: string[];
  close(): Promise<void>;
}

/** An HTTP (or, with `tls`, HTTPS) server on `host` (default 127.0.0.1), port `port` (default any). */
export async function serve(
  handler: http.RequestListener,
  opts: { host?: string; port?: number; tls?: { cert: string; key: string } } = {},
): Promise<TestServer> {
  const server = opts.tls ? https.createServer(opts.tls) : http.createServer();
  const seen: TestServer = { port: 0, connections: 0, paths: [], close: () => close(server) };
  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    seen.paths.push(req.url ?? "");
    handler(req, res);
  });
  // The raw TCP accept, before any TLS: counts even a connection whose handshake fails.
  server.on("connection", () => seen.connections++);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
  });
  seen.port = (server.address() as AddressInfo).port;
  return seen;
}

function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * A fake DNS: each name answers its list, or a function of the call number (1, 2, ...) for
 * answers that change between calls; unknown names are ENOTFOUND. `calls` counts per name.
 */
export function fakeDns(table: Record<string, string[] | ((call: number) => string[])>): { lookup: LookupFunction; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const lookup: LookupFunction = (hostname, options, callback) => {
    const n = (calls.get(hostname) ?? 0) + 1;
    calls.set(hostname, n);
    const entry = table[hostname];
    if (!entry) return process.nextTick(() => callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" }), "", 0));
    const list = (typeof entry === "function" ? entry(n) : entry).map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
    process.nextTick(() => (options.all ? callback(null, list) : callback(null, list[0]!.address, list[0]!.family)));
  };
  return { lookup, calls };
}
