/**
 * `gateway start` and `gateway stop` as decisions over facts. What the brain looks like (lock,
 * port, readiness) and how to act on it (systemctl, a signal) come in as parameters, so the rules
 * read in one place: start is idempotent and never fights another brain for its port; stop ends
 * only this brain's gateway and then proves the port is free.
 */
import { errorCatalog, OnebrainError, type ErrorCode } from "../shared/errors.ts";
import type { ForegroundCommand } from "./install.ts";
import type { ServiceScope } from "./unit.ts";
import type { UnitState } from "./systemd.ts";

/** Another process on this brain's port. */
export interface PortHolder {
  address: string;
  pid: number | null;
  user: string | null;
  command: string | null;
  /** Set when it is a onebrain gateway: the state dir of the brain it holds. */
  stateDir: string | null;
}

/** What this brain looks like right now. */
export interface BrainView {
  stateDir: string;
  /** Who runs this command (or the service user whose brain this is). */
  user: string;
  /** The port to check: the running gateway's, else the configured one. */
  port: number;
  /** The gateway holding this brain's lock (its owner record agrees), with its readiness. */
  gateway: { pid: number; user: string | null; port: number; ready: boolean; failing: string[] } | null;
  /** A process holding the lock that is not a running gateway (a restore, or a gateway before its record). */
  otherLockHolder: { pid: number | null; user: string | null; command: string | null } | null;
  /** Listeners on `port` that are not this brain's gateway. */
  portHolders: PortHolder[];
}

export interface ServiceOps {
  scope: ServiceScope;
  unit: string;
  /** Whether systemd can manage this scope here, and why not. */
  systemd: { running: boolean; reason: string | null };
  unitInstalled: boolean;
  /** The brain now; `port` overrides which port's listeners are looked at (the one a stopped gateway used). */
  view(port?: number): Promise<BrainView>;
  state(): Promise<UnitState>;
  systemctl(args: string[], timeoutMs: number): Promise<void>;
  /** SIGTERM, wait up to `graceMs`, then SIGKILL; rejects with EPERM for another user's process. */
  terminate(pid: number, graceMs: number): Promise<void>;
  foreground: ForegroundCommand;
  /** The unit's TimeoutStopSec, in ms: the bound of a stop. */
  stopTimeoutMs: number;
  startTimeoutMs: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface StartResult {
  outcome: "already-running" | "started";
  pid: number;
  port: number;
  managedBy: "systemd" | "none";
  unit: string;
  elapsedMs: number;
}

export interface StopResult {
  outcome: "stopped" | "not-running";
  /** The gateway that was stopped, and how. */
  stopped: { pid: number | null; via: "systemd" | "signal" } | null;
  port: number;
  portFree: true;
  unit: string;
}

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const ACTIVE = new Set(["active", "activating", "reloading", "deactivating"]);

/** `pid 41 (user ada)`, `an unidentified process`, or the brain it holds. */
export function describePortHolder(h: PortHolder): string {
  if (h.pid === null) return "a process this user cannot see (another user's?)";
  const who = `pid ${h.pid}, user ${h.user ?? "?"}`;
  return h.stateDir ? `the onebrain gateway of ${h.stateDir} (${who})` : `${who}: ${h.command ?? "?"}`;
}

function thisBrain(v: BrainView): string {
  return `this brain (${v.stateDir}, user ${v.user})`;
}

function portInUse(v: BrainView, what: string): OnebrainError {
  const holders = v.portHolders.map(describePortHolder).join("; ");
  return new OnebrainError("PORT_IN_USE", `${what}: port ${v.port} is held by ${holders}, not by ${thisBrain(v)}`, {
    hint: "Stop that one first, or give this brain another port (`onebrain config set gateway.port N`) or a profile of its own.",
    details: { port: v.port, stateDir: v.stateDir, user: v.user, holders: v.portHolders },
  });
}

/** The code an exit status stands for, for messages: `20 (CONFIG_INVALID)`. */
export function exitStatusName(status: number): string {
  const code = (Object.keys(errorCatalog) as ErrorCode[]).find((c) => errorCatalog[c].exitCode === status);
  return code ? `${status} (${code})` : String(status);
}

/** The error for a host where systemd cannot do what was asked. */
export function unavailable(ops: Pick<ServiceOps, "systemd" | "foreground">, action: string): OnebrainError {
  return new OnebrainError("SERVICE_UNAVAILABLE", `Cannot ${action}: ${ops.systemd.reason ?? "systemd is not available"}`, {
    hint: `Run the gateway in the foreground instead (in a container: as its entry point): ${ops.foreground.text}`,
    details: { foreground: ops.foreground },
  });
}

async function waitHealthy(ops: ServiceOps, deadline: number): Promise<BrainView> {
  const sleep = ops.sleep ?? pause;
  let v = await ops.view();
  while (!v.gateway?.ready && Date.now() < deadline) {
    await sleep(100);
    v = await ops.view();
  }
  return v;
}

async function failedStart(ops: ServiceOps, why: string): Promise<OnebrainError> {
  let state: UnitState | null = null;
  try {
    state = await ops.state();
  } catch {
    // the state is a detail; the failure is the news
  }
  const exited = state && state.execMainStatus ? `; the gateway last exited with ${exitStatusName(state.execMainStatus)}` : "";
  const st = state ? ` (unit ${state.activeState}/${state.subState}, result ${state.result}${exited})` : "";
  return new OnebrainError("SERVICE_FAILED", `${ops.unit} did not become healthy: ${why}${st}`, {
    hint: `See \`journalctl ${ops.scope === "user" ? "--user " : ""}-u ${ops.unit} -n 50 --no-pager\` and \`onebrain gateway status\`.`,
    details: { unit: ops.unit, state },
  });
}

/** Starts this brain's service, or says it already runs; never starts a second gateway or fights for a port. */
export async function startService(ops: ServiceOps): Promise<StartResult> {
  const t0 = Date.now();
  let v = await ops.view();
  const result = async (view: BrainView, outcome: StartResult["outcome"]): Promise<StartResult> => {
    const gw = view.gateway!;
    let managedBy: StartResult["managedBy"] = "none";
    if (ops.systemd.running && ops.unitInstalled) {
      const s = await ops.state().catch(() => null);
      if (s && s.mainPid === gw.pid) managedBy = "systemd";
    }
    return { outcome, pid: gw.pid, port: gw.port, managedBy, unit: ops.unit, elapsedMs: Date.now() - t0 };
  };
  if (v.gateway?.ready) return result(v, "already-running");
  if (!v.gateway && v.otherLockHolder) {
    throw new OnebrainError(
      "GATEWAY_LOCK_HELD",
      `Refusing to start: ${thisBrain(v)} is held by pid ${v.otherLockHolder.pid ?? "?"} (user ${v.otherLockHolder.user ?? "?"}), which is not a running gateway`,
      {
        hint: "Wait for it to finish (a restore holds the brain while it runs); see `onebrain gateway status`.",
      },
    );
  }
  if (!v.gateway && v.portHolders.length) throw portInUse(v, "Refusing to start");

  const unitActive = ops.systemd.running && ops.unitInstalled ? ACTIVE.has((await ops.state()).activeState) : false;
  if (v.gateway && !unitActive) {
    throw new OnebrainError(
      "UNHEALTHY",
      `This brain's gateway (pid ${v.gateway.pid}, port ${v.gateway.port}) is running but not ready: ${v.gateway.failing.join(", ") || "starting"}`,
      {
        hint: "Look with `onebrain gateway status`; `onebrain gateway restart` replaces it.",
        details: { pid: v.gateway.pid, failing: v.gateway.failing },
      },
    );
  }
  if (!v.gateway) {
    if (!ops.systemd.running) throw unavailable(ops, "start the gateway as a service");
    if (!ops.unitInstalled) {
      throw new OnebrainError("SERVICE_NOT_INSTALLED", `No ${ops.scope} unit ${ops.unit}.service is installed for this brain`, {
        hint: `Install it with \`onebrain gateway install${ops.scope === "system" ? " --system --user NAME" : ""}\`, or run it in the foreground: ${ops.foreground.text}`,
      });
    }
    try {
      // Type=notify: this returns once the gateway has sent READY=1, or fails when it exits first.
      await ops.systemctl(["start", `${ops.unit}.service`], ops.startTimeoutMs);
    } catch (err) {
      throw await failedStart(ops, (err as Error).message);
    }
  }
  v = await waitHealthy(ops, Date.now() + Math.min(ops.startTimeoutMs, 15_000));
  if (!v.gateway?.ready) {
    if (!v.gateway && v.portHolders.length) throw portInUse(v, `${ops.unit} could not start`);
    throw await failedStart(ops, v.gateway ? `not ready: ${v.gateway.failing.join(", ")}` : "no gateway holds the brain");
  }
  return result(v, "started");
}

/** Stops this brain's gateway (through systemd when the unit runs, else with SIGTERM) and proves the port is free. */
export async function stopService(ops: ServiceOps): Promise<StopResult> {
  const before = await ops.view();
  const port = before.gateway?.port ?? before.port;
  let stopped: StopResult["stopped"] = null;
  if (ops.systemd.running && ops.unitInstalled && ACTIVE.has((await ops.state()).activeState)) {
    await ops.systemctl(["stop", `${ops.unit}.service`], ops.stopTimeoutMs + 5_000);
    stopped = { pid: before.gateway?.pid ?? null, via: "systemd" };
  }
  let v = await ops.view();
  if (v.gateway) {
    // Not (or no longer) the unit's process: a gateway run in the foreground, or with systemd absent.
    const { pid } = v.gateway;
    try {
      await ops.terminate(pid, ops.stopTimeoutMs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EPERM") throw err;
      throw new OnebrainError("SERVICE_PERMISSION", `Cannot stop pid ${pid}: it runs as user ${v.gateway.user ?? "?"}, and this user may not signal it`, {
        hint: ops.scope === "user" ? "Run the stop as that user, or use --system if it runs from the system unit." : "Run it as root.",
      });
    }
    stopped = { pid, via: "signal" };
    v = await ops.view();
  } else if (v.otherLockHolder) {
    throw new OnebrainError(
      "GATEWAY_LOCK_HELD",
      `Not stopping pid ${v.otherLockHolder.pid ?? "?"}: it holds ${thisBrain(v)} but is not a running gateway (a restore?)`,
      {
        hint: "Let it finish; see `onebrain gateway status`.",
      },
    );
  }
  if (v.gateway)
    throw new OnebrainError("SERVICE_FAILED", `This brain's gateway is still running (pid ${v.gateway.pid}) after the stop`, {
      hint: "See `onebrain gateway status`.",
    });
  const after = await ops.view(port);
  if (after.portHolders.length)
    throw portInUse(
      after,
      stopped ? "Stopped this brain's gateway, but the port is not free" : "This brain's gateway is not running, but the port is not free",
    );
  return { outcome: stopped ? "stopped" : "not-running", stopped, port, portFree: true, unit: ops.unit };
}
