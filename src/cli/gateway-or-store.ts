/**
 * For commands that read or change the brain's store (pairing list/approve): through the running
 * gateway's RPC when one holds the brain, else on the store directly under the brain lock, so
 * no gateway writes meanwhile (one that starts during it is refused for those milliseconds).
 * The store is never written behind a running gateway's back.
 */
import fs from "node:fs";
import { connectGateway, type GatewayConnection } from "../client/gateway-client.ts";
import { gatewayTarget } from "../diagnostics/target.ts";
import { lockForMaintenance } from "../lock/brain-lock.ts";
import { describeHolder, type LockState } from "../lock/inspect.ts";
import type { BrainPaths } from "../paths/paths.ts";
import { hasCode, OnebrainError } from "../shared/errors.ts";
import { openStore, type Store } from "../store/db.ts";

export interface Access<T> {
  /** What to do over RPC when a gateway holds the brain. */
  rpc(conn: GatewayConnection): Promise<T>;
  /** What to do on the store when none does; `store` is null when the brain has no database yet. */
  local(store: Store | null): T;
}

/** Runs `access.rpc` against the running gateway, or `access.local` on the store under the brain lock. */
export async function viaGatewayOrStore<T>(paths: BrainPaths, access: Access<T>, timeoutMs = 5000): Promise<{ via: "gateway" | "store"; value: T }> {
  let lock;
  try {
    lock = lockForMaintenance(paths);
  } catch (err) {
    if (!hasCode(err, "GATEWAY_LOCK_HELD")) throw err;
    return { via: "gateway", value: await overRpc(paths, access, err.details.lock as LockState, timeoutMs) };
  }
  try {
    const store = fs.existsSync(paths.storePath) ? openStore(paths.storePath) : null;
    try {
      return { via: "store", value: access.local(store) };
    } finally {
      store?.close();
    }
  } finally {
    lock.release();
  }
}

async function overRpc<T>(paths: BrainPaths, access: Access<T>, lock: LockState, timeoutMs: number): Promise<T> {
  const target = gatewayTarget(paths);
  let conn: GatewayConnection;
  try {
    conn = await connectGateway({ url: target.url, token: target.auth.token, password: target.auth.password, timeoutMs });
  } catch (err) {
    if (!hasCode(err, "GATEWAY_UNREACHABLE") && !hasCode(err, "TIMEOUT")) throw err;
    // Held but not answering: a starting gateway, or a maintenance command (restore, migrate). The store is theirs.
    throw new OnebrainError(
      "GATEWAY_UNREACHABLE",
      `This brain is held by ${describeHolder(lock)}, which does not answer at ${target.url}: ${(err as Error).message}`,
      {
        hint: "Wait until the gateway is up (`onebrain health`) and run the command again; the store is not changed behind its back.",
        cause: err,
      },
    );
  }
  try {
    return await access.rpc(conn);
  } finally {
    await conn.closeWithin(200);
  }
}
