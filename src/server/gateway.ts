/**
 * Starting one gateway. Order is the One-Brain contract: config (parsed by the caller) ->
 * refuse unsafe binds -> take the state-dir lock -> bind the port -> only then logging,
 * WebSocket and timers. The heavy modules load only once the lock is ours.
 */
import { prepareStart, type StartOptions } from "./prepare.ts";
import type { GatewayHandle } from "./serve.ts";

export type { StartOptions } from "./prepare.ts";
export type { GatewayHandle } from "./serve.ts";

/** Starts a gateway; throws a coded error (lock held, port in use, insecure bind, ...) and leaves no lock behind. */
export async function startGateway(opts: StartOptions): Promise<GatewayHandle> {
  const prepared = prepareStart(opts);
  try {
    const { serve } = await import("./serve.ts");
    return await serve(prepared);
  } catch (err) {
    prepared.lock.release();
    throw err;
  }
}
