/** `onebrain gateway uninstall [--system]`: stop and disable the unit, remove it, reload systemd. The brain itself is kept. */
import { removeUnitFile } from "../../service/install.ts";
import { systemctl, systemctlOk, unitDir } from "../../service/systemd.ts";
import type { GlobalOptions } from "../brain.ts";
import { printJson, printLines } from "../output.ts";
import { serviceContext, serviceOps, type ServiceFlags } from "./gateway-service.ts";

/** The command. Idempotent: nothing installed is not an error. */
export default async function uninstall(global: GlobalOptions, opts: ServiceFlags): Promise<void> {
  const ctx = serviceContext(global, opts);
  const steps: string[] = [];
  if (ctx.unitText !== null && ctx.systemd.running) {
    const ops = serviceOps(ctx);
    const state = await ops.state();
    if (state.activeState !== "inactive" && state.activeState !== "failed") {
      await ops.systemctl(["stop", `${ctx.name}.service`], ops.stopTimeoutMs + 5_000);
      steps.push(`stopped ${ctx.name}`);
    }
    await systemctlOk(ctx.scope, ["disable", `${ctx.name}.service`], ctx.host);
    steps.push("disabled");
  }
  const removed = removeUnitFile({ dir: unitDir(ctx.scope, ctx.host), name: ctx.name });
  if (removed) steps.push(`removed ${ctx.unitPath}`);
  if (ctx.systemd.running && removed) {
    await systemctlOk(ctx.scope, ["daemon-reload"], ctx.host);
    await systemctl(ctx.scope, ["reset-failed", `${ctx.name}.service`], ctx.host); // only clears a failed state; may say "not loaded"
    steps.push("systemd reloaded");
  }
  const notes = [
    ...(removed && !ctx.systemd.running ? [`${ctx.systemd.reason}: only the file was removed`] : []),
    `the brain (${ctx.brain.paths.stateDir}) is kept`,
  ];
  if (opts.json) return printJson({ ok: true, unit: ctx.name, scope: ctx.scope, unitPath: ctx.unitPath, removed, steps, notes });
  printLines([
    removed ? `uninstalled ${ctx.scope} unit ${ctx.name}: ${steps.join(", ")}` : `nothing to uninstall: no ${ctx.scope} unit at ${ctx.unitPath}`,
    ...notes.map((n) => `note: ${n}`),
  ]);
}
