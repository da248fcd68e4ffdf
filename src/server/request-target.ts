/**
 * Which host and path a request is for, read as RFC 9112 says (section 3.2), before any route or
 * Host check looks at it. Node's parser keeps the first of two Host headers and accepts an
 * upgrade without one, and its `req.url` is the raw target: read naively, a request could carry
 * a second Host or put a foreign name in an absolute-form target (`GET http://evil.example/ws`)
 * past the DNS-rebinding check. So:
 *   - two or more Host headers: 400 (RFC 9112 section 3.2);
 *   - an HTTP/1.1 request, upgrade included, without Host: 400 (same section);
 *   - an absolute-form target: its authority is the host, whatever Host says (section 3.2.2),
 *     and its path is the path routed; userinfo in it is refused (RFC 9110 section 4.2.4).
 */
import type { IncomingMessage } from "node:http";

/** A request's host and path, or why it is a bad request (400). */
export type RequestTarget = { ok: true; host: string | undefined; path: string; query: string } | { ok: false; why: string };

const ABSOLUTE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/** Reads the host (authority of an absolute-form target, else the Host header), path and query of `req`. */
export function requestTarget(req: Pick<IncomingMessage, "rawHeaders" | "httpVersionMajor" | "httpVersionMinor" | "url">): RequestTarget {
  const hosts: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]!.toLowerCase() === "host") hosts.push(req.rawHeaders[i + 1]!);
  if (hosts.length > 1) return { ok: false, why: `the request has ${hosts.length} Host headers; HTTP/1.1 allows exactly one` };
  const http11 = req.httpVersionMajor > 1 || (req.httpVersionMajor === 1 && req.httpVersionMinor >= 1);
  if (hosts.length === 0 && http11) return { ok: false, why: "an HTTP/1.1 request must have a Host header" };
  const raw = req.url ?? "/";
  if (!ABSOLUTE.test(raw)) {
    const q = raw.indexOf("?");
    return { ok: true, host: hosts[0], path: q === -1 ? raw : raw.slice(0, q), query: q === -1 ? "" : raw.slice(q + 1) };
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, why: "the request target is not a valid absolute URI" };
  }
  if (!["http:", "https:", "ws:", "wss:"].includes(url.protocol)) return { ok: false, why: `the request target's scheme ${url.protocol} is not served here` };
  if (url.username || url.password) return { ok: false, why: "the request target carries user information, which HTTP does not allow" };
  // The authority as written (new URL drops a default port, which a Host check ignores anyway).
  return { ok: true, host: url.host, path: url.pathname, query: url.search.slice(1) };
}
