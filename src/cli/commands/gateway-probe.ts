/** `onebrain gateway probe`: handshake + health; exit 0 only if healthy. Made for container healthchecks. */
import { printable } from "../../shared/text.ts";
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
    // The version and the refusal's words came from the gateway: no escape sequence of its reaches the terminal.
    printLines([
      result.ok
        ? `healthy: ${printable(result.url)} answered in ${result.latencyMs} ms (${printable(who, 120)})`
        : `unhealthy: ${printable(result.error?.message ?? "unknown", 400)}`,
    ]);
  }
  if (!result.ok) process.exitCode = probeExitCode(result);
}
