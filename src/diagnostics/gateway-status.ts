/**
 * `gateway status`: what is configured, who holds the lock, who listens on the port, and what
 * an RPC probe says, with every disagreement spelled out. Strictly read-only: it never opens the
 * lock file, never writes, never starts anything.
 */
import { describeSource, effectiveGateway, publicSources, type GatewaySources } from "../config/effective.ts";
import { loadBrainConfig } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import { identifyGateway, type GatewayIdentity } from "../lock/identify.ts";
import type { OwnerSource } from "../lock/owner.ts";
import { inspectLock, type LockState } from "../lock/inspect.ts";
import type { BrainPaths, Env } from "../paths/paths.ts";
import { portPlan, type PortPlan } from "../paths/ports.ts";
import { findListeners } from "../proc/listeners.ts";
import { snapshotProcFs } from "../proc/process.ts";
import { maskSecret } from "../shared/redact.ts";
import { OnebrainError, toOnebrainError } from "../shared/errors.ts";
import { resolveAuth } from "../server/auth.ts";
import { planBind } from "../server/bind.ts";
import { probeGateway, type ProbeResult } from "./probe.ts";
import { otherBrains, type OtherBrains } from "./other-brains.ts";

export interface ListenerReport {
  address: string;
  pid: number | null;
  user: string | null;
  command: string | null;
  /** Set when the listener is a onebrain gateway. */
  gatewayStateDir: string | null;
  isThisBrain: boolean;
}

export interface GatewayStatusReport {
  configured: {
    stateDir: string;
    stateDirSource: string;
    configPath: string;
    configExists: boolean;
    configError: { code: string; message: string } | null;
    profile: string | null;
    ports: PortPlan | null;
    bind: { mode: string; hosts: string[] } | null;
    auth: { mode: string; token: string | null; tokenSource: string | null; passwordSource: string | null } | null;
  };
  /**
   * Which source won for port, bind and auth (flag, env, file, profile, default): the running
   * gateway's own record when one holds the brain, else what a gateway started now would use.
   */
  sources: { of: "running" | "configured"; port: OwnerSource; bind: OwnerSource; auth: OwnerSource } | null;
  lock: LockState;
  /** Set while the running gateway's config file is missing, unreadable or invalid (it runs on the last good config). */
  configProblem: NonNullable<LockState["owner"]>["configProblem"] | null;
  /** The port plan of the gateway that holds the lock (it may run on another --port); null when none runs. */
  livePorts: PortPlan | null;
  listeners: ListenerReport[];
  rpc: ProbeResult | null;
  /** running: healthy and consistent; stopped: nothing holds it; degraded/conflict: read `problems`. */
  verdict: "running" | "stopped" | "degraded" | "conflict";
  /** Disagreements that matter, in plain words; they decide the verdict. */
  problems: string[];
  /** Facts worth knowing that are not problems (a leftover record, a port given on the command line). */
  notes: string[];
  /** Other brains running on this host (from a light /proc scan); `doctor` checks them. */
  otherBrains: OtherBrains;
}

export interface StatusOptions {
  paths: BrainPaths;
  env?: Env;
  portFlag?: number | string | undefined;
  /** Skip the RPC probe (e.g. for a pure offline look). */
  probe?: boolean;
  timeoutMs?: number;
}

function who(l: ListenerReport): string {
  if (l.pid === null) return "an unidentified process";
  const cmd = l.command ? (l.command.length > 50 ? `${l.command.slice(0, 47)}...` : l.command) : "?";
  return l.gatewayStateDir ? `pid ${l.pid} (onebrain gateway of ${l.gatewayStateDir})` : `pid ${l.pid} (${cmd})`;
}

/** Gathers the whole status of a brain. */
export async function gatewayStatus(opts: StatusOptions): Promise<GatewayStatusReport> {
  const env = opts.env ?? process.env;
  const { paths } = opts;
  // One look at the host: the lock, the listeners and the other brains read each kernel table once.
  const procFs = snapshotProcFs();
  const problems: string[] = [];
  const notes: string[] = [];
  /** Set when two different processes claim this brain's lock or port: a split brain in the making. */
  let conflict = false;
  let config: Readonly<Config> | null = null;
  let raw: unknown;
  let configExists = false;
  let configError: GatewayStatusReport["configured"]["configError"] = null;
  try {
    const loaded = loadBrainConfig(paths);
    config = loaded.config;
    raw = loaded.raw;
    configExists = loaded.exists;
  } catch (err) {
    const e = toOnebrainError(err);
    configError = { code: e.code, message: e.message };
    configExists = e.code !== "CONFIG_UNREADABLE" && e.code !== "CONFIG_MISSING";
    problems.push(`the config file is broken (${e.code}): a gateway started now would refuse to run`);
  }

  let ports: PortPlan | null = null;
  let bind: GatewayStatusReport["configured"]["bind"] = null;
  let auth: ReturnType<typeof resolveAuth> | null = null;
  if (config) {
    ports = portPlan({
      flag: opts.portFlag,
      env,
      configPort: config.gateway.port,
      profile: paths.profile,
      browserControlPort: config.browser.controlPort,
      canvasPort: config.canvasHost.port,
    });
    try {
      const b = planBind(config.gateway);
      bind = { mode: b.mode, hosts: [...b.hosts, ...b.optionalHosts] };
    } catch (err) {
      bind = { mode: config.gateway.bind, hosts: [] };
      problems.push((err as Error).message);
    }
    auth = resolveAuth(config.gateway.auth, env);
  }

  const lock = inspectLock(paths.lockPath, paths.ownerPath, procFs);
  for (const n of lock.notes) (lock.status === "free" ? notes : problems).push(n);

  // The port the running owner really uses may differ from config (started with --port), so it
  // is the one inspected, unless the caller named a port with --port: then that one is.
  const owner = lock.ownerIsHolder ? lock.owner : null;
  const port = opts.portFlag !== undefined && ports ? ports.base : (owner?.port ?? ports?.base ?? null);
  const livePorts =
    owner && config ? portPlan({ flag: owner.port, env, browserControlPort: config.browser.controlPort, canvasPort: config.canvasHost.port }) : null;
  let configured: GatewaySources | null = null;
  try {
    configured = config ? publicSources(effectiveGateway(config, raw, { env, profile: paths.profile, flags: { port: opts.portFlag } })) : null;
  } catch (err) {
    problems.push((err as Error).message); // ONEBRAIN_GATEWAY_PORT that is not a port
  }
  const running = owner?.sources ?? null;
  const sources: GatewayStatusReport["sources"] = running ? { of: "running", ...running } : configured ? { of: "configured", ...configured } : null;
  if (running && configured) {
    // (A port that differs already has its own note below.)
    for (const k of ["bind", "auth"] as const) {
      const r = running[k];
      const c = configured[k];
      if (r.value !== c.value)
        notes.push(
          `the running gateway's ${k} is ${r.value} (from ${describeSource(r, paths.configPath)}); a gateway started now would use ${c.value} (from ${describeSource(c, paths.configPath)})`,
        );
    }
  }
  // The running gateway keeps its last good config when the file went bad; say so first.
  const configProblem = owner?.configProblem ?? null;
  if (configProblem) problems.push(`${configProblem.summary} (${configProblem.code}); fix or restore ${paths.configPath}`);
  if (owner && ports && owner.port !== ports.base)
    notes.push(
      `the running gateway listens on port ${owner.port}, but this CLI resolves port ${ports.base} (it was started with another --port, env or config)`,
    );

  // The lock holder is the likely listener: its fds are read first. A gateway listens on
  // 127.0.0.1 and ::1, so each pid is identified once.
  const identified = new Map<number, GatewayIdentity | null>();
  const identify = (pid: number) => {
    if (!identified.has(pid)) identified.set(pid, identifyGateway(pid, procFs));
    return identified.get(pid) ?? null;
  };
  const listeners: ListenerReport[] =
    port === null
      ? []
      : findListeners([port], procFs, lock.holderPid !== null ? [lock.holderPid] : []).map((l) => {
          const gw = l.process ? identify(l.process.pid) : null;
          return {
            address: l.address,
            pid: l.process?.pid ?? null,
            user: l.process?.user ?? null,
            command: l.process?.command ?? null,
            gatewayStateDir: gw?.stateDir ?? null,
            isThisBrain: gw !== null && gw.stateDir === paths.stateDir,
          };
        });

  for (const l of listeners) {
    if (l.pid !== null && ((lock.status === "held" && l.pid !== lock.holderPid) || lock.status === "free")) {
      conflict = true;
      problems.push(
        lock.status === "held"
          ? `the lock is held by pid ${lock.holderPid} but port ${port} is held by ${who(l)}`
          : `no gateway holds this brain, but port ${port} is held by ${who(l)}`,
      );
    }
  }
  if (lock.status === "held" && port !== null && listeners.length === 0)
    problems.push(`pid ${lock.holderPid} holds the brain but nothing listens on port ${port} (still starting, or stuck)`);

  let rpc: ProbeResult | null = null;
  if (opts.probe !== false && port !== null && (lock.status !== "free" || listeners.length > 0)) {
    const host =
      owner?.bindHosts.find((h) => h !== "0.0.0.0" && h !== "::") ??
      (bind?.mode === "loopback" || bind?.mode === "lan" ? "127.0.0.1" : (bind?.hosts[0] ?? "127.0.0.1"));
    rpc = await probeGateway({
      url: `ws://${host.includes(":") ? `[${host}]` : host}:${port}`,
      token: auth?.token,
      password: auth?.password,
      timeoutMs: opts.timeoutMs ?? 1500,
    });
    if (!rpc.ok) problems.push(`the RPC probe failed: ${rpc.error?.message ?? "unhealthy"}`);
    else if (rpc.status && rpc.status.stateDir !== paths.stateDir) {
      conflict = true;
      problems.push(`port ${port} answers as the brain of ${rpc.status.stateDir}, not ${paths.stateDir}`);
    }
  }

  const verdict: GatewayStatusReport["verdict"] = conflict
    ? "conflict"
    : lock.status === "held" && rpc?.ok && problems.length === 0
      ? "running"
      : lock.status === "free" && listeners.length === 0 && problems.length === (configError ? 1 : 0)
        ? "stopped"
        : "degraded";

  return {
    configured: {
      stateDir: paths.stateDir,
      stateDirSource: paths.stateDirSource,
      configPath: paths.configPath,
      configExists,
      configError,
      profile: paths.profile ?? null,
      ports,
      bind,
      auth: auth ? { mode: auth.mode, token: maskSecret(auth.token), tokenSource: auth.tokenSource, passwordSource: auth.passwordSource } : null,
    },
    sources,
    lock,
    configProblem,
    livePorts,
    listeners,
    rpc,
    verdict,
    problems,
    notes,
    otherBrains: otherBrains(paths.stateDir, procFs),
  };
}

export { OnebrainError };
