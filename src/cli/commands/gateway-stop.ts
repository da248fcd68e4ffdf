/** `onebrain gateway stop [--system]`: stop this brain's gateway and check that its port is free. */
import { stopService, type StopResult } from "../../service/lifecycle.ts";
import type { GlobalOptions } from "../brain.ts";
import { printJson, printLines } from "../output.ts";
import { serviceContext, serviceOps, type ServiceFlags } from "./gateway-service.ts";

/** One line about a stop. */
export function renderStop(r: StopResult, stateDir: string): string {
  if (!r.stopped) return `not running: this brain (${stateDir}) has no gateway; port ${r.port} is free`;
  const how = r.stopped.via === "systemd" ? `through systemd (${r.unit})` : "with SIGTERM";
  return `stopped: pid ${r.stopped.pid ?? "?"} ${how}; port ${r.port} is free`;
}

/** The command. */
export default async function stop(global: GlobalOptions, opts: ServiceFlags): Promise<void> {
  const ctx = serviceContext(global, opts);
  const r = await stopService(serviceOps(ctx));
  if (opts.json) printJson({ ok: true, stateDir: ctx.brain.paths.stateDir, ...r });
  else printLines([renderStop(r, ctx.brain.paths.stateDir)]);
}
