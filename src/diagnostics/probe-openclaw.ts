/**
 * The probe of an OpenClaw-family gateway (OpenClaw, Clawdbot, Moltbot), for `gateway probe --url`
 * and `status --url` when the gateway refused onebrain's protocol 1. It connects as OpenClaw's own
 * CLI does and reads `health` (answered with no scope) and, for status, `status` (operator.read,
 * which OpenClaw grants a device-less `cli` connection only from loopback).
 */
import { connectGateway, type GatewayConnection } from "../client/gateway-client.ts";
import { toOnebrainError } from "../shared/errors.ts";

/** What an OpenClaw gateway says of itself, in onebrain's words. */
export interface OpenclawSummary {
  version: string;
  protocol: number;
  uptimeMs: number | null;
  /** The scopes the gateway granted this connection ([] for a probe, as OpenClaw does). */
  scopes: string[];
  channels: Array<{ channel: string; account: string; state: string; error: string | null }>;
  agents: Array<{ id: string; default: boolean; sessions: number | null }>;
  sessions: number | null;
  /** From `status`, when it answered. */
  pid: number | null;
  rssBytes: number | null;
  /** Why `status` did not answer (a missing scope), when it was asked and did not. */
  statusError: string | null;
}

export interface OpenclawProbe {
  ok: boolean;
  failing: string[];
  summary: OpenclawSummary;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {});
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
/** A string the gateway sent, bounded (a hostile gateway's megabyte-long name stays out of the JSON too). */
const str = (v: unknown, max = 200): string | null => (typeof v === "string" ? v.slice(0, max) : null);

/** One channel account's state in a word: OpenClaw reports running/connected/lifecycle/lastError. */
function channelState(a: Obj): string {
  if (a.enabled === false) return "disabled";
  if (a.configured === false) return "not configured";
  if (typeof a.lastError === "string" && a.lastError) return "failed";
  if (a.connected === true) return "connected";
  if (a.running === true) return str(a.lifecycle) ?? "running";
  return "stopped";
}

/** Channels of a `health` payload: `channels.<id>.accounts.<account>`, else the channel itself. */
function channelsOf(health: Obj): OpenclawSummary["channels"] {
  const out: OpenclawSummary["channels"] = [];
  for (const [channel, v] of Object.entries(obj(health.channels)).slice(0, 50)) {
    const accounts = Object.entries(obj(obj(v).accounts));
    const list: Array<[string, unknown]> = accounts.length ? accounts : [[str(obj(v).accountId) ?? "default", v]];
    for (const [account, a] of list.slice(0, 20))
      out.push({ channel, account, state: channelState(obj(a)), error: str(obj(a).lastError)?.slice(0, 300) ?? null });
  }
  return out;
}

/** The parts a `health` payload says are degraded. */
function failingOf(health: Obj): string[] {
  const out: string[] = [];
  if (health.ok !== true) out.push("health");
  if (obj(health.eventLoop).degraded === true) out.push("event loop");
  if (obj(health.modelRuntime).degraded === true) out.push("model runtime");
  if (Array.isArray(obj(health.plugins).errors) && (obj(health.plugins).errors as unknown[]).length) out.push("plugins");
  return out;
}

/** Reads health (and status) over a connection opened in OpenClaw's dialect. */
async function read(conn: GatewayConnection, withStatus: boolean, timeoutMs: number): Promise<OpenclawProbe> {
  const hello = obj(conn.hello);
  const health = obj(await conn.request("health", undefined, timeoutMs));
  let status: Obj = {};
  let statusError: string | null = null;
  if (withStatus)
    try {
      status = obj(await conn.request("status", undefined, timeoutMs));
    } catch (err) {
      statusError = toOnebrainError(err).message.slice(0, 200);
    }
  const sessions = obj(status.sessions ?? health.sessions);
  const agents = (Array.isArray(health.agents) ? health.agents : []).slice(0, 50).map((a) => ({
    id: str(obj(a).agentId) ?? "?",
    default: obj(a).isDefault === true,
    sessions: num(obj(obj(a).sessions).count),
  }));
  const failing = failingOf(health);
  return {
    ok: health.ok === true,
    failing,
    summary: {
      version: str(obj(hello.server).version) ?? "unknown",
      protocol: num(hello.protocol) ?? 0,
      uptimeMs: num(obj(hello.snapshot).uptimeMs),
      scopes: (Array.isArray(obj(hello.auth).scopes) ? (obj(hello.auth).scopes as unknown[]) : [])
        .slice(0, 20)
        .filter((s): s is string => typeof s === "string")
        .map((s) => s.slice(0, 100)),
      channels: channelsOf(health),
      agents,
      sessions: num(sessions.count),
      pid: num(status.pid),
      rssBytes: num(obj(status.processMemory).rssBytes),
      statusError,
    },
  };
}

/**
 * Probes an OpenClaw-family gateway. A probe connects as OpenClaw's `cli`/`probe` (3-4, for
 * Clawdbot too); a status as `cli`/`cli` asking operator.read. Throws OnebrainError on refusal.
 */
export async function probeOpenclaw(o: {
  url: string;
  token?: string | undefined;
  password?: string | undefined;
  timeoutMs: number;
  withStatus: boolean;
}): Promise<OpenclawProbe> {
  const deadline = performance.now() + o.timeoutMs;
  // OpenClaw answers UNAVAILABLE with retryAfterMs while its sidecars start: wait as told, within the budget.
  const open = async (mode: "cli" | "probe"): Promise<GatewayConnection> => {
    for (;;) {
      const left = deadline - performance.now();
      try {
        return await connectGateway({
          url: o.url,
          token: o.token,
          password: o.password,
          timeoutMs: Math.max(200, left),
          dialect: "openclaw",
          mode,
          scopes: ["operator.read"],
        });
      } catch (err) {
        const e = toOnebrainError(err);
        const wait = Number(e.details.retryAfterMs);
        if (e.details.wireCode !== "UNAVAILABLE" || !(wait > 0) || performance.now() + wait + 200 > deadline) throw err;
        await new Promise((r) => setTimeout(r, Math.min(wait, 5000)));
      }
    }
  };
  let conn: GatewayConnection;
  let statusError: string | null = null;
  try {
    conn = await open(o.withStatus ? "cli" : "probe");
  } catch (err) {
    // Only probes may speak 3: a gateway of protocol 3 (Clawdbot) refuses a `cli` connection.
    if (!o.withStatus || toOnebrainError(err).code !== "PROTOCOL_ERROR") throw err;
    conn = await open("probe");
    statusError = "this gateway speaks protocol 3 only: status needs 4";
  }
  try {
    const r = await read(conn, o.withStatus && statusError === null, o.timeoutMs);
    if (statusError) r.summary.statusError = statusError;
    return r;
  } finally {
    await conn.closeWithin(200);
  }
}
