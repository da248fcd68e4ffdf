/**
 * The bot token's host-wide credential lease (src/channels/lease.ts), as the Discord channel uses
 * it: one Gateway session per token on the host, and the session the holder handed over read back
 * for a RESUME when this gateway takes over.
 */
import type { acquireCredentialLease, LeaseHolder } from "../../lock/lease.ts";
import { tryLease as tryChannelLease, type Lease, type LeaseTry as ChannelLeaseTry } from "../lease.ts";
import { decodeCursor } from "./cursor.ts";
import type { GatewaySession } from "./gateway.ts";

export { logConflict } from "../lease.ts";

/** What one try to take the lease found. */
export type LeaseTry = { ok: true; lease: Lease; handedOver: GatewaySession | null } | Extract<ChannelLeaseTry, { ok: false }>;

/** Tries once to take the lease of `token` for `holder`. */
export function tryLease(o: {
  kind: string;
  token: string;
  holder: Omit<LeaseHolder, "pid">;
  env?: NodeJS.ProcessEnv;
  acquire?: typeof acquireCredentialLease;
}): LeaseTry {
  const t = tryChannelLease({ ...o, what: "token" });
  return t.ok ? { ok: true, lease: t.lease, handedOver: decodeCursor(t.lease.handedOver).session } : t;
}
