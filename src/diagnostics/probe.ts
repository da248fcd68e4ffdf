/**
 * One RPC probe: connect, handshake, `health` (and `status`), with timings. Never throws. A
 * gateway that refuses protocol 1 as an OpenClaw-family gateway does is probed again in OpenClaw's
 * dialect (./probe-openclaw.ts), so `--url` works against OpenClaw, Clawdbot and Moltbot too.
 */
import { connectGateway, type GatewayConnection } from "../client/gateway-client.ts";
import { isOpenclawRefusal } from "../client/dialect.ts";
import { toOnebrainError } from "../shared/errors.ts";
import { probeOpenclaw, type OpenclawSummary } from "./probe-openclaw.ts";
import type { BrainStatus } from "../server/context.ts";

export interface ProbeResult {
  url: string;
  ok: boolean;
  latencyMs: number;
  /** Who answered: a onebrain gateway (protocol 1) or an OpenClaw-family one (3-4); null when none did. */
  gateway: { kind: "onebrain" | "openclaw"; protocol: number; version: string } | null;
  health: { ok: boolean; ready: boolean; failing: string[]; uptimeMs: number; version: string; instanceId: string } | null;
  status:
    | (Pick<BrainStatus, "pid" | "stateDir" | "profile" | "version" | "instanceId" | "uptimeMs" | "connections" | "model" | "pipeline" | "outboundProxy"> & {
        browser?: BrainStatus["browser"];
        alerts?: BrainStatus["alerts"];
        agents?: BrainStatus["agents"];
      })
    | null;
  /** An OpenClaw-family gateway's own account of itself (only when `gateway.kind` is openclaw). */
  openclaw?: OpenclawSummary;
  error: { code: string; message: string } | null;
}

export interface ProbeOptions {
  url: string;
  token?: string | undefined;
  password?: string | undefined;
  timeoutMs?: number;
  /** Also call `status` (costs one more round trip). */
  withStatus?: boolean;
}

/** Probes a gateway over WebSocket; `ok` only when the handshake worked and health says ready. */
export async function probeGateway(opts: ProbeOptions): Promise<ProbeResult> {
  const t0 = performance.now();
  const timeoutMs = opts.timeoutMs ?? 3000;
  try {
    let conn: GatewayConnection;
    try {
      conn = await connectGateway({ url: opts.url, token: opts.token, password: opts.password, timeoutMs, clientId: "onebrain-probe", mode: "probe" });
    } catch (err) {
      const e = toOnebrainError(err);
      const wire = e.details.wire as Record<string, unknown> | undefined;
      if (!isOpenclawRefusal(e.details.wireCode, e.message, wire)) throw err;
      return await openclawResult(opts, t0, Math.max(500, timeoutMs - (performance.now() - t0)));
    }
    try {
      const health = await conn.request<ProbeResult["health"] & object>("health", undefined, timeoutMs);
      let status: ProbeResult["status"] = null;
      if (opts.withStatus !== false) {
        const s = await conn.request<BrainStatus>("status", undefined, timeoutMs);
        status = {
          pid: s.pid,
          stateDir: s.stateDir,
          profile: s.profile,
          version: s.version,
          instanceId: s.instanceId,
          uptimeMs: s.uptimeMs,
          connections: s.connections,
          model: s.model,
          pipeline: s.pipeline,
          outboundProxy: s.outboundProxy,
          ...(s.browser ? { browser: s.browser } : {}),
          ...(s.alerts ? { alerts: s.alerts } : {}),
          ...(s.agents ? { agents: s.agents } : {}),
        };
      }
      const latencyMs = Math.round((performance.now() - t0) * 10) / 10;
      return {
        url: opts.url,
        ok: health.ok,
        latencyMs,
        gateway: { kind: "onebrain", protocol: conn.hello.protocol, version: conn.hello.server.version },
        health,
        status,
        error: health.ok ? null : { code: "UNHEALTHY", message: `not ready: ${health.failing.join(", ")}` },
      };
    } finally {
      await conn.closeWithin(200);
    }
  } catch (err) {
    const e = toOnebrainError(err);
    return {
      url: opts.url,
      ok: false,
      latencyMs: Math.round((performance.now() - t0) * 10) / 10,
      gateway: null,
      health: null,
      status: null,
      error: { code: e.code, message: e.message },
    };
  }
}

/** The probe of an OpenClaw-family gateway, in the shape of onebrain's. */
async function openclawResult(opts: ProbeOptions, t0: number, timeoutMs: number): Promise<ProbeResult> {
  const r = await probeOpenclaw({ url: opts.url, token: opts.token, password: opts.password, timeoutMs, withStatus: opts.withStatus !== false });
  const s = r.summary;
  return {
    url: opts.url,
    ok: r.ok,
    latencyMs: Math.round((performance.now() - t0) * 10) / 10,
    gateway: { kind: "openclaw", protocol: s.protocol, version: s.version },
    health: { ok: r.ok, ready: r.ok, failing: r.failing, uptimeMs: s.uptimeMs ?? 0, version: s.version, instanceId: "" },
    status: null,
    openclaw: s,
    error: r.ok ? null : { code: "UNHEALTHY", message: `not ready: ${r.failing.join(", ")}` },
  };
}
