/**
 * `onebrain alerts status` and `onebrain alerts test` (docs/alerts.md). Status comes from the
 * running gateway (which knows what is bad right now), else read-only from the config and the
 * store (past alerts only: nothing is watched while no gateway runs). A test needs the gateway:
 * it sends through the gateway's own channels.
 */
import { resolveTargets, urlLabel } from "../../alerts/targets.ts";
import { alertViews } from "../../alerts/ledger.ts";
import { configuredAccounts } from "../../channels/inspect.ts";
import { loadBrainConfig } from "../../config/load.ts";
import type { BrainPaths } from "../../paths/paths.ts";
import type { AlertsStatus, AlertView } from "../../protocol/alerts.ts";
import { OnebrainError } from "../../shared/errors.ts";
import { peekStore } from "../../store/peek.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";
import { readFromGateway } from "../gateway-read.ts";
import { formatDuration, printJson, printLines } from "../output.ts";

/** What the files say while no gateway runs: the targets as configured, the alerts in the store. */
function fromFiles(paths: BrainPaths, recent: number): AlertsStatus {
  const config = loadBrainConfig(paths).config;
  const accounts = configuredAccounts(config, process.env, paths.stateDir);
  const { usable, problems } = resolveTargets(config.alerts.targets, { accounts, env: process.env });
  const read = (store: Parameters<typeof alertViews>[0]) => ({ open: alertViews(store, { open: true }), recent: alertViews(store, { closed: recent }) });
  const hb = config.alerts.heartbeat;
  return {
    enabled: config.alerts.enabled && config.alerts.targets.length > 0,
    targets: [
      ...usable.map((t) => ({ target: t.label, kind: t.kind, problem: null })),
      ...problems.map((p) => ({ target: p.label, kind: p.kind, problem: p.problem })),
    ],
    watching: [],
    ...(peekStore(paths.storePath, read) ?? { open: [], recent: [] }),
    heartbeat: hb ? { target: hb.url ? urlLabel(hb.url) : `$${hb.urlEnv}`, everyMs: hb.everyMs, lastAt: null, lastError: null } : null,
  };
}

const at = (t: number) => new Date(t).toISOString().replace(/\.\d{3}Z$/, "Z");

function alertLines(a: AlertView, now: number): string[] {
  const span =
    a.closedAt === null
      ? `open since ${at(a.openedAt)} (${formatDuration(now - a.openedAt)})`
      : `${at(a.openedAt)}, recovered after ${formatDuration(a.closedAt - a.openedAt)}`;
  return [
    `  #${a.id} ${a.condition}: ${span}`,
    `     ${a.detail}`,
    ...(a.sends.length ? a.sends : [null]).map((s) =>
      s ? `     ${s.phase.padEnd(8)} ${s.target}: ${s.state}${s.lastError ? ` (${s.lastError})` : ""}` : "     no target could be told",
    ),
  ];
}

/** `alerts status [--recent N]`. */
export async function statusCommand(global: GlobalOptions, opts: { json?: boolean; recent?: string }): Promise<void> {
  const recent = opts.recent === undefined ? 10 : Number(opts.recent);
  if (!Number.isInteger(recent) || recent < 1 || recent > 100)
    throw new OnebrainError("USAGE", `Cannot read --recent ${JSON.stringify(opts.recent)}: expected an integer 1-100`);
  const paths = brainPaths(global);
  const live = await readFromGateway(paths, (conn) => conn.request<AlertsStatus>("alerts.status", { recent }));
  const via = live && "value" in live ? "gateway" : "files";
  const s = live && "value" in live ? live.value : fromFiles(paths, recent);
  const note = live && "note" in live ? live.note : null;
  if (opts.json) return printJson({ via, ...(note ? { note } : {}), ...s });
  const now = Date.now();
  printLines([
    `alerts: ${s.enabled ? "on" : "off (no alerts.targets, or alerts.enabled is false)"} (${via === "gateway" ? "from the running gateway" : "from the files; the gateway is not running, nothing is watched"})`,
    ...(note ? [`  note: ${note}`] : []),
    `  targets:${s.targets.length ? "" : " none"}`,
    ...s.targets.map((t) => `    ${t.target}${t.problem ? `: CANNOT BE USED: ${t.problem}` : ""}`),
    ...(s.heartbeat
      ? [
          `  heartbeat: ${s.heartbeat.target} every ${formatDuration(s.heartbeat.everyMs)}${s.heartbeat.lastError ? `, last try failed: ${s.heartbeat.lastError}` : ""}`,
        ]
      : []),
    ...(via === "gateway" ? [`  bad now:${s.watching.length ? "" : " nothing"}`] : []),
    ...s.watching.map(
      (w) =>
        `    ${w.condition}: ${w.goodSince !== null ? `good again for ${formatDuration(now - w.goodSince)}, recovery pending` : w.alertsAt === null ? "alert open" : `alerts ${w.alertsAt <= now ? "now" : `in ${formatDuration(w.alertsAt - now)}`}`}: ${w.detail}`,
    ),
    `  open:${s.open.length ? "" : " none"}`,
    ...s.open.flatMap((a) => alertLines(a, now)),
    `  recent:${s.recent.length ? "" : " none"}`,
    ...s.recent.flatMap((a) => alertLines(a, now)),
    ...(s.targets.length ? [] : ['next: onebrain config set alerts.targets \'[{"channel":"telegram","target":"<chat id>"}]\'']),
  ]);
}

/** `alerts test`: a test alert to every target, through the running gateway. */
export async function testCommand(global: GlobalOptions, opts: { json?: boolean }): Promise<void> {
  const paths = brainPaths(global);
  let live;
  try {
    live = await readFromGateway(paths, (conn) => conn.request<{ alert: AlertView }>("alerts.test", { waitMs: 15_000 }, 25_000));
  } catch (err) {
    const wire = err instanceof OnebrainError ? (err.details.wire as { code?: string; hint?: string } | undefined) : undefined;
    if (wire?.code === "ALERTS_NO_TARGET") throw new OnebrainError("ALERTS_NO_TARGET", (err as Error).message, wire.hint ? { hint: wire.hint } : {});
    throw err;
  }
  if (!live || "note" in live)
    throw new OnebrainError("GATEWAY_UNREACHABLE", `A test alert is sent by the running gateway, and ${live ? live.note : "none runs for this brain"}`, {
      hint: "start it (onebrain gateway run) and run the test again",
    });
  const a = live.value.alert;
  const failed = a.sends.filter((s) => s.state === "failed").length;
  if (failed) process.exitCode = 1;
  if (opts.json) return printJson({ ok: failed === 0, alert: a });
  printLines([
    `test alert #${a.id} sent to ${a.sends.length} target${a.sends.length === 1 ? "" : "s"}:`,
    ...a.sends.map(
      (s) =>
        `  ${s.target}: ${s.state}${s.lastError ? ` (${s.lastError})` : ""}${s.state === "queued" || s.state === "pending" ? " (not settled yet; see onebrain alerts status)" : ""}`,
    ),
  ]);
}
