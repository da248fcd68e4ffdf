/** Address parsing shared by the config schema (validation) and the server (matching). */
import net from "node:net";

export interface IpOrCidr {
  addr: string;
  family: "ipv4" | "ipv6";
  /** Prefix length when the entry is a CIDR. */
  bits?: number;
}

/**
 * Parses "10.0.0.1", "10.0.0.0/8", "::1" or "fd00::/8", strictly: a prefix out of range, a
 * trailing "/" or anything that is not an IP is null. (A lax parse of "10.0.0.1/" as prefix 0
 * would trust every address.)
 */
export function parseIpOrCidr(entry: string): IpOrCidr | null {
  const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(entry);
  if (!m) return null;
  const addr = m[1]!;
  const family = net.isIPv6(addr) ? "ipv6" : net.isIPv4(addr) ? "ipv4" : null;
  if (!family) return null;
  if (m[2] === undefined) return { addr, family };
  const bits = Number(m[2]);
  return bits <= (family === "ipv4" ? 32 : 128) ? { addr, family, bits } : null;
}
