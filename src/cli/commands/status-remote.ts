/**
 * `onebrain status --url URL`: one screen about the gateway at URL, from its RPC alone: a onebrain
 * gateway's `status`, or an OpenClaw-family gateway's `health` and `status` in OpenClaw's dialect.
 * The credentials are `--token`/`--password`, else this brain's.
 */
import { probeGateway, type ProbeResult } from "../../diagnostics/probe.ts";
import { gatewayTarget } from "../../diagnostics/target.ts";
import { errorCatalog, type ErrorCode } from "../../shared/errors.ts";
import { printable } from "../../shared/text.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";
import { formatDuration, printJson, printLines, rows } from "../output.ts";

export interface RemoteOptions {
  url?: string;
  port?: string;
  token?: string;
  password?: string;
  timeout?: string;
  json?: boolean;
}

/** Probes the gateway a command names (`--url`, else `--port`, else this brain's) with its credentials. */
export async function probeTarget(global: GlobalOptions, opts: RemoteOptions, withStatus: boolean, defaultTimeoutMs: number): Promise<ProbeResult> {
  let { url, token, password } = opts;
  if (!url || (!token && !password)) {
    const target = gatewayTarget(brainPaths(global), process.env, opts.port);
    url ??= target.url;
    token ??= target.auth.token;
    password ??= target.auth.password;
  }
  const timeoutMs = Number(opts.timeout ?? defaultTimeoutMs);
  return probeGateway({ url, token, password, timeoutMs: Number.isFinite(timeoutMs) && timeoutMs > 0 ? timeoutMs : defaultTimeoutMs, withStatus });
}

/** The exit code of a probe that failed: its error's, else 3. */
export function probeExitCode(r: ProbeResult): number {
  return r.ok ? 0 : (errorCatalog[(r.error?.code as ErrorCode) ?? "UNHEALTHY"]?.exitCode ?? 3);
}

const mb = (bytes: number) => `${Math.round(bytes / 1048576)} MB`;

/** The rows of an OpenClaw-family gateway. */
function openclawRows(r: ProbeResult): [string, string][] {
  const s = r.openclaw!;
  const channels = s.channels.map(
    (c) => `${c.channel}${c.account === "default" ? "" : `@${c.account}`} ${c.state}${c.error ? ` (${c.error.slice(0, 80)})` : ""}`,
  );
  return [
    ["gateway", `OpenClaw-family gateway ${s.version}, protocol ${s.protocol}${s.uptimeMs !== null ? `, up ${formatDuration(s.uptimeMs)}` : ""}`],
    ["health", r.ok ? "ok" : `not ready: ${r.health?.failing.join(", ")}`],
    ["channels", channels.length ? channels.slice(0, 6).join("; ") + (channels.length > 6 ? `; +${channels.length - 6} more` : "") : "none"],
    ["agents", s.agents.map((a) => `${a.id}${a.default ? " (default)" : ""}${a.sessions !== null ? `: ${a.sessions} session(s)` : ""}`).join("; ") || "none"],
    ["process", s.pid !== null ? `pid ${s.pid}${s.rssBytes !== null ? `, ${mb(s.rssBytes)} RSS` : ""}` : `not told (${s.statusError ?? "status not asked"})`],
    ["scopes", s.scopes.length ? s.scopes.join(", ") : "none granted (OpenClaw grants a device-less client scopes only from loopback)"],
  ];
}

/** The rows of a onebrain gateway. */
function onebrainRows(r: ProbeResult): [string, string][] {
  const s = r.status;
  return [
    ["gateway", `onebrain ${r.gateway?.version ?? "?"}, protocol ${r.gateway?.protocol ?? "?"}${s ? `, up ${formatDuration(s.uptimeMs)}` : ""}`],
    ["health", r.health?.ready ? "ready" : `not ready: ${r.health?.failing.join(", ") ?? "?"}`],
    ...(s
      ? ([
          ["brain", `${s.stateDir}${s.profile ? ` (profile ${s.profile})` : ""}, pid ${s.pid}`],
          ["model", s.model.describe],
          [
            "pipeline",
            `epoch ${s.pipeline.epoch}, ${s.pipeline.activeRuns} run(s), ${s.pipeline.pendingInbound} queued, ${s.pipeline.pendingOutbox} undelivered, ${s.pipeline.failedOutbox} failed`,
          ],
          ["clients", String(s.connections)],
        ] as [string, string][])
      : []),
  ];
}

/** The command's `--url` form. */
export default async function remoteStatus(global: GlobalOptions, opts: RemoteOptions): Promise<void> {
  const r = await probeTarget(global, opts, true, 3000);
  process.exitCode = r.health ? (r.ok ? 0 : 3) : probeExitCode(r);
  if (opts.json) return printJson(r);
  if (!r.gateway) return printLines([`${printable(r.url)}: ${printable(r.error?.message ?? "no answer", 400)}`]);
  // Every value came from the gateway: no escape sequence of its reaches the terminal.
  const shown = (r.gateway.kind === "openclaw" ? openclawRows(r) : onebrainRows(r)).map(([k, v]): [string, string] => [k, printable(v, 400)]);
  printLines([`${printable(r.url)}: answered in ${r.latencyMs} ms`, ...rows(shown)]);
}
