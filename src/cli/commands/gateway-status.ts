/** `onebrain gateway status`: configured vs locked vs listening vs answering, read-only. */
import { gatewayStatus, type GatewayStatusReport } from "../../diagnostics/gateway-status.ts";
import { OnebrainError } from "../../shared/errors.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";
import { describeSource, formatDuration, printJson, printLines, rows } from "../output.ts";

/** Renders the report in a screenful. */
export function renderGatewayStatus(r: GatewayStatusReport): string[] {
  const c = r.configured;
  const p = c.ports;
  const lines = [`gateway: ${r.verdict.toUpperCase()}`, "configured"];
  lines.push(
    ...rows([
      ["state dir", `${c.stateDir} (${c.stateDirSource})`],
      [
        "config",
        `${c.configPath}${c.configExists ? "" : r.configProblem ? " (missing)" : " (missing: defaults)"}${c.configError ? ` BROKEN: ${c.configError.code}` : ""}`,
      ],
      ["profile", c.profile ?? "default"],
      [
        "ports",
        p
          ? `gateway ${p.base} (${p.baseSource}), browser control ${p.browserControl}, canvas ${p.canvas}, cdp ${p.cdp.first}-${p.cdp.last}`
          : "unknown (config broken)",
      ],
      ["bind", c.bind ? `${c.bind.mode} ${c.bind.hosts.join(", ")}` : "unknown"],
      ["auth", c.auth ? `${c.auth.mode}${c.auth.token ? ` (token ${c.auth.token} from ${c.auth.tokenSource})` : ""}` : "unknown"],
    ]),
  );
  if (r.sources) {
    const s = r.sources;
    lines.push(s.of === "running" ? "sources (what the running gateway uses, and why)" : "sources (what a gateway started now would use, and why)");
    lines.push(...rows((["port", "bind", "auth"] as const).map((k) => [k, `${s[k].value}  from ${describeSource(s[k], c.configPath)}`] as const)));
  }
  const l = r.lock;
  lines.push("lock");
  const o = l.owner;
  const holder = l.status === "held" ? `held by pid ${l.holderPid} (${l.holder?.user ?? "?"})` : l.status;
  lines.push(
    ...rows([
      ["state", holder],
      ...(o && l.ownerIsHolder ? ([["owner", `pid ${o.pid}, port ${o.port}, ${o.phase}, since ${o.startedAt}, v${o.version}`]] as const) : []),
    ]),
  );
  lines.push("port");
  lines.push(
    ...(r.listeners.length
      ? rows(
          r.listeners.map(
            (x) =>
              [
                x.address,
                x.pid === null
                  ? "unidentified process"
                  : `pid ${x.pid} ${x.user ?? ""} ${x.gatewayStateDir ? `onebrain gateway of ${x.gatewayStateDir}` : (x.command ?? "")}`,
              ] as const,
          ),
        )
      : ["  nothing listens"]),
  );
  if (r.rpc) {
    lines.push("rpc");
    lines.push(
      ...rows([
        ["probe", r.rpc.ok ? `ok in ${r.rpc.latencyMs} ms (${r.rpc.url})` : `FAILED: ${r.rpc.error?.message ?? "?"}`],
        ...(r.rpc.status
          ? ([
              [
                "gateway",
                `pid ${r.rpc.status.pid}, up ${formatDuration(r.rpc.status.uptimeMs)}, ${r.rpc.status.connections} client(s), v${r.rpc.status.version}`,
              ],
            ] as const)
          : []),
        ...(r.rpc.status ? ([["model", r.rpc.status.model.describe]] as const) : []),
      ]),
    );
  }
  if (r.problems.length) lines.push("problems", ...r.problems.map((x) => `  - ${x}`));
  if (r.notes.length) lines.push("notes", ...r.notes.map((x) => `  - ${x}`));
  if (r.otherBrains.line) lines.push(r.otherBrains.line);
  if (r.verdict === "stopped") lines.push("next: start it with `onebrain gateway`");
  return lines;
}

/** The command. */
export default async function gatewayStatusCommand(
  global: GlobalOptions,
  opts: { json?: boolean; requireRpc?: boolean; port?: string; timeout?: string },
): Promise<void> {
  const report = await gatewayStatus({ paths: brainPaths(global), portFlag: opts.port, timeoutMs: Number(opts.timeout ?? 1500) });
  if (opts.json) printJson(report);
  else printLines(renderGatewayStatus(report));
  if (opts.requireRpc && !report.rpc?.ok) {
    const e = new OnebrainError(report.rpc ? "UNHEALTHY" : "GATEWAY_UNREACHABLE", report.rpc?.error?.message ?? "no gateway to probe");
    process.exitCode = e.exitCode;
  }
}
