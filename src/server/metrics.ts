/**
 * GET /metrics: the process's event counters (src/metrics/instruments.ts) plus the values that are
 * states, read now: the outbox and inbox backlog (two index-backed queries), channels, clients,
 * readiness (the brain lock among it), event-loop lag and the standard process_* gauges. Nothing
 * here runs unless someone scrapes. Every metric is listed in docs/metrics.md.
 */
import fs from "node:fs";
import type { ServerResponse } from "node:http";
import { eventRegistry } from "../metrics/instruments.ts";
import { CONTENT_TYPE, Registry } from "../metrics/registry.ts";
import type { GatewayContext } from "./context.ts";

/** The channel states a channel can report (docs/protocol.md, `status.channels`). */
const CHANNEL_STATES = ["starting", "connected", "degraded", "reconnecting", "conflict", "failed", "stopped"] as const;

function openFds(): number | null {
  try {
    return fs.readdirSync("/proc/self/fd").length;
  } catch {
    return null; // not Linux
  }
}

/** The gauges of this moment, in a registry made for one scrape. */
export function scrapeGauges(ctx: GatewayContext): Registry {
  const r = new Registry();
  r.gauge("onebrain_build_info", "Always 1; the labels say which onebrain and Node run.", ["version", "node"]).set(
    { version: ctx.version, node: process.versions.node },
    1,
  );

  // Backlog: the outbox_state and inbound_state indexes (state, id) keep these to the rows counted.
  const byChannel = ctx.brain.store
    .prepare("SELECT channel, state, count(*) AS n, count(send_started_at) AS doubt FROM outbox WHERE state IN ('pending', 'failed') GROUP BY channel, state")
    .all() as Array<{ channel: string; state: "pending" | "failed"; n: number; doubt: number }>;
  const pending = r.gauge("onebrain_outbox_pending_replies", "Replies written and not yet delivered, by channel.", ["channel"]);
  const failed = r.gauge("onebrain_outbox_failed_replies", "Replies that failed for good and wait for `onebrain outbox retry`, by channel.", ["channel"]);
  const doubt = r.gauge(
    "onebrain_outbox_in_doubt_replies",
    "Pending replies with a part whose send may have reached the platform (being checked), by channel.",
    ["channel"],
  );
  for (const ch of new Set([...ctx.brain.channels().map((c) => c.id), ...byChannel.map((b) => b.channel)])) {
    const row = (state: string) => byChannel.find((b) => b.channel === ch && b.state === state);
    pending.set({ channel: ch }, row("pending")?.n ?? 0);
    failed.set({ channel: ch }, row("failed")?.n ?? 0);
    doubt.set({ channel: ch }, row("pending")?.doubt ?? 0);
  }
  const queued = ctx.brain.store.prepare("SELECT count(*) AS n FROM inbound WHERE state IN ('pending', 'running')").get() as { n: number };
  r.gauge("onebrain_inbound_queued_messages", "Inbound messages waiting for or in a run.").set(undefined, queued.n);
  r.gauge("onebrain_agent_runs_active", "Agent runs in flight.").set(undefined, ctx.brain.brain.activeRuns().length);

  const up = r.gauge("onebrain_channel_up", "1 while a channel is connected to its platform (degraded included), else 0, by channel and account.", [
    "channel",
    "account",
  ]);
  const state = r.gauge("onebrain_channel_state", "1 for the state a channel reports now, 0 for the others.", ["channel", "account", "state"]);
  for (const c of ctx.brain.channels()) {
    up.set({ channel: c.id, account: c.account }, c.state === "connected" || c.state === "degraded" ? 1 : 0);
    for (const s of CHANNEL_STATES) state.set({ channel: c.id, account: c.account, state: s }, c.state === s ? 1 : 0);
  }
  r.gauge("onebrain_ws_clients", "WebSocket clients connected now (authenticated or not yet).").set(undefined, ctx.connectionCount());
  r.gauge("onebrain_ws_unsent_bytes", "Bytes written to WebSocket clients and not yet sent, all clients together (see gateway.ws.maxTotalBufferedBytes).").set(
    undefined,
    ctx.unsentBytes(),
  );

  const readiness = ctx.readiness();
  r.gauge("onebrain_ready", "1 when /readyz answers 200.").set(undefined, readiness.ready ? 1 : 0);
  const component = r.gauge("onebrain_readiness_component_ok", "1 for each readiness component that is fine, 0 for one that fails.", ["component"]);
  for (const c of readiness.components) component.set({ component: c.name }, c.ok ? 1 : 0);
  const lock = readiness.components.find((c) => c.name === "lock");
  r.gauge("onebrain_brain_lock_held", "1 while this process holds its brain's lock (and the lock file is still the one it locked).").set(
    undefined,
    lock?.ok ? 1 : 0,
  );

  const lag = ctx.lag.snapshot();
  r.gauge("nodejs_eventloop_lag_p50_seconds", `Event-loop lag, median over the last ${lag.windowMs / 1000} s.`).set(undefined, lag.p50Ms / 1000);
  r.gauge("nodejs_eventloop_lag_p99_seconds", `Event-loop lag, 99th percentile over the last ${lag.windowMs / 1000} s.`).set(undefined, lag.p99Ms / 1000);
  r.gauge("nodejs_eventloop_lag_max_seconds", `Event-loop lag, maximum over the last ${lag.windowMs / 1000} s.`).set(undefined, lag.maxMs / 1000);

  const mem = process.memoryUsage();
  const cpu = process.cpuUsage();
  r.gauge("process_resident_memory_bytes", "Resident memory size in bytes.").set(undefined, mem.rss);
  r.gauge("nodejs_heap_size_used_bytes", "V8 heap in use, in bytes.").set(undefined, mem.heapUsed);
  r.gauge("nodejs_heap_size_total_bytes", "V8 heap reserved, in bytes.").set(undefined, mem.heapTotal);
  r.gauge("process_start_time_seconds", "Start time of the process since the Unix epoch, in seconds.").set(
    undefined,
    Math.round(performance.timeOrigin) / 1000,
  );
  r.counter("process_cpu_user_seconds_total", "User CPU time spent, in seconds.").inc(undefined, cpu.user / 1e6);
  r.counter("process_cpu_system_seconds_total", "System CPU time spent, in seconds.").inc(undefined, cpu.system / 1e6);
  r.counter("process_cpu_seconds_total", "User and system CPU time spent, in seconds.").inc(undefined, (cpu.user + cpu.system) / 1e6);
  const fds = openFds();
  if (fds !== null) r.gauge("process_open_fds", "Open file descriptors.").set(undefined, fds);
  return r;
}

/** The whole exposition: event counters, then this moment's gauges. */
export function renderMetrics(ctx: GatewayContext): string {
  return eventRegistry.render() + scrapeGauges(ctx).render();
}

/** Answers GET/HEAD /metrics (the caller has checked access). */
export function sendMetrics(res: ServerResponse, ctx: GatewayContext, head: boolean): void {
  const text = renderMetrics(ctx);
  res.writeHead(200, { "content-type": CONTENT_TYPE, "cache-control": "no-store", "content-length": Buffer.byteLength(text) });
  res.end(head ? undefined : text);
}
