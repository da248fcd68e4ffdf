/**
 * Read-only commands that prefer the running gateway's answer (it knows what is live) and fall
 * back to the files when none holds the brain, or when the holder does not answer (a starting
 * gateway, a maintenance command): `hooks status`, `alerts status`, `alerts test`.
 */
import { connectGateway, type GatewayConnection } from "../client/gateway-client.ts";
import { gatewayTarget } from "../diagnostics/target.ts";
import { describeHolder, inspectLock } from "../lock/inspect.ts";
import type { BrainPaths } from "../paths/paths.ts";
import { hasCode } from "../shared/errors.ts";

/** Runs `fn` on a connection to the gateway holding the brain: its value, a note when the holder does not answer, or null when none holds it. */
export async function readFromGateway<T>(paths: BrainPaths, fn: (conn: GatewayConnection) => Promise<T>): Promise<{ value: T } | { note: string } | null> {
  const lock = inspectLock(paths.lockPath, paths.ownerPath);
  if (lock.status === "free") return null;
  const target = gatewayTarget(paths);
  try {
    const conn = await connectGateway({ url: target.url, token: target.auth.token, password: target.auth.password, timeoutMs: 3000 });
    try {
      return { value: await fn(conn) };
    } finally {
      await conn.closeWithin(200);
    }
  } catch (err) {
    if (!hasCode(err, "GATEWAY_UNREACHABLE") && !hasCode(err, "TIMEOUT")) throw err;
    return { note: `this brain is held by ${describeHolder(lock)}, which does not answer (${(err as Error).message})` };
  }
}
