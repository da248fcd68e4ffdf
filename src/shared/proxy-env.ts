/**
 * Outbound proxy settings from the environment, as curl and most tools read them:
 * `HTTPS_PROXY` for https targets, `HTTP_PROXY` for http targets (the lower-case spelling wins
 * when both are set, even when it is empty: `https_proxy=` turns the proxy off), and `NO_PROXY` for targets that go direct. Loopback targets (localhost,
 * 127.0.0.0/8, ::1) always go direct: a local model server is never behind the proxy.
 * The proxy's credentials (its URL's userinfo) become a Proxy-Authorization header value and are
 * never part of anything shown.
 */
import net from "node:net";

/** One proxy, ready to use. */
export interface ProxyEntry {
  /** `http://host:port` (no userinfo). */
  origin: string;
  hostname: string;
  port: number;
  /** `Basic …` from the URL's userinfo, or undefined. Never log it. */
  authorization: string | undefined;
  /** The variable it came from: "HTTPS_PROXY", "https_proxy", ... */
  source: string;
  /** For status: `http://us…er:***@proxy:3128` style, the password never shown. */
  shown: string;
}

/** NO_PROXY, parsed. */
export interface NoProxy {
  /** The raw list as given (it holds no secret), or "" when unset. */
  text: string;
  /** The variable it came from, or null. */
  source: string | null;
  all: boolean;
  /** Host or domain suffix rules (lower case, no leading dot), with an optional port. */
  names: { name: string; port: number | null }[];
  /** Addresses and CIDR ranges. */
  blocks: net.BlockList;
  empty: boolean;
}

/** Every proxy setting of one environment. */
export interface ProxySettings {
  https: ProxyEntry | null;
  http: ProxyEntry | null;
  noProxy: NoProxy;
  /** Values that could not be used, in words (no credentials in them). */
  problems: string[];
}

/** Reads the proxy variables of `env`. Never throws. */
export function proxySettings(env: NodeJS.ProcessEnv = process.env): ProxySettings {
  const problems: string[] = [];
  const entry = (upper: string): ProxyEntry | null => {
    const lower = upper.toLowerCase();
    // curl's rule: the lower-case spelling wins when it is set at all, so `https_proxy=` turns the proxy off.
    const source = env[lower] !== undefined ? lower : env[upper] !== undefined ? upper : null;
    if (!source || !env[source]!.trim()) return null;
    const parsed = parseProxyUrl(env[source]!.trim());
    if (typeof parsed === "string") {
      problems.push(`${source}: ${parsed}; requests it would carry go direct`);
      return null;
    }
    return { ...parsed, source };
  };
  const https = entry("HTTPS_PROXY");
  const http = entry("HTTP_PROXY");
  const noSource = env.no_proxy !== undefined ? "no_proxy" : env.NO_PROXY !== undefined ? "NO_PROXY" : null;
  return { https, http, noProxy: parseNoProxy(noSource ? env[noSource]! : "", noSource), problems };
}

/** A proxy URL (`http://user:pass@host:3128`, or `host:3128`) as an entry without its source, or why it cannot be used. */
export function parseProxyUrl(value: string): Omit<ProxyEntry, "source"> | string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  if (!URL.canParse(withScheme)) return "not a URL";
  const u = new URL(withScheme);
  if (u.protocol !== "http:") return `${u.protocol}// proxies are not supported (use an http:// proxy; https targets are tunnelled through it with CONNECT)`;
  if (!u.hostname) return "no host";
  const user = decoded(u.username);
  const pass = decoded(u.password);
  // Not the value itself: it is the credentials.
  if (user === null || pass === null) return "the user name or password has a malformed %-escape (write a literal % as %25)";
  const port = Number(u.port) || 80;
  const origin = `http://${u.host.includes(":") || u.port ? u.host : `${u.hostname}:${port}`}`;
  const shownUser = user ? `${user.length > 4 ? `${user.slice(0, 2)}…` : "…"}${pass ? ":***" : ""}@` : "";
  return {
    origin,
    hostname: u.hostname.replace(/^\[|\]$/g, ""),
    port,
    authorization: user || pass ? `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}` : undefined,
    shown: origin.replace("http://", `http://${shownUser}`),
  };
}

/** A %-escaped URL part decoded, or null when an escape is malformed (`%zz`, a cut UTF-8 sequence). */
function decoded(part: string): string | null {
  try {
    return decodeURIComponent(part);
  } catch {
    return null;
  }
}

/** Parses a NO_PROXY list: `*`, `host`, `.domain`, `*.domain`, `host:port`, IPs, CIDR ranges. */
export function parseNoProxy(text: string, source: string | null = "NO_PROXY"): NoProxy {
  const blocks = new net.BlockList();
  const names: NoProxy["names"] = [];
  let all = false;
  let empty = true;
  for (const raw of text.split(/[\s,]+/)) {
    const item = raw.trim().toLowerCase();
    if (!item) continue;
    empty = false;
    if (item === "*") {
      all = true;
      continue;
    }
    const [addr, bits] = item.split("/");
    const ip = addr!.replace(/^\[|\]$/g, "");
    if (net.isIP(ip)) {
      const family = net.isIPv6(ip) ? "ipv6" : "ipv4";
      if (bits !== undefined && /^\d+$/.test(bits)) blocks.addSubnet(ip, Number(bits), family);
      else blocks.addAddress(ip, family);
      continue;
    }
    const m = /^(?:\*?\.)?([^:]+)(?::(\d+))?$/.exec(item) ?? /^\[([^\]]+)\](?::(\d+))?$/.exec(item);
    if (m) names.push({ name: m[1]!, port: m[2] ? Number(m[2]) : null });
  }
  return { text: text.trim(), source: text.trim() ? source : null, all, names, blocks, empty };
}

const loopback = new net.BlockList();
loopback.addSubnet("127.0.0.0", 8, "ipv4");
loopback.addAddress("::1", "ipv6");

/** True for names and addresses of this host's loopback (IPv4-mapped ones included): always reached directly. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  const family = net.isIP(h);
  return family !== 0 && loopback.check(h, family === 6 ? "ipv6" : "ipv4");
}

/** True when NO_PROXY sends `hostname:port` direct. */
export function bypassesProxy(noProxy: NoProxy, hostname: string, port: number): boolean {
  if (noProxy.all) return true;
  const h = hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "");
  if (net.isIP(h)) {
    if (noProxy.blocks.check(h, net.isIPv6(h) ? "ipv6" : "ipv4")) return true;
  }
  return noProxy.names.some((r) => (r.port === null || r.port === port) && (h === r.name || h.endsWith(`.${r.name}`)));
}

/** The proxy for a request to `url`, or null to go direct. */
export function proxyFor(settings: ProxySettings, url: URL): ProxyEntry | null {
  const proxy = url.protocol === "https:" ? settings.https : settings.http;
  if (!proxy) return null;
  const port = Number(url.port) || (url.protocol === "https:" ? 443 : 80);
  if (isLoopbackHost(url.hostname) || bypassesProxy(settings.noProxy, url.hostname, port)) return null;
  return proxy;
}

/** One line for `status --deep`: which proxy carries what, from which variable, what goes direct. No credentials. */
export function describeProxySettings(s: ProxySettings): string {
  const parts: string[] = [];
  if (s.https && s.http && s.https.shown === s.http.shown) parts.push(`${s.https.shown} (from ${s.https.source} and ${s.http.source})`);
  else {
    if (s.https) parts.push(`${s.https.shown} for https (from ${s.https.source})`);
    if (s.http) parts.push(`${s.http.shown} for http (from ${s.http.source})`);
  }
  if (parts.length === 0) return "none: every request goes direct";
  const no = s.noProxy.empty ? "NO_PROXY unset" : `${s.noProxy.source}: ${s.noProxy.text.slice(0, 200)}`;
  return `${parts.join(", ")}, ${no}, loopback direct`;
}

/** What `status` shows of an environment's proxy settings: the line and any unusable values. */
export interface ProxyReport {
  line: string;
  problems: string[];
}

/** The proxy report of `env`. */
export function proxyReport(env: NodeJS.ProcessEnv = process.env): ProxyReport {
  const s = proxySettings(env);
  return { line: describeProxySettings(s), problems: s.problems };
}
