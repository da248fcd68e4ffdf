/** `onebrain gateway probe`: handshake + health; exit 0 only if healthy. Made for container healthchecks. */
import type { GlobalOptions } from "../brain.ts";
import { printJson, printLines } from "../output.ts";
import { probeExitCode, probeTarget, type RemoteOptions } from "./status-remote.ts";

/** The command. */
export default async function probeCommand(global: GlobalOptions, opts: RemoteOptions): Promise<void> {
  const result = await probeTarget(global, opts, false, 3000);
  if (opts.json) printJson(result);
  else {
    const who =
      result.gateway?.kind === "openclaw"
        ? `OpenClaw-family gateway ${result.gateway.version}, protocol ${result.gateway.protocol}`
        : `v${result.health?.version}`;
    printLines([result.ok ? `healthy: ${result.url} answered in ${result.latencyMs} ms (${who})` : `unhealthy: ${result.error?.message ?? "unknown"}`]);
  }
  if (!result.ok) process.exitCode = probeExitCode(result);
}
