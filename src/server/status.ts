/** The brain's own status, as the `status` RPC method and GET /api/status return it. */
import os from "node:os";
import { newestFailedReply } from "../brain/outbox-admin.ts";
import { readOwnerRecord } from "../lock/owner.ts";
import { proxyReport } from "../shared/proxy-env.ts";
import type { BrainStatus, GatewayContext } from "./context.ts";
import { openAlerts } from "../alerts/ledger.ts";

/** The user this process runs as; it cannot change while the process lives. */
let userName: string | undefined;

/** A snapshot of this gateway: identity, paths, ports, auth mode (never secrets), load. */
export function brainStatus(ctx: GatewayContext): BrainStatus {
  const auth = ctx.auth();
  const mem = process.memoryUsage();
  return {
    version: ctx.version,
    instanceId: ctx.instanceId,
    pid: process.pid,
    user: (userName ??= os.userInfo().username),
    hostname: os.hostname(),
    home: ctx.paths.home,
    stateDir: ctx.paths.stateDir,
    configPath: ctx.paths.configPath,
    configProblem: ctx.configProblem(),
    profile: ctx.paths.profile ?? null,
    startedAt: new Date(ctx.startedAtMs).toISOString(),
    uptimeMs: Date.now() - ctx.startedAtMs,
    bind: { mode: ctx.bind.mode, hosts: ctx.boundHosts },
    auth: { mode: auth.mode, tokenSource: auth.tokenSource, passwordSource: auth.passwordSource },
    sources: ctx.sources(),
    ports: ctx.plan,
    connections: ctx.connectionCount(),
    memory: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed },
    eventLoop: ctx.lag.snapshot(),
    readiness: ctx.readiness(),
    model: { configured: ctx.brain.agent.notConfigured() === null, describe: ctx.brain.agent.describe(), ...ctx.brain.agent.health() },
    tools: ctx.brain.agent.tools(),
    agents: agentsSummary(ctx),
    pipeline: pipeline(ctx),
    lock: lockRecord(ctx.paths.ownerPath),
    channels: ctx.brain.channels(),
    outboundProxy: proxyReport(process.env),
    browser: browserSummary(ctx),
    alerts: { targets: ctx.config().alerts.targets.length, open: openAlerts(ctx.brain.store).map((a) => ({ condition: a.condition, openedAt: a.openedAt })) },
  };
}

/** The configured agents, the default first, and the number of bindings. */
function agentsSummary(ctx: GatewayContext): BrainStatus["agents"] {
  const roster = ctx.brain.agent.roster();
  const list = roster.ids.map((id) => roster.get(id)!);
  return {
    list: list.map((a) => ({ id: a.id, name: a.name, default: a.isDefault, workspace: a.workspace, model: ctx.brain.agent.describe(a.id) })),
    bindings: ctx.config().bindings.length,
  };
}

/** The browser control service in a few fields (the full view is `browser status`). */
function browserSummary(ctx: GatewayContext): BrainStatus["browser"] {
  const c = ctx.browserControl;
  return {
    controlPort: ctx.plan.browserControl,
    listening: c?.listening ?? false,
    problem: c ? c.problem : "not started yet",
    running: ctx.brain.browser.running(),
  };
}

/** Runs, queues and replies; with failed replies, the newest one and its error (for `outbox retry`). */
function pipeline(ctx: GatewayContext): BrainStatus["pipeline"] {
  const backlog = ctx.brain.backlog();
  return {
    epoch: ctx.brain.epoch,
    activeRuns: ctx.brain.brain.activeRuns().length,
    ...backlog,
    newestFailed: backlog.failedOutbox ? newestFailedReply(ctx.brain.store) : null,
  };
}

/** The brain lock's owner record as it is on disk (argv and uid left out: the console shows the rest). */
function lockRecord(file: string): BrainStatus["lock"] {
  const r = readOwnerRecord(file);
  if (!r) return null;
  return {
    pid: r.pid,
    user: r.user,
    hostname: r.hostname,
    home: r.home,
    stateDir: r.stateDir,
    configPath: r.configPath,
    profile: r.profile,
    port: r.port,
    bindHosts: r.bindHosts,
    version: r.version,
    startedAt: r.startedAt,
    instanceId: r.instanceId,
    phase: r.phase,
  };
}
