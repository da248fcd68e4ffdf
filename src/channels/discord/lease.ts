/**
 * The bot token's host-wide credential lease (src/lock/lease.ts), as the Discord channel uses it:
 * one Gateway session per token on the host. A loser is told who holds it (state `conflict`), and
 * the session the holder handed over is read back for a RESUME when it takes over.
 */
import type { Logger } from "pino";
import { acquireCredentialLease, describeLeaseHolder, type LeaseHolder, type LeaseResult } from "../../lock/lease.ts";
import { decodeCursor } from "./cursor.ts";
import type { GatewaySession } from "./gateway.ts";

type Lease = Extract<LeaseResult, { ok: true }>;

/** What one try to take the lease found. */
export type LeaseTry = { ok: true; lease: Lease; handedOver: GatewaySession | null } | { ok: false; detail: string; key: string; holder: LeaseHolder | null };

/** Tries once to take the lease of `token` for `holder`. */
export function tryLease(o: {
  kind: string;
  token: string;
  holder: Omit<LeaseHolder, "pid">;
  env?: NodeJS.ProcessEnv;
  acquire?: typeof acquireCredentialLease;
}): LeaseTry {
  const r = (o.acquire ?? acquireCredentialLease)({ kind: o.kind, secret: o.token, holder: o.holder, ...(o.env ? { env: o.env } : {}) });
  if (r.ok) return { ok: true, lease: r, handedOver: decodeCursor(r.handedOver).session };
  return { ok: false, key: r.key, holder: r.holder, detail: r.holder ? `token in use by ${describeLeaseHolder(r.holder)}` : `token lease: ${r.reason}` };
}

/** Logs a conflict once per holder. */
export function logConflict(log: Logger, t: Extract<LeaseTry, { ok: false }>): void {
  log.warn({ lease: t.key, holder: t.holder }, `discord does not connect: ${t.detail}`);
}
