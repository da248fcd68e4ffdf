/** `onebrain gateway start [--system]`: start this brain's service, or say that it already runs. */
import { startService, type StartResult } from "../../service/lifecycle.ts";
import type { GlobalOptions } from "../brain.ts";
import { printJson, printLines } from "../output.ts";
import { serviceContext, serviceOps, type ServiceFlags } from "./gateway-service.ts";

/** One line about a start. */
export function renderStart(r: StartResult, stateDir: string): string {
  const how = r.managedBy === "systemd" ? `managed by systemd unit ${r.unit}` : "not managed by systemd";
  return r.outcome === "already-running"
    ? `already running: this brain (${stateDir}) is healthy on port ${r.port}, pid ${r.pid} (${how}); nothing to do`
    : `started: ${r.unit} is healthy on port ${r.port}, pid ${r.pid}, in ${r.elapsedMs} ms`;
}

/** The command. */
export default async function start(global: GlobalOptions, opts: ServiceFlags): Promise<void> {
  const ctx = serviceContext(global, opts);
  const r = await startService(serviceOps(ctx));
  if (opts.json) printJson({ ok: true, stateDir: ctx.brain.paths.stateDir, ...r });
  else printLines([renderStart(r, ctx.brain.paths.stateDir)]);
}
