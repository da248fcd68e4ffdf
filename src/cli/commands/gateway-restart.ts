/** `onebrain gateway restart [--system]`: stop, check the port is free, start, wait until healthy. */
import { OnebrainError } from "../../shared/errors.ts";
import { startService, stopService, unavailable } from "../../service/lifecycle.ts";
import type { GlobalOptions } from "../brain.ts";
import { printJson, printLines } from "../output.ts";
import { serviceContext, serviceOps, type ServiceFlags } from "./gateway-service.ts";
import { renderStart } from "./gateway-start.ts";
import { renderStop } from "./gateway-stop.ts";

/** The command. Refuses before stopping anything when it could not start again. */
export default async function restart(global: GlobalOptions, opts: ServiceFlags): Promise<void> {
  const ctx = serviceContext(global, opts);
  const ops = serviceOps(ctx);
  if (!ctx.systemd.running) throw unavailable(ctx, "restart the gateway as a service (it would stay stopped)");
  if (!ops.unitInstalled) {
    throw new OnebrainError(
      "SERVICE_NOT_INSTALLED",
      `No ${ctx.scope} unit ${ctx.name}.service is installed for this brain, so a restart could not start it again`,
      {
        hint: `Install it with \`onebrain gateway install${ctx.scope === "system" ? " --system --user NAME" : ""}\`.`,
      },
    );
  }
  const stopped = await stopService(ops);
  const started = await startService(ops);
  if (opts.json) printJson({ ok: true, stateDir: ctx.brain.paths.stateDir, stop: stopped, start: started });
  else printLines([renderStop(stopped, ctx.brain.paths.stateDir), renderStart(started, ctx.brain.paths.stateDir)]);
}
