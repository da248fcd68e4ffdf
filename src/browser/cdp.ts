/**
 * A browser's DevTools endpoint: `/json/version` asked directly (node:http with no agent, so no
 * HTTP proxy is ever in the way: loopback must never go through HTTPS_PROXY), and a CDP URL
 * shown without its credentials.
 */
import http from "node:http";
import https from "node:https";

/** What `/json/version` says. */
export interface CdpVersion {
  browser: string;
  protocolVersion: string;
  webSocketDebuggerUrl: string;
}

/** Reads `/json/version` at `base` (http(s)://host:port); rejects on no answer within `timeoutMs`, a non-200 or a body that is not one. */
export function fetchCdpVersion(base: string, timeoutMs: number, signal?: AbortSignal): Promise<CdpVersion> {
  const url = new URL("/json/version", base);
  const lib = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.get(url, { agent: false, timeout: timeoutMs, ...(signal ? { signal } : {}), headers: { host: url.host } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        size += c.length;
        if (size > 64 * 1024) req.destroy(new Error("the /json/version answer is over 64 KiB"));
        else chunks.push(c);
      });
      res.on("end", () => {
        if (res.statusCode !== 200) return reject(new Error(`/json/version answered HTTP ${res.statusCode}`));
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
          if (typeof body.webSocketDebuggerUrl !== "string") throw new Error("no webSocketDebuggerUrl");
          resolve({
            browser: typeof body.Browser === "string" ? body.Browser : "",
            protocolVersion: typeof body["Protocol-Version"] === "string" ? body["Protocol-Version"] : "",
            webSocketDebuggerUrl: body.webSocketDebuggerUrl,
          });
        } catch (err) {
          reject(new Error(`/json/version is not a DevTools answer: ${(err as Error).message}`));
        }
      });
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer from ${url.host} within ${timeoutMs} ms`)));
    req.on("error", reject);
  });
}

/** The WebSocket endpoint of a CDP URL: ws(s) as given; http(s) discovered through `/json/version` (its host kept, as a browser behind a proxy names its own). */
export async function resolveCdpEndpoint(cdpUrl: string, timeoutMs: number, signal?: AbortSignal): Promise<{ wsEndpoint: string; version: CdpVersion | null }> {
  const u = new URL(cdpUrl);
  if (u.protocol === "ws:" || u.protocol === "wss:") return { wsEndpoint: cdpUrl, version: null };
  const version = await fetchCdpVersion(cdpUrl, timeoutMs, signal);
  const ws = new URL(version.webSocketDebuggerUrl);
  ws.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  ws.host = u.host;
  ws.search = u.search;
  return { wsEndpoint: ws.toString(), version };
}

/** A CDP URL fit to print: no user, password or query (browserless-style `?token=`). */
export function displayCdpUrl(cdpUrl: string): string {
  try {
    const u = new URL(cdpUrl);
    const hidden = u.username || u.password || u.search ? "…" : "";
    return `${u.protocol}//${u.host}${u.pathname === "/" ? "" : u.pathname}${hidden}`;
  } catch {
    return "(unparsable)";
  }
}
