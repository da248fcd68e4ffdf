/** `onebrain status [--deep]`: one screen about this brain; --deep adds every check. */
import path from "node:path";
import { runChecks, type CheckResult } from "../../diagnostics/checks.ts";
import { gatewayStatus } from "../../diagnostics/gateway-status.ts";
import type { ModelErrorReport } from "../../agent/explain.ts";
import { failedReplies } from "../../brain/outbox-admin.ts";
import { peekStore } from "../../store/peek.ts";
import type { BrainStatus } from "../../server/context.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";
import { formatDuration, printJson, printLines, rows } from "../output.ts";
import remoteStatus, { type RemoteOptions } from "./status-remote.ts";

/** `home (default): anthropic/claude-haiku-4-5; work: ...; 2 bindings`. */
function agentsLine(a: BrainStatus["agents"]): string {
  const each = a.list.map((x) => `${x.id}${x.default ? " (default)" : ""}: ${x.model}`).join("; ");
  return `${each}; ${a.bindings} binding${a.bindings === 1 ? "" : "s"}`;
}

/** The last model error, with its kind, when one happened: "key-refused (401), permanent, 2m ago: <what the user was told>". */
function modelErrorRow(e: ModelErrorReport | null, lastSuccessAt: number | null): [string, string][] {
  if (!e) return [];
  const since = lastSuccessAt !== null && lastSuccessAt > e.at ? "; replies have succeeded since" : "";
  return [
    [
      "model error",
      `${e.kind}${e.httpStatus ? ` (${e.httpStatus})` : ""}${e.permanent ? ", permanent" : ""}, ${formatDuration(Date.now() - e.at)} ago${since}: ${e.reply}`,
    ],
  ];
}

/** Failed replies as status shows them, and where they were read (the running gateway, else the store). */
type FailedSummary = ReturnType<typeof failedReplies> & { via: "gateway" | "store" };

/** Failed replies in one line, the newest with its error and the commands that resend it. */
function failedLine(f: FailedSummary, profile: string | null | undefined): string | null {
  if (!f.count) return null;
  const cli = `onebrain${profile ? ` --profile ${profile}` : ""} outbox`;
  const newest = f.newest ? ` (newest #${f.newest.id} to ${f.newest.channel} ${f.newest.target}: ${f.newest.error ?? "no error recorded"})` : "";
  const next = f.newest ? `\`${cli} retry ${f.newest.id}\` sends it again` : `\`${cli} retry ID\` sends one again`;
  return `  ! ${f.count} ${f.count === 1 ? "reply" : "replies"} failed${newest}; \`${cli} list --failed\` lists them, ${next}`;
}

/** The command. */
export default async function statusCommand(global: GlobalOptions, opts: RemoteOptions & { deep?: boolean }): Promise<void> {
  if (opts.url) return remoteStatus(global, opts);
  const paths = brainPaths(global);
  const gw = await gatewayStatus({ paths, timeoutMs: 1500 });
  const checks: CheckResult[] | null = opts.deep
    ? runChecks({
        paths,
        plan: gw.livePorts ?? gw.configured.ports,
        logFile: path.join(paths.logDir, "gateway.log"),
        gatewayProxy: gw.rpc?.status?.outboundProxy ?? null,
      })
    : null;
  // Failed replies: from the running gateway, else read from the store (read-only, no lock).
  const pipe = gw.rpc?.status?.pipeline;
  const stored = pipe ? null : peekStore(paths.storePath, failedReplies);
  const failed: FailedSummary | null = pipe
    ? { via: "gateway", count: pipe.failedOutbox, newest: pipe.newestFailed ?? null }
    : stored && { via: "store", ...stored };
  if (opts.json)
    return printJson({
      brain: gw.configured,
      gateway: {
        verdict: gw.verdict,
        configProblem: gw.configProblem,
        lock: gw.lock,
        listeners: gw.listeners,
        rpc: gw.rpc,
        problems: gw.problems,
        notes: gw.notes,
        otherBrains: gw.otherBrains,
      },
      failedReplies: failed,
      ...(checks ? { checks } : {}),
    });
  const c = gw.configured;
  const p = c.ports;
  const lines = [
    `onebrain ${c.profile ? `profile ${c.profile}` : "(default profile)"}: gateway ${gw.verdict}`,
    ...rows([
      ["state dir", c.stateDir],
      [
        "config",
        `${c.configPath}${gw.configProblem ? ` (${gw.configProblem.kind}: the gateway runs on its last good config)` : c.configExists ? "" : " (missing: defaults)"}`,
      ],
      ["ports", p ? `${p.base} (browser ${p.browserControl}, canvas ${p.canvas}, cdp ${p.cdp.first}-${p.cdp.last})` : "unknown"],
      ["bind/auth", `${c.bind?.mode ?? "?"} / ${c.auth?.mode ?? "?"}`],
      ...(gw.rpc?.status?.browser ? ([["browser", browserLine(gw.rpc.status.browser)]] as const) : []),
      ...(gw.rpc?.status?.alerts ? ([["alerts", alertsLine(gw.rpc.status.alerts, Date.now())]] as const) : []),
      ["model", gw.rpc?.status ? gw.rpc.status.model.describe : "unknown (gateway not running)"],
      // Several agents (docs/agents.md): each with its model; one agent says nothing more than `model`.
      ...(gw.rpc?.status?.agents && gw.rpc.status.agents.list.length > 1 ? ([["agents", agentsLine(gw.rpc.status.agents)]] as const) : []),
      ...modelErrorRow(gw.rpc?.status?.model.lastError ?? null, gw.rpc?.status?.model.lastSuccessAt ?? null),
      ...(gw.rpc?.status
        ? ([
            [
              "pipeline",
              `epoch ${gw.rpc.status.pipeline.epoch}, ${gw.rpc.status.pipeline.activeRuns} run(s), ${gw.rpc.status.pipeline.pendingInbound} queued, ${gw.rpc.status.pipeline.pendingOutbox} undelivered, ${gw.rpc.status.pipeline.failedOutbox} failed`,
            ],
          ] as const)
        : []),
      [
        "gateway",
        gw.rpc?.status
          ? `pid ${gw.rpc.status.pid}, up ${formatDuration(gw.rpc.status.uptimeMs)}, ${gw.rpc.status.connections} client(s), probe ${gw.rpc.latencyMs} ms`
          : gw.lock.status === "held"
            ? `pid ${gw.lock.holderPid} holds the brain; RPC: ${gw.rpc?.error?.message ?? "not probed"}`
            : "not running",
      ],
    ]),
  ];
  const failedText = failed && failedLine(failed, c.profile);
  if (failedText) lines.push(failedText);
  if (gw.problems.length) lines.push(...gw.problems.map((x) => `  ! ${x}`));
  if (gw.notes.length) lines.push(...gw.notes.map((x) => `  · ${x}`));
  if (gw.otherBrains.line) lines.push(`  · ${gw.otherBrains.line}`);
  if (checks)
    lines.push(
      "checks",
      ...checks.map(
        (k) =>
          `  ${k.status === "ok" ? "ok  " : k.status.toUpperCase().padEnd(4)} ${k.id.padEnd(11)} ${k.finding}${k.fix && k.status !== "ok" ? `  (fix: ${k.fix})` : ""}`,
      ),
    );
  printLines(lines);
  if (checks?.some((k) => k.status === "fail")) process.exitCode = 3;
}

/** The browser row: the control port and the running profiles, or why it is off. */
/** The watchdog in one line: open alerts first, else its targets (none: nobody hears of an outage). */
function alertsLine(a: BrainStatus["alerts"], now: number): string {
  if (a.open.length)
    return `${a.open.length} open: ${a.open.map((x) => `${x.condition} for ${formatDuration(now - x.openedAt)}`).join(", ")} (onebrain alerts status)`;
  return a.targets ? `none open, ${a.targets} target(s)` : "no target: nobody is told of an outage (docs/alerts.md)";
}

function browserLine(b: BrainStatus["browser"]): string {
  if (!b.listening) return `control ${b.controlPort} not listening (${b.problem ?? "?"})`;
  const running = b.running.map((r) => `${r.profile}${r.pid ? ` pid ${r.pid}` : " (remote)"}`);
  return `control ${b.controlPort}, ${running.length ? `running: ${running.join(", ")}` : "no browser running (starts on first use)"}`;
}
