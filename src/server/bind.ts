/** Turns a bind mode into the addresses to listen on, and refuses unsafe or impossible binds. */
import os from "node:os";
import { OnebrainError } from "../shared/errors.ts";
import type { Config } from "../config/schema.ts";

export type BindMode = Config["gateway"]["bind"];

export interface BindPlan {
  mode: BindMode;
  /** Addresses to listen on; loopback may list ::1 as optional (skipped when the host has no IPv6). */
  hosts: string[];
  optionalHosts: string[];
  loopbackOnly: boolean;
}

type Interfaces = ReturnType<typeof os.networkInterfaces>;

/** True for 127.0.0.0/8, ::1 and IPv4-mapped loopback. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.startsWith("::ffff:") ? address.slice(7) : address;
  return a === "::1" || a.startsWith("127.") || a === "localhost";
}

/** The host's tailnet (100.64.0.0/10, CGNAT range used by Tailscale) IPv4 address, if any. */
export function tailnetAddress(interfaces: Interfaces = os.networkInterfaces()): string | undefined {
  for (const list of Object.values(interfaces)) {
    for (const i of list ?? []) {
      if (i.family !== "IPv4") continue;
      const [a, b] = i.address.split(".").map(Number) as [number, number];
      if (a === 100 && b >= 64 && b <= 127) return i.address;
    }
  }
  return undefined;
}

/** Resolves the listen addresses for a bind mode. */
export function planBind(gateway: Pick<Config["gateway"], "bind" | "customBindHost">, interfaces?: Interfaces): BindPlan {
  switch (gateway.bind) {
    case "loopback":
      return { mode: "loopback", hosts: ["127.0.0.1"], optionalHosts: ["::1"], loopbackOnly: true };
    case "lan":
      return { mode: "lan", hosts: ["0.0.0.0"], optionalHosts: [], loopbackOnly: false };
    case "tailnet": {
      const addr = tailnetAddress(interfaces);
      if (!addr) {
        throw new OnebrainError("BIND_FAILED", "Cannot bind to the tailnet: this host has no address in 100.64.0.0/10", {
          hint: "Start Tailscale (or your tailnet) first, or set gateway.bind to loopback or lan.",
        });
      }
      return { mode: "tailnet", hosts: [addr], optionalHosts: [], loopbackOnly: false };
    }
    case "custom": {
      const host = gateway.customBindHost;
      if (!host) {
        throw new OnebrainError("BIND_FAILED", "gateway.bind is custom but gateway.customBindHost is not set", {
          hint: "Set gateway.customBindHost to an address of this host, e.g. 192.168.1.10.",
        });
      }
      return { mode: "custom", hosts: [host], optionalHosts: [], loopbackOnly: isLoopbackAddress(host) };
    }
  }
}
