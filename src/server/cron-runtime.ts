/**
 * The brain's cron jobs in a running gateway: the scheduler (started once the brain has recovered
 * its runs, so an occurrence a crash interrupted is settled before anything fires) and the
 * service the RPC methods, the console and the agent's tool use. Stopped before the brain.
 */
import type { Logger } from "pino";
import type { Brain } from "../brain/brain.ts";
import { CronScheduler, type TickReport } from "../cron/scheduler.ts";
import { CronService } from "../cron/service.ts";
import type { StoreHandle } from "../store/handle.ts";

export interface CronRuntime {
  service: CronService;
  scheduler: CronScheduler;
}

/** Makes the scheduler and the service; `start()` the scheduler after `brain.start()`. */
export function createCron(o: {
  store: StoreHandle;
  epoch: number;
  brain: Brain;
  /** The configured agents, the default first (read at each use: a reload may change them). */
  agentIds: () => readonly string[];
  logger: Logger;
  onTick?: (r: TickReport) => void;
}): CronRuntime {
  const logger = o.logger.child({ component: "cron" });
  const scheduler = new CronScheduler({
    store: o.store,
    epoch: o.epoch,
    agentIds: o.agentIds,
    logger,
    kick: () => o.brain.kick(),
    onTick: (r) => {
      for (const f of r.fired) logger.info({ job: f.jobId, scheduledFor: new Date(f.scheduledFor).toISOString() }, "cron: fired");
      o.onTick?.(r);
    },
  });
  const service = new CronService({
    store: o.store,
    agentIds: o.agentIds,
    channels: () => o.brain.channelAccounts(),
    scheduler: { wake: () => scheduler.wake(), kick: () => o.brain.kick() },
  });
  return { service, scheduler };
}
