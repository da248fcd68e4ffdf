/**
 * RPC methods of cron jobs (`cron.*`, docs/cron.md): through the running gateway's CronService,
 * whose scheduler is woken by each change. A refusal the caller can act on (CRON_INVALID,
 * CRON_NOT_FOUND, CRON_BUSY) is INVALID_REQUEST with the registry code in `details.code`.
 */
import type { CronJobInput } from "../cron/jobs.ts";
import { OnebrainError } from "../shared/errors.ts";
import type { GatewayContext } from "./context.ts";
import type { CallerInfo } from "./rpc-chat.ts";
import { RpcError } from "./rpc-error.ts";

type Handler = (params: unknown, ctx: GatewayContext, caller: CallerInfo) => unknown;
type CronMethod = "cron.add" | "cron.list" | "cron.show" | "cron.runs" | "cron.runNow" | "cron.pause" | "cron.resume" | "cron.remove";

/** Runs `fn`, turning the cron module's coded refusals into INVALID_REQUEST. */
function refusing<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof OnebrainError && err.code.startsWith("CRON_")) throw new RpcError("INVALID_REQUEST", err.message, { code: err.code, ...err.details });
    throw err;
  }
}

export const cronHandlers: Record<CronMethod, Handler> = {
  "cron.add": (params, ctx, caller) =>
    refusing(() => {
      const job = ctx.brain.cron.add(params as CronJobInput);
      ctx.logger.info({ job: job.name, id: job.id, schedule: job.scheduleText, by: caller.clientId }, "cron job added");
      return { job };
    }),
  "cron.list": (_params, ctx) => ({ jobs: ctx.brain.cron.list() }),
  "cron.show": (params, ctx) => refusing(() => ctx.brain.cron.show((params as { job: string }).job)),
  "cron.runs": (params, ctx) => {
    const p = params as { job: string; limit?: number };
    return { runs: refusing(() => ctx.brain.cron.runs(p.job, p.limit)) };
  },
  "cron.runNow": (params, ctx, caller) =>
    refusing(() => {
      const r = ctx.brain.cron.runNow((params as { job: string }).job);
      ctx.logger.info({ job: r.job.name, occurrence: r.occurrenceId, by: caller.clientId }, "cron job run by hand");
      return r;
    }),
  "cron.pause": (params, ctx) => ({ job: refusing(() => ctx.brain.cron.setPaused((params as { job: string }).job, true)) }),
  "cron.resume": (params, ctx) => ({ job: refusing(() => ctx.brain.cron.setPaused((params as { job: string }).job, false)) }),
  "cron.remove": (params, ctx, caller) =>
    refusing(() => {
      const r = ctx.brain.cron.remove((params as { job: string }).job);
      ctx.logger.info({ id: r.removed, by: caller.clientId }, "cron job removed");
      return r;
    }),
};
