/**
 * The SSRF guard of web_fetch: which URLs and addresses a fetch may reach.
 *
 * The check is made on the address the socket connects to, not on a name: `guardedLookup` is the
 * `lookup` of the request, so the one DNS answer that is vetted is the one the socket is handed,
 * and a name that answers "public" to a check and "127.0.0.1" to the connect (DNS rebinding) has
 * no second answer to slip through. A literal IP host never reaches a lookup (net connects to it
 * directly), so `checkUrl` classifies it before the request. Odd IPv4 spellings (`2130706433`,
 * `0x7f.1`, `127.1`) are normalised by WHATWG URL parsing into a dotted quad before they get here.
 */
import dns, { type LookupAddress } from "node:dns";
import net, { type LookupFunction } from "node:net";
import { parseIpOrCidr } from "../../../shared/net.ts";

/** What the guard reads from `tools.web`. */
export interface GuardPolicy {
  allowPrivateNetwork: boolean;
  allowedHosts: readonly string[];
}

/** A fetch the guard refused; its message is the sentence the model sees. */
export class Refused extends Error {}

// Instance metadata services: the prime target of SSRF (they hand out cloud credentials). Not
// opened by allowPrivateNetwork; only an explicit allowedHosts entry reaches them.
const METADATA = new Set(["169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254"]);

// In order: the first range that holds an address names it. IANA's special-purpose registries,
// the ranges that are not globally reachable.
const V4: [string, number, string][] = [
  ["0.0.0.0", 8, "a 'this host' address (0.0.0.0/8)"],
  ["127.0.0.0", 8, "a loopback address"],
  ["10.0.0.0", 8, "a private address"],
  ["172.16.0.0", 12, "a private address"],
  ["192.168.0.0", 16, "a private address"],
  ["169.254.0.0", 16, "a link-local address"],
  ["100.64.0.0", 10, "a shared (carrier-grade NAT) address"],
  ["192.0.0.0", 24, "a reserved address"],
  ["192.0.2.0", 24, "a documentation address"],
  ["198.51.100.0", 24, "a documentation address"],
  ["203.0.113.0", 24, "a documentation address"],
  ["192.88.99.0", 24, "a reserved address"],
  ["198.18.0.0", 15, "a benchmarking address"],
  ["224.0.0.0", 4, "a multicast address"],
  ["240.0.0.0", 4, "a reserved or broadcast address"],
];
// Outside 2000::/3 (global unicast) everything is special; these name the common ones.
const V6: [string, number, string][] = [
  ["::1", 128, "a loopback address"],
  ["::", 128, "the unspecified address"],
  ["fc00::", 7, "a unique-local (private) address"],
  ["fe80::", 10, "a link-local address"],
  ["ff00::", 8, "a multicast address"],
  ["2001::", 23, "a reserved address"],
  ["2001:db8::", 32, "a documentation address"],
  ["3fff::", 20, "a documentation address"],
];

const ranges = (family: "ipv4" | "ipv6", list: [string, number, string][]) =>
  list.map(([addr, bits, why]) => {
    const block = new net.BlockList();
    block.addSubnet(addr, bits, family);
    return { block, why };
  });
const v4Ranges = ranges("ipv4", V4);
const v6Ranges = ranges("ipv6", V6);
const globalUnicast = new net.BlockList();
globalUnicast.addSubnet("2000::", 3, "ipv6");

/** Why `address` (an IP literal) is not a public address ("127.0.0.1 is a loopback address"), or null when it is public. */
export function classifyAddress(address: string): { why: string; metadata: boolean } | null {
  const ip = address.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const inner = net.isIPv6(ip) ? embeddedIPv4(ip) : null;
  const hit = rangeOf(inner ?? ip);
  if (!hit) return null;
  return { why: inner ? `${ip} maps to ${inner}, ${hit.kind}` : `${ip} is ${hit.kind}`, metadata: hit.kind === METADATA_KIND };
}

const METADATA_KIND = "a cloud metadata address";

/** The special range an IP literal falls in, or null for a public address. */
function rangeOf(ip: string): { kind: string } | null {
  if (METADATA.has(ip.toLowerCase())) return { kind: METADATA_KIND };
  if (net.isIPv4(ip)) {
    const hit = v4Ranges.find((r) => r.block.check(ip, "ipv4"));
    return hit ? { kind: hit.why } : null;
  }
  if (!net.isIPv6(ip)) return { kind: "not an IP address" };
  const hit = v6Ranges.find((r) => r.block.check(ip, "ipv6"));
  if (hit) return { kind: hit.why };
  return globalUnicast.check(ip, "ipv6") ? null : { kind: "a reserved address" };
}

/**
 * The IPv4 address an IPv6 one stands for, when it is a translation of one: IPv4-mapped
 * (::ffff:a.b.c.d, which the socket reaches as IPv4), NAT64 (64:ff9b::/96, which a NAT64 gateway
 * forwards to it) or 6to4 (2002:AABB:CCDD::/48). Null otherwise.
 */
export function embeddedIPv4(ip: string): string | null {
  const h = hextets(ip);
  if (!h) return null;
  const quad = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  const zeros = (from: number, to: number) => h.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && h[5] === 0xffff) return quad(h[6]!, h[7]!);
  if (h[0] === 0x64 && h[1] === 0xff9b && zeros(2, 6)) return quad(h[6]!, h[7]!);
  if (h[0] === 0x2002) return quad(h[1]!, h[2]!);
  return null;
}

/** The eight 16-bit groups of a valid IPv6 literal (a trailing dotted quad becomes the last two). */
function hextets(ip: string): number[] | null {
  let s = ip.toLowerCase();
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    s = `${s.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = s.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const fill = tail === undefined ? [] : Array.from({ length: 8 - left.length - right.length }, () => "0");
  const groups = [...left, ...fill, ...right].map((g) => parseInt(g, 16));
  return groups.length === 8 && groups.every((g) => g >= 0 && g <= 0xffff) ? groups : null;
}

/** A host as matched against allowedHosts: lower case, no brackets, no trailing dot. */
const normalHost = (host: string) =>
  host
    .toLowerCase()
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "");

/** The guard for one policy: URL checks before a request, address checks in its lookup. */
export class Guard {
  private readonly names = new Set<string>();
  private readonly blocks = new net.BlockList();
  private readonly allowPrivate: boolean;

  constructor(policy: GuardPolicy) {
    this.allowPrivate = policy.allowPrivateNetwork;
    for (const entry of policy.allowedHosts) {
      const host = normalHost(entry.trim());
      const ip = parseIpOrCidr(host);
      if (!ip) this.names.add(host);
      else if (ip.bits === undefined) this.blocks.addAddress(ip.addr, ip.family);
      else this.blocks.addSubnet(ip.addr, ip.bits, ip.family);
    }
  }

  /** Why `url` may not be fetched at all (scheme, credentials, a forbidden literal address), or null. */
  checkUrl(url: URL): string | null {
    if (url.protocol !== "http:" && url.protocol !== "https:")
      return `${url.protocol}// URLs are not fetched: web_fetch reads http:// and https:// pages only.`;
    if (url.username || url.password) return "URLs with a user name or password in them are not fetched: give the URL without credentials.";
    const host = normalHost(url.hostname);
    return net.isIP(host) ? this.checkAddress(host, host) : null;
  }

  /** Why connecting to `address` for a request to `host` is refused, or null when it is allowed. */
  checkAddress(host: string, address: string): string | null {
    if (this.names.has(normalHost(host)) || this.allowedAddress(address)) return null;
    const hit = classifyAddress(address);
    if (!hit || (this.allowPrivate && !hit.metadata)) return null;
    const via = normalHost(host) === normalHost(address) ? "" : ` (${host} resolves to it)`;
    return (
      `Refused: ${hit.why}${via}. web_fetch reaches public addresses only, to keep the model away from this ` +
      `machine and its network; the operator can allow a host in tools.web.allowedHosts` +
      `${hit.metadata ? "" : " (or every private address with tools.web.allowPrivateNetwork)"}.`
    );
  }

  private allowedAddress(address: string): boolean {
    const ip = normalHost(address).replace(/%.*$/, "");
    const family = net.isIPv6(ip) ? "ipv6" : net.isIPv4(ip) ? "ipv4" : null;
    if (!family) return false;
    if (this.blocks.check(ip, family)) return true;
    const inner = family === "ipv6" ? embeddedIPv4(ip) : null;
    return inner !== null && this.blocks.check(inner, "ipv4");
  }

  /**
   * A `lookup` for node:http(s) and net: resolves with `base` (every address of the name), refuses
   * the whole answer when any address is forbidden, and hands back exactly the vetted addresses,
   * so the socket connects to nothing that was not checked.
   */
  lookup(base: LookupFunction = dns.lookup as LookupFunction): LookupFunction {
    return (hostname, options, callback) => {
      base(hostname, { ...options, all: true }, (err, answer, family) => {
        if (err) return callback(err, "", undefined);
        const list: LookupAddress[] = Array.isArray(answer) ? answer : [{ address: answer, family: family ?? (net.isIPv6(answer) ? 6 : 4) }];
        if (list.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" }), "", undefined);
        for (const a of list) {
          const why = this.checkAddress(hostname, a.address);
          if (why) return callback(new Refused(why), "", undefined);
        }
        if (options.all) return callback(null, list);
        callback(null, list[0]!.address, list[0]!.family);
      });
    };
  }
}
