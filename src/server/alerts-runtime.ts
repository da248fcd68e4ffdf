/**
 * The watchdog in a running gateway (docs/alerts.md): it reads this gateway's channel states and
 * its own readiness, and writes to the brain's store. Made with the context, started once the
 * gateway serves, stopped first when it stops (a stop is not an outage).
 */
import { Watchdog } from "../alerts/watchdog.ts";
import type { Logger } from "pino";
import type { BrainRuntime } from "./brain-runtime.ts";
import type { GatewayContext } from "./context.ts";

/** Makes the watchdog of the gateway `ctx()` (read only once it runs); `start()` it when the gateway serves. */
export function createAlerts(o: { brain: BrainRuntime; logger: Logger; version: string }, ctx: () => GatewayContext): Watchdog {
  const brain = o.brain;
  return new Watchdog({
    store: brain.store,
    epoch: brain.epoch,
    config: () => ctx().config().alerts,
    env: process.env,
    channels: () => brain.channels(),
    readiness: () => ctx().processReadiness().components,
    ready: () => ctx().readiness().ready,
    deliver: () => void brain.brain.deliver(),
    logger: o.logger.child({ component: "alerts" }),
    version: o.version,
  });
}
