/**
 * Talking to systemd: is it running here (system manager, user manager), where unit files go, and
 * `systemctl` with a time limit. Nothing here guesses: without systemd the caller says so and
 * prints the foreground command instead.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { Env } from "../paths/paths.ts";
import { OnebrainError } from "../shared/errors.ts";
import type { ServiceScope } from "./unit.ts";

export interface SystemdHost {
  env: Env;
  uid: number;
  /** The home whose ~/.config/systemd/user holds user units. */
  home: string;
  exists(p: string): boolean;
}

/** The real host: process env, uid, and the file system. */
export function realHost(home: string, env: Env = process.env): SystemdHost {
  return { env, uid: process.getuid?.() ?? -1, home, exists: (p) => fs.existsSync(p) };
}

export interface SystemdAvailability {
  running: boolean;
  /** Why not, in words, when not running. */
  reason: string | null;
}

function runtimeDir(host: SystemdHost): string {
  return host.env.XDG_RUNTIME_DIR || `/run/user/${host.uid}`;
}

/** Whether systemd manages services here: `/run/systemd/system` (as sd_booted checks), and for user units the user's manager socket. */
export function systemdAvailability(scope: ServiceScope, host: SystemdHost): SystemdAvailability {
  if (!host.exists("/run/systemd/system")) {
    return { running: false, reason: "systemd is not running here (no /run/systemd/system: a container, macOS, or an init other than systemd)" };
  }
  if (scope === "user") {
    const socket = path.join(runtimeDir(host), "systemd", "private");
    if (!host.exists(socket)) {
      return {
        running: false,
        reason: `the systemd user manager of uid ${host.uid} is not running (no ${socket}): log in through a session, run \`loginctl enable-linger\`, or install a system unit with --system --user NAME`,
      };
    }
  }
  return { running: true, reason: null };
}

/** Where unit files of this scope go: /etc/systemd/system, or ~/.config/systemd/user (XDG_CONFIG_HOME honoured). */
export function unitDir(scope: ServiceScope, host: SystemdHost): string {
  if (scope === "system") return "/etc/systemd/system";
  return path.join(host.env.XDG_CONFIG_HOME || path.join(host.home, ".config"), "systemd", "user");
}

export interface SystemctlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `systemctl [--user] ...args`, bounded by `timeoutMs`; rejects only when it cannot run at all. */
export function systemctl(scope: ServiceScope, args: readonly string[], host: SystemdHost, timeoutMs = 30_000): Promise<SystemctlResult> {
  const argv = [...(scope === "user" ? ["--user"] : []), ...args];
  // `systemctl --user` finds the manager through XDG_RUNTIME_DIR, which `su`/`sudo` shells often lack.
  const env = { ...host.env, ...(scope === "user" ? { XDG_RUNTIME_DIR: runtimeDir(host) } : {}), SYSTEMD_PAGER: "", SYSTEMD_COLORS: "0" };
  return new Promise((resolve, reject) => {
    execFile("systemctl", argv, { env, timeout: timeoutMs, killSignal: "SIGKILL", encoding: "utf8" }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string; killed?: boolean }) | null;
      if (e && typeof e.code === "string") {
        reject(new OnebrainError("SERVICE_UNAVAILABLE", `Cannot run systemctl: ${e.code}`, { cause: e }));
        return;
      }
      if (e?.killed) {
        reject(new OnebrainError("TIMEOUT", `\`systemctl ${argv.join(" ")}\` did not finish within ${timeoutMs} ms`, { cause: e }));
        return;
      }
      resolve({ code: e ? Number(e.code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Like `systemctl` but a non-zero exit is SERVICE_FAILED, naming the command and systemctl's words. */
export async function systemctlOk(scope: ServiceScope, args: readonly string[], host: SystemdHost, timeoutMs?: number): Promise<string> {
  const r = await systemctl(scope, args, host, timeoutMs);
  if (r.code !== 0) {
    const cmd = `systemctl ${scope === "user" ? "--user " : ""}${args.join(" ")}`;
    throw new OnebrainError("SERVICE_FAILED", `\`${cmd}\` failed (exit ${r.code}): ${(r.stderr || r.stdout).trim() || "no message"}`, {
      hint: `See \`${journalCommand(scope, args[args.length - 1] ?? "")}\`.`,
      details: { command: cmd, exitCode: r.code },
    });
  }
  return r.stdout;
}

export interface UnitState {
  /** active, activating, deactivating, inactive, failed, reloading. */
  activeState: string;
  subState: string;
  /** The main process's last exit status (our exit codes), 0 when none. */
  execMainStatus: number;
  mainPid: number;
  /** success, exit-code, signal, watchdog, start-limit-hit, ... */
  result: string;
  loadState: string;
}

/** Parses `systemctl show -p ...` output. */
export function parseShow(text: string): UnitState {
  const v: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) v[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return {
    activeState: v.ActiveState ?? "unknown",
    subState: v.SubState ?? "unknown",
    execMainStatus: Number(v.ExecMainStatus ?? 0) || 0,
    mainPid: Number(v.MainPID ?? 0) || 0,
    result: v.Result ?? "unknown",
    loadState: v.LoadState ?? "unknown",
  };
}

/** The unit's state as systemd sees it. */
export async function unitState(scope: ServiceScope, name: string, host: SystemdHost): Promise<UnitState> {
  const out = await systemctlOk(
    scope,
    ["show", `${name}.service`, "-p", "ActiveState", "-p", "SubState", "-p", "ExecMainStatus", "-p", "MainPID", "-p", "Result", "-p", "LoadState"],
    host,
    10_000,
  );
  return parseShow(out);
}

/** The journalctl command that shows this unit's recent log. */
export function journalCommand(scope: ServiceScope, unit: string): string {
  return `journalctl ${scope === "user" ? "--user " : ""}-u ${unit.replace(/\.service$/, "")} -n 50 --no-pager`;
}
