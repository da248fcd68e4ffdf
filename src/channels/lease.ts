/**
 * A channel credential's host-wide lease (src/lock/lease.ts) as the channels take it: one tries
 * once per look, and a loser is told who holds the credential (state `conflict`), in words.
 */
import os from "node:os";
import type { Logger } from "pino";
import { acquireCredentialLease, describeLeaseHolder, type LeaseHolder, type LeaseResult } from "../lock/lease.ts";

export type Lease = Extract<LeaseResult, { ok: true }>;

/** What one try to take the lease found. */
export type LeaseTry = { ok: true; lease: Lease } | { ok: false; detail: string; key: string; holder: LeaseHolder | null };

/** Who this process is, as a lease records it (the pid is added when the lease is taken). */
export function leaseHolder(o: { stateDir: string; profile?: string | null; port?: number | null }): Omit<LeaseHolder, "pid"> {
  return { user: os.userInfo().username, stateDir: o.stateDir, profile: o.profile ?? null, port: o.port ?? null, startedAt: new Date().toISOString() };
}

/** Tries once to take the lease of `token` (`what` names it in words: "token", "app token") for `holder`. */
export function tryLease(o: {
  kind: string;
  token: string;
  what: string;
  holder: Omit<LeaseHolder, "pid">;
  env?: NodeJS.ProcessEnv;
  acquire?: typeof acquireCredentialLease;
}): LeaseTry {
  const r = (o.acquire ?? acquireCredentialLease)({ kind: o.kind, secret: o.token, holder: o.holder, ...(o.env ? { env: o.env } : {}) });
  if (r.ok) return { ok: true, lease: r };
  return {
    ok: false,
    key: r.key,
    holder: r.holder,
    detail: r.holder ? `${o.what} in use by ${describeLeaseHolder(r.holder)}` : `${o.what} lease: ${r.reason}`,
  };
}

/** Logs a conflict (once per holder: the caller logs when the detail changes). */
export function logConflict(log: Logger, channel: string, t: Extract<LeaseTry, { ok: false }>): void {
  log.warn({ lease: t.key, holder: t.holder }, `${channel} does not connect: ${t.detail}`);
}
