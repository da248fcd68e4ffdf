/**
 * Shared by `gateway install|uninstall|start|stop|restart`: which unit and which brain a command
 * is about, what that brain looks like (lock, port, /readyz), and the operations the service
 * lifecycle (src/service/lifecycle.ts) runs on it.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { gatewayStatus } from "../../diagnostics/gateway-status.ts";
import { resolvePaths, serviceName, type BrainPaths, type Env } from "../../paths/paths.ts";
import { loadBrainConfig } from "../../config/load.ts";
import { foregroundCommand, lookupUser, programName, type ForegroundCommand, type ServiceUser } from "../../service/install.ts";
import type { BrainView, ServiceOps } from "../../service/lifecycle.ts";
import { realHost, systemctlOk, systemdAvailability, unitDir, unitState, type SystemdAvailability, type SystemdHost } from "../../service/systemd.ts";
import { parseUnit, timeoutStopSec, TIMEOUT_START_SEC, type ServiceScope } from "../../service/unit.ts";
import { OnebrainError } from "../../shared/errors.ts";
import type { GlobalOptions } from "../brain.ts";
import { terminate } from "./force.ts";

export interface ServiceFlags {
  system?: boolean;
  user?: string;
  json?: boolean;
}

/** The brain a service runs: its paths, the environment it sees, and whose it is. */
export interface ServiceBrain {
  paths: BrainPaths;
  env: Env;
  user: string;
  home: string;
}

export interface ServiceContext {
  scope: ServiceScope;
  name: string;
  host: SystemdHost;
  unitPath: string;
  /** The installed unit's text, or null. */
  unitText: string | null;
  brain: ServiceBrain;
  systemd: SystemdAvailability;
  foreground: ForegroundCommand;
  /** Set for --system: the service user from --user or the unit's User=. */
  serviceUser: ServiceUser | null;
}

const BRAIN_VARS = ["ONEBRAIN_STATE_DIR", "ONEBRAIN_CONFIG_PATH", "ONEBRAIN_PROFILE", "ONEBRAIN_GATEWAY_PORT"] as const;

/** The binary this CLI runs from (bin/onebrain.js), for units and foreground commands. */
export function binPath(): string {
  return fs.realpathSync(process.argv[1] ?? "onebrain");
}

/** Checks --system/--user and looks the service user up. */
export function serviceUserFrom(flags: ServiceFlags): ServiceUser | null {
  if (flags.user && !flags.system) {
    throw new OnebrainError("USAGE", "--user NAME goes with --system: a user unit always runs as the user who installs it", {
      hint: "Use `--system --user NAME` for a system unit that runs as NAME.",
    });
  }
  if (!flags.system) return null;
  if (!flags.user)
    throw new OnebrainError("USAGE", "--system needs --user NAME: the system unit runs as a dedicated service user", {
      hint: "Create one with `useradd --system --create-home --home-dir /var/lib/onebrain --shell /usr/sbin/nologin onebrain`.",
    });
  const user = lookupUser(flags.user);
  if (!user) {
    throw new OnebrainError("USAGE", `No user ${JSON.stringify(flags.user)} on this machine`, {
      hint: `Create it first: \`useradd --system --create-home --home-dir /var/lib/onebrain --shell /usr/sbin/nologin ${flags.user}\`.`,
    });
  }
  if (user.uid === 0) {
    throw new OnebrainError("USAGE", "Refusing to run the gateway as root: a system unit runs as a dedicated, unprivileged user", {
      hint: "Create one with `useradd --system --create-home --home-dir /var/lib/onebrain --shell /usr/sbin/nologin onebrain` and pass `--user onebrain`.",
    });
  }
  return user;
}

/** Which unit and which brain: the installed unit says which brain it runs (unless `brainFromUnit: false`, as for install); without one, the flags and environment do. */
export function serviceContext(global: GlobalOptions, flags: ServiceFlags, opts: { brainFromUnit?: boolean } = {}): ServiceContext {
  const scope: ServiceScope = flags.system ? "system" : "user";
  const me = os.userInfo();
  const myHome = process.env.HOME || me.homedir;
  const host = realHost(myHome);
  // Without an installed unit, `--system --user NAME` names the brain (NAME's home); plain --system: this user's.
  const flagUser = flags.user || !flags.system ? serviceUserFrom(flags) : null;
  // The unit name needs the profile, which the flags give (a unit's own profile matches its name).
  const profile = resolvePaths({ profile: global.profile }).profile;
  const name = serviceName(profile);
  const unitPath = path.join(unitDir(scope, host), `${name}.service`);
  let unitText: string | null = null;
  try {
    unitText = fs.readFileSync(unitPath, "utf8");
  } catch {
    unitText = null;
  }
  let brain: ServiceBrain;
  let serviceUser: ServiceUser | null = null;
  if (unitText !== null && opts.brainFromUnit !== false) {
    const u = parseUnit(unitText);
    const home = u.env.HOME ?? myHome;
    const env: Record<string, string | undefined> = { ...process.env };
    for (const k of BRAIN_VARS) delete env[k];
    Object.assign(env, u.env);
    brain = { paths: resolvePaths({ profile: u.profile, env, home }), env, user: u.user ?? me.username, home };
    serviceUser = u.user ? lookupUser(u.user) : null;
  } else {
    const home = flagUser?.home ?? myHome;
    brain = { paths: resolvePaths({ profile: global.profile, home }), env: process.env, user: flagUser?.name ?? me.username, home };
    serviceUser = flagUser;
  }
  const fgEnv: Record<string, string | undefined> = {};
  for (const k of ["ONEBRAIN_STATE_DIR", "ONEBRAIN_CONFIG_PATH", "ONEBRAIN_GATEWAY_PORT"] as const) fgEnv[k] = brain.env[k];
  const foreground = foregroundCommand({ program: programName(binPath()), profile: brain.paths.profile, env: fgEnv });
  return { scope, name, host, unitPath, unitText, brain, systemd: systemdAvailability(scope, host), foreground, serviceUser };
}

async function readyz(host: string, port: number): Promise<{ ready: boolean; failing: string[] }> {
  try {
    const res = await fetch(`http://${host.includes(":") ? `[${host}]` : host}:${port}/readyz`, { signal: AbortSignal.timeout(1500) });
    const body = (await res.json().catch(() => ({}))) as { failing?: string[] };
    return { ready: res.status === 200, failing: res.status === 200 ? [] : (body.failing ?? [`http ${res.status}`]) };
  } catch (err) {
    return { ready: false, failing: [`readyz: ${(err as Error).message}`] };
  }
}

/** This brain now: who holds its lock (and whether that gateway is ready), and who else is on its port. Read-only. */
export async function brainView(brain: ServiceBrain, port?: number): Promise<BrainView> {
  const r = await gatewayStatus({ paths: brain.paths, env: brain.env, probe: false, portFlag: port });
  const lock = r.lock;
  const owner = lock.ownerIsHolder ? lock.owner : null;
  let gateway: BrainView["gateway"] = null;
  if (lock.status === "held" && owner && owner.port > 0) {
    const host = owner.bindHosts.find((h) => h !== "0.0.0.0" && h !== "::") ?? "127.0.0.1";
    gateway = {
      pid: owner.pid,
      user: owner.user,
      port: owner.port,
      ...(owner.phase === "running" ? await readyz(host, owner.port) : { ready: false, failing: [owner.phase] }),
    };
  } else if (lock.status === "held" && lock.holder?.argv.includes("gateway")) {
    // Holds the lock but has not written its record yet: a gateway in its first milliseconds.
    gateway = { pid: lock.holderPid!, user: lock.holder.user, port: r.configured.ports?.base ?? 0, ready: false, failing: ["starting"] };
  }
  const checked = port ?? gateway?.port ?? r.configured.ports?.base ?? 0;
  const portHolders: BrainView["portHolders"] = [];
  for (const l of r.listeners) {
    if (gateway && (l.pid === gateway.pid || (l.pid === null && gateway.port === checked))) continue;
    // One process usually listens on 127.0.0.1 and ::1: name it once, with both addresses.
    const same = l.pid !== null ? portHolders.find((h) => h.pid === l.pid) : undefined;
    if (same) same.address += `, ${l.address}`;
    else portHolders.push({ address: l.address, pid: l.pid, user: l.user, command: l.command, stateDir: l.gatewayStateDir });
  }
  const otherLockHolder =
    lock.status === "held" && !gateway ? { pid: lock.holderPid, user: lock.holder?.user ?? null, command: lock.holder?.command ?? null } : null;
  return { stateDir: brain.paths.stateDir, user: brain.user, port: checked, gateway, otherLockHolder, portHolders };
}

/** The lifecycle's operations on the real host. */
export function serviceOps(ctx: ServiceContext): ServiceOps {
  let graceMs = 5_000;
  try {
    graceMs = loadBrainConfig(ctx.brain.paths).config.gateway.shutdownGraceMs;
  } catch {
    // A broken config cannot stop a stop: the default grace bounds it.
  }
  return {
    scope: ctx.scope,
    unit: ctx.name,
    systemd: ctx.systemd,
    unitInstalled: ctx.unitText !== null,
    view: (port) => brainView(ctx.brain, port),
    state: () => unitState(ctx.scope, ctx.name, ctx.host),
    systemctl: async (args, timeoutMs) => {
      await systemctlOk(ctx.scope, args, ctx.host, timeoutMs);
    },
    terminate: (pid, ms) => terminate(pid, ms),
    foreground: ctx.foreground,
    stopTimeoutMs: timeoutStopSec(graceMs) * 1000,
    startTimeoutMs: (TIMEOUT_START_SEC + 5) * 1000,
  };
}
