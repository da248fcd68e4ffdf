/**
 * Who is on the other end of a request: the client address (X-Forwarded-For believed only from
 * trusted proxies), whether it is local, and whether a browser Origin may drive the gateway.
 */
import net from "node:net";
import type { IncomingMessage } from "node:http";
import { parseIpOrCidr } from "../shared/net.ts";
import { clip } from "../shared/text.ts";
import { isLoopbackAddress } from "./bind.ts";

const PROXY_HEADERS = ["x-forwarded-for", "forwarded", "x-real-ip", "x-forwarded-host"];

/** Builds a matcher for `gateway.trustedProxies` (IPs and CIDRs, v4 or v6). Bad entries are reported, not ignored. */
export function proxyMatcher(entries: readonly string[]): { matches(address: string): boolean; invalid: string[] } {
  const list = new net.BlockList();
  const invalid: string[] = [];
  for (const entry of entries) {
    const parsed = parseIpOrCidr(entry);
    if (!parsed) {
      invalid.push(entry);
      continue;
    }
    if (parsed.bits === undefined) list.addAddress(parsed.addr, parsed.family);
    else list.addSubnet(parsed.addr, parsed.bits, parsed.family);
  }
  return {
    invalid,
    matches(address: string) {
      const a = address.startsWith("::ffff:") ? address.slice(7) : address;
      const family = net.isIPv6(a) ? "ipv6" : "ipv4";
      return net.isIP(a) !== 0 && list.check(a, family);
    },
  };
}

export interface ClientInfo {
  /** The address we attribute the request to (for rate limits and logs). */
  address: string;
  /** The TCP peer. */
  peer: string;
  /** Direct from this host, with no proxy in between. A proxied request is never local. */
  local: boolean;
  proxied: boolean;
}

/** Identifies the client of a request. */
export function clientInfo(req: IncomingMessage, trusted: { matches(address: string): boolean }): ClientInfo {
  const peer = req.socket.remoteAddress ?? "unknown";
  const proxied = PROXY_HEADERS.some((h) => req.headers[h] !== undefined);
  let address = peer;
  if (proxied && trusted.matches(peer)) {
    const xff = req.headers["x-forwarded-for"];
    const first = (Array.isArray(xff) ? xff.join(",") : (xff ?? ""))
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    // The right-most untrusted hop is the client; hops added by our own proxies are skipped.
    for (let i = first.length - 1; i >= 0; i--) {
      const hop = first[i]!;
      // A hop that is no address is whatever the client wrote: kept short, for logs and limiter keys.
      address = net.isIP(hop) ? hop : clip(hop, 64);
      if (!trusted.matches(hop)) break;
    }
  }
  return { address, peer, local: !proxied && isLoopbackAddress(peer), proxied };
}

function normalizeOrigin(origin: string): string | null {
  try {
    const u = new URL(origin);
    return `${u.protocol}//${u.host}`.toLowerCase();
  } catch {
    return null;
  }
}

/** The browser origins of the gateway's own loopback pages. */
export function ownOrigins(port: number): string[] {
  return ["127.0.0.1", "localhost", "[::1]"].flatMap((h) => [`http://${h}:${port}`, `https://${h}:${port}`]);
}

/**
 * Whether a WebSocket upgrade may proceed given its Origin header. Non-browser clients send no
 * Origin and pass; a browser must come from our own loopback origin or `gateway.allowedOrigins`.
 */
export function originAllowed(origin: string | undefined, port: number, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  const o = normalizeOrigin(origin);
  if (!o) return false;
  if (ownOrigins(port).includes(o)) return true;
  return allowed.some((a) => normalizeOrigin(a) === o);
}

/** A Host header's (or configured name's) hostname, lowercased, without port, brackets or trailing dot; null when malformed. */
export function hostnameOf(host: string): string | null {
  if (!host || /[@/?#\\\s]/.test(host)) return null;
  try {
    const name = new URL(`http://${host}`).hostname.replace(/\.$/, "");
    return name.startsWith("[") ? name.slice(1, -1) : name;
  } catch {
    return null;
  }
}

// Names that only ever mean this host: a web page cannot rebind them to its own server.
function isLoopbackName(name: string): boolean {
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  if (net.isIPv4(name)) return name.startsWith("127.");
  // The URL parser writes IPv4-mapped loopback (::ffff:127.0.0.1) as ::ffff:7fxx:xxxx.
  return name === "::1" || /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(name);
}

/**
 * Whether a request's Host header names this gateway: a loopback name or address, one of the
 * addresses it listens on, or `gateway.allowedHosts`; any port. A request without Host (not a
 * browser: a browser always sends one) passes. This is what stops DNS rebinding: a page on the
 * attacker's name that rebinds to 127.0.0.1 still sends the attacker's name as Host.
 */
export function hostAllowed(host: string | undefined, own: readonly string[], allowed: readonly string[]): boolean {
  if (host === undefined) return true;
  const name = hostnameOf(host);
  if (name === null) return false;
  if (isLoopbackName(name)) return true;
  return [...own, ...allowed].some((h) => hostnameOf(h) === name);
}
