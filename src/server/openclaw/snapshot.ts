/**
 * The gateway's state in the shapes OpenClaw's clients read: the health snapshot (`health`, the
 * `health` event, `hello-ok.snapshot.health`), presence, and the session defaults. Values are
 * onebrain's own, read when asked; nothing is cached or invented.
 */
import os from "node:os";
import type { GatewayContext } from "../context.ts";

/** The default agent and main session as OpenClaw names them. */
export function sessionDefaults(ctx: GatewayContext): {
  defaultAgentId: string;
  mainKey: string;
  mainSessionKey: string;
  scope: string;
  modelConfigured: boolean;
} {
  const agentId = ctx.brain.defaultAgentId();
  return {
    defaultAgentId: agentId,
    mainKey: "main",
    mainSessionKey: `agent:${agentId}:main`,
    // OpenClaw's names: "per-sender" (each sender's own routing) or "global"; onebrain routes per sender.
    scope: "per-sender",
    modelConfigured: ctx.brain.agent.notConfigured() === null,
  };
}

/** Sessions of the brain as OpenClaw's health lists them: count and the most recent. */
function sessionsSummary(ctx: GatewayContext): { path: string; count: number; recent: Array<{ key: string; updatedAt: number; age: number }> } {
  const store = ctx.brain.store;
  const count = (store.prepare("SELECT count(*) AS n FROM sessions WHERE ended_at IS NULL").get() as { n: number }).n;
  const now = Date.now();
  const recent = (
    store
      .prepare("SELECT session_key AS key, last_activity_at AS at FROM sessions WHERE ended_at IS NULL ORDER BY last_activity_at DESC LIMIT 5")
      .all() as Array<{
      key: string;
      at: number;
    }>
  ).map((r) => ({ key: r.key, updatedAt: r.at, age: now - r.at }));
  return { path: ctx.paths.storePath, count, recent };
}

/** Channel entries keyed by channel name, with each account's state. */
export function channelsSummary(ctx: GatewayContext): { channels: Record<string, unknown>; channelOrder: string[]; channelLabels: Record<string, string> } {
  const channels: Record<
    string,
    { configured: boolean; running: boolean; connected: boolean; state: string; lastError: string | null; accounts: Record<string, unknown> }
  > = {};
  for (const s of ctx.brain.channels()) {
    if (s.id === "webchat") continue;
    const running = s.state !== "stopped" && s.state !== "failed";
    const connected = s.state === "connected" || s.state === "degraded";
    const ch = (channels[s.id] ??= { configured: true, running: false, connected: false, state: s.state, lastError: null, accounts: {} });
    ch.running ||= running;
    ch.connected ||= connected;
    const why = "detail" in s ? s.detail : "lastError" in s ? s.lastError : "reason" in s ? s.reason : undefined;
    const lastError = connected ? null : (why ?? null);
    if (lastError) ch.lastError = lastError;
    ch.accounts[s.account] = {
      accountId: s.account,
      configured: true,
      running,
      connected,
      state: s.state,
      lastError,
      ...(connected && why ? { detail: why } : {}),
    };
  }
  const order = Object.keys(channels).sort();
  return { channels, channelOrder: order, channelLabels: Object.fromEntries(order.map((c) => [c, c[0]!.toUpperCase() + c.slice(1)])) };
}

let lastCpu = { at: performance.now(), usage: process.cpuUsage(), elu: performance.eventLoopUtilization() };

/** The event loop as OpenClaw's health words it: lag, and the share of time busy and on the CPU since the last look. */
function eventLoopSummary(failing: readonly string[], lag: { p99Ms: number; maxMs: number; windowMs: number }): Record<string, unknown> {
  const now = { at: performance.now(), usage: process.cpuUsage(), elu: performance.eventLoopUtilization() };
  const wallMs = Math.max(1, now.at - lastCpu.at);
  const cpu = process.cpuUsage(lastCpu.usage);
  const util = performance.eventLoopUtilization(now.elu, lastCpu.elu).utilization;
  lastCpu = now;
  const degraded = failing.some((f) => /event.?loop/i.test(f));
  return {
    degraded,
    degradedSinceMs: null,
    reasons: degraded ? ["event_loop_delay"] : [],
    intervalMs: lag.windowMs,
    delayP99Ms: lag.p99Ms,
    delayMaxMs: lag.maxMs,
    utilization: Math.round(util * 1000) / 1000,
    cpuCoreRatio: Math.round(((cpu.user + cpu.system) / 1000 / wallMs) * 1000) / 1000,
  };
}

/** The event loop now, as OpenClaw's `channels.status` carries it. */
export function eventLoopNow(ctx: GatewayContext): Record<string, unknown> {
  return eventLoopSummary(ctx.readiness().failing, ctx.lag.snapshot());
}

/** onebrain runs no heartbeat turns (OpenClaw's periodic "anything to do?" prompt): every agent's is off. */
const NO_HEARTBEAT = { enabled: false, every: "disabled", everyMs: null, prompt: "", target: "none", ackMaxChars: 0 };

/** The health snapshot, as `health` answers and `hello-ok.snapshot.health` carries it. */
export function healthSnapshot(ctx: GatewayContext): Record<string, unknown> {
  const started = performance.now();
  const ready = ctx.readiness();
  const lag = ctx.lag.snapshot();
  const sessions = sessionsSummary(ctx);
  const defaults = sessionDefaults(ctx);
  const agentIds = ctx.brain.agentIds();
  // OpenClaw's snapshot says ok only ever as true (the gateway answered); what is wrong shows in channels and the event loop.
  return {
    ok: true,
    ts: Date.now(),
    durationMs: Math.round(performance.now() - started),
    ...channelsSummary(ctx),
    heartbeatSeconds: 0,
    defaultAgentId: defaults.defaultAgentId,
    agents: agentIds.map((id) => ({ agentId: id, isDefault: id === defaults.defaultAgentId, heartbeat: NO_HEARTBEAT, sessions })),
    sessions,
    eventLoop: eventLoopSummary(ready.failing, lag),
  };
}

/** This gateway as a presence entry (OpenClaw lists the gateway itself and connected nodes). */
export function gatewayPresence(ctx: GatewayContext): Record<string, unknown> {
  return {
    host: os.hostname(),
    version: ctx.version,
    platform: process.platform,
    mode: "gateway",
    reason: "self",
    text: `Gateway: ${os.hostname()} · onebrain ${ctx.version}`,
    ts: Date.now(),
    instanceId: ctx.instanceId,
    onlineSince: ctx.startedAtMs,
  };
}
