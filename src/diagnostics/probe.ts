/** One RPC probe: connect, handshake, `health` (and `status`), with timings. Never throws. */
import { connectGateway } from "../client/gateway-client.ts";
import { toOnebrainError } from "../shared/errors.ts";
import type { BrainStatus } from "../server/context.ts";

export interface ProbeResult {
  url: string;
  ok: boolean;
  latencyMs: number;
  health: { ok: boolean; ready: boolean; failing: string[]; uptimeMs: number; version: string; instanceId: string } | null;
  status:
    | (Pick<BrainStatus, "pid" | "stateDir" | "profile" | "version" | "instanceId" | "uptimeMs" | "connections" | "model" | "pipeline" | "outboundProxy"> & {
        browser?: BrainStatus["browser"];
        alerts?: BrainStatus["alerts"];
        agents?: BrainStatus["agents"];
      })
    | null;
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
    const conn = await connectGateway({ url: opts.url, token: opts.token, password: opts.password, timeoutMs, clientId: "onebrain-probe", mode: "probe" });
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
      health: null,
      status: null,
      error: { code: e.code, message: e.message },
    };
  }
}
