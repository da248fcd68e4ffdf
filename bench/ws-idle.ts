/**
 * ws_idle: what N idle, handshaken WebSocket clients cost the gateway. The clients live in a
 * child process (bench/ws-clients.ts); the gateway pings every 2 s so that heartbeats really
 * run during the hold, and a client that misses a pong would be dropped and show up here.
 */
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { connectGateway } from "../src/client/gateway-client.ts";
import type { BrainStatus } from "../src/server/context.ts";
import { progress } from "./cli-runs.ts";
import { freePort, freshBrain, openFilesLimit, readRss, sleep, startGateway, track } from "./procs.ts";
import { round1 } from "./stats.ts";
import type { ConnectedMessage, ReportMessage } from "./ws-clients.ts";

const clientScript = path.join(path.dirname(fileURLToPath(import.meta.url)), "ws-clients.ts");

export interface WsIdleOptions {
  clients: number;
  /** Handshakes in flight at once: enough for speed, few enough not to overflow the accept backlog. */
  concurrency: number;
  pingIntervalMs: number;
  /** Heartbeat rounds to hold through after the last client connected. */
  holdPings: number;
  /** Idle time after ready before the "before" RSS is read. */
  settleMs: number;
}

export interface WsIdleNumbers {
  clients: number;
  connected: number;
  /** Sockets the gateway counts after the hold, not counting the bench's own status connection. */
  gateway_connections: number;
  dropped: number;
  connect_ms: number;
  hold_ms: number;
  ping_interval_ms: number;
  pings_per_client_min: number;
  rss_before_mb: number;
  rss_after_mb: number;
  rss_peak_mb: number;
  /** V8 heap in use (from the status RPC): separates JS objects from buffers and allocator slack. */
  heap_before_mb: number;
  heap_after_mb: number;
  growth_mb: number;
  kb_per_client: number;
  event_loop_p99_ms: number;
  client_process_rss_mb: number;
}

/** Waits for the next IPC message of a type from the client process, or its death. */
function nextMessage<T extends { type: string }>(child: ChildProcess, type: T["type"], timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const done = (fn: () => void) => {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
      fn();
    };
    const onMessage = (msg: T) => msg.type === type && done(() => resolve(msg));
    const onExit = (code: number | null) => done(() => reject(new Error(`client process exited (${code}) before sending ${type}`)));
    const timer = setTimeout(() => done(() => reject(new Error(`client process sent no ${type} within ${timeoutMs} ms`))), timeoutMs);
    child.on("message", onMessage);
    child.on("exit", onExit);
  });
}

/** Asks the gateway for its `status` over one extra connection. */
async function gatewayStatusRpc(url: string): Promise<BrainStatus> {
  const conn = await connectGateway({ url, timeoutMs: 10_000, clientId: "onebrain-bench", mode: "probe" });
  try {
    return await conn.request<BrainStatus>("status", undefined, 10_000);
  } finally {
    conn.ws.terminate();
  }
}

/** Runs the whole ws_idle measurement once; throws when it cannot be made (fd limit, clients failing). */
export async function wsIdle(o: WsIdleOptions): Promise<WsIdleNumbers> {
  const limit = openFilesLimit();
  if (limit < o.clients + 200)
    throw new Error(`the open-files limit is ${limit}, too low for ${o.clients} sockets per process: raise it (ulimit -n ${o.clients + 1000})`);
  const port = await freePort();
  const url = `ws://127.0.0.1:${port}`;
  const gw = await startGateway(freshBrain({ gateway: { ws: { pingIntervalMs: o.pingIntervalMs } } }), port);
  let child: ChildProcess | undefined;
  try {
    await sleep(o.settleMs);
    const before = readRss(gw.proc.pid);
    const heapBefore = (await gatewayStatusRpc(url)).memory.heapUsedBytes;
    progress(`ws_idle: gateway idle RSS ${before.rssMb.toFixed(1)} MiB; opening ${o.clients} clients (${o.concurrency} at a time)`);

    child = fork(clientScript, [url, String(o.clients), String(o.concurrency)], { execArgv: [], stdio: ["ignore", "ignore", "inherit", "ipc"] });
    track(child);
    const connected = await nextMessage<ConnectedMessage>(child, "connected", 120_000);
    progress(
      `ws_idle: ${connected.ok} connected, ${connected.failed} failed in ${connected.connectMs.toFixed(0)} ms${connected.errors.length ? ` (${connected.errors.join("; ")})` : ""}`,
    );
    if (connected.failed > 0) throw new Error(`${connected.failed} of ${o.clients} clients could not connect: ${connected.errors.join("; ")}`);

    const holdMs = o.holdPings * o.pingIntervalMs + Math.round(o.pingIntervalMs / 2);
    progress(`ws_idle: holding ${holdMs} ms (${o.holdPings} ping intervals of ${o.pingIntervalMs} ms)`);
    const tHold = performance.now();
    await sleep(holdMs);
    child.send({ cmd: "report" });
    const report = await nextMessage<ReportMessage>(child, "report", 30_000);
    const after = readRss(gw.proc.pid);
    const status = await gatewayStatusRpc(url);
    const holdActualMs = performance.now() - tHold;
    const gatewayConnections = status.connections - 1;
    progress(
      `ws_idle: gateway counts ${gatewayConnections} clients, ${report.dropped} dropped, pings per client ${report.pingsMin}-${report.pingsMax}, RSS ${after.rssMb.toFixed(1)} MiB`,
    );

    return {
      clients: o.clients,
      connected: report.open,
      gateway_connections: gatewayConnections,
      // A socket that is not open any more (closed, or closing) was dropped, whatever the reason.
      dropped: o.clients - report.open,
      connect_ms: round1(connected.connectMs),
      hold_ms: round1(holdActualMs),
      ping_interval_ms: o.pingIntervalMs,
      pings_per_client_min: report.pingsMin,
      rss_before_mb: round1(before.rssMb),
      rss_after_mb: round1(after.rssMb),
      rss_peak_mb: round1(after.hwmMb),
      heap_before_mb: round1(heapBefore / 1024 / 1024),
      heap_after_mb: round1(status.memory.heapUsedBytes / 1024 / 1024),
      growth_mb: round1(after.rssMb - before.rssMb),
      kb_per_client: round1(((after.rssMb - before.rssMb) * 1024) / o.clients),
      event_loop_p99_ms: status.eventLoop.p99Ms,
      client_process_rss_mb: round1(report.rssMb),
    };
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) {
      const c = child;
      const exited = new Promise((r) => c.once("exit", r));
      if (c.connected) c.send({ cmd: "close" });
      else c.kill("SIGTERM");
      const timer = setTimeout(() => c.kill("SIGKILL"), 5000);
      await exited.finally(() => clearTimeout(timer));
    }
    await gw.stop();
  }
}
