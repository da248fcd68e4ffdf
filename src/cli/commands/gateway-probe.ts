/** `onebrain gateway probe`: handshake + health; exit 0 only if healthy. Made for container healthchecks. */
import { probeGateway } from "../../diagnostics/probe.ts";
import { gatewayTarget } from "../../diagnostics/target.ts";
import { errorCatalog, type ErrorCode } from "../../shared/errors.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";
import { printJson, printLines } from "../output.ts";

/** The command. */
export default async function probeCommand(
  global: GlobalOptions,
  opts: { url?: string; port?: string; token?: string; password?: string; timeout?: string; json?: boolean },
): Promise<void> {
  let url = opts.url;
  let token = opts.token;
  let password = opts.password;
  if (!url || (!token && !password)) {
    const target = gatewayTarget(brainPaths(global), process.env, opts.port);
    url ??= target.url;
    token ??= target.auth.token;
    password ??= target.auth.password;
  }
  const result = await probeGateway({ url, token, password, timeoutMs: Number(opts.timeout ?? 3000), withStatus: false });
  if (opts.json) printJson(result);
  else
    printLines([
      result.ok ? `healthy: ${result.url} answered in ${result.latencyMs} ms (v${result.health?.version})` : `unhealthy: ${result.error?.message ?? "unknown"}`,
    ]);
  if (!result.ok) process.exitCode = errorCatalog[(result.error?.code as ErrorCode) ?? "UNHEALTHY"]?.exitCode ?? 3;
}
