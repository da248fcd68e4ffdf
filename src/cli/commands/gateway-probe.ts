/** `onebrain gateway probe`: handshake + health; exit 0 only if healthy. Made for container healthchecks. */
import { loadConfig } from "../../config/load.ts";
import { probeGateway } from "../../diagnostics/probe.ts";
import { portPlan } from "../../paths/ports.ts";
import { resolveAuth } from "../../server/auth.ts";
import { errorCatalog, type ErrorCode } from "../../shared/errors.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";
import { printJson, printLines } from "../output.ts";

/** The command. */
export default async function probeCommand(global: GlobalOptions, opts: { url?: string; token?: string; password?: string; timeout?: string; json?: boolean }): Promise<void> {
  let url = opts.url;
  let token = opts.token;
  let password = opts.password;
  if (!url || (!token && !password)) {
    const paths = brainPaths(global);
    const { config } = loadConfig(paths.configPath);
    const auth = resolveAuth(config.gateway.auth);
    url ??= `ws://127.0.0.1:${portPlan({ configPort: config.gateway.port, profile: paths.profile }).base}`;
    token ??= auth.token;
    password ??= auth.password;
  }
  const result = await probeGateway({ url, token, password, timeoutMs: Number(opts.timeout ?? 3000), withStatus: false });
  if (opts.json) printJson(result);
  else printLines([result.ok ? `healthy: ${result.url} answered in ${result.latencyMs} ms (v${result.health?.version})` : `unhealthy: ${result.error?.message ?? "unknown"}`]);
  if (!result.ok) process.exitCode = errorCatalog[(result.error?.code as ErrorCode) ?? "UNHEALTHY"]?.exitCode ?? 3;
}
