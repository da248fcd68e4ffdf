/**
 * The gateway's systemd unit: a pure function from facts to unit text, and the reverse reading of
 * the brain a unit runs. No secret ever goes into the text: the token stays in the config file or
 * in `<stateDir>/service.env` (0600), which the unit names with `EnvironmentFile=-`.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { serviceName } from "../paths/paths.ts";
import { errorCatalog, OnebrainError, type ErrorCode } from "../shared/errors.ts";
import { hasControlChars } from "../shared/text.ts";

export type ServiceScope = "user" | "system";

export interface UnitFacts {
  scope: ServiceScope;
  /** The user the gateway runs as: the dedicated service user of a system unit, the caller for a user unit. */
  user: string;
  home: string;
  stateDir: string;
  configPath: string;
  profile: string | undefined;
  /** Absolute path of the node binary, and the flags from bin/onebrain.js's shebang. */
  nodePath: string;
  nodeFlags: readonly string[];
  /** Absolute path of bin/onebrain.js. */
  binPath: string;
  /** `gateway.shutdownGraceMs`: TimeoutStopSec must cover the whole stop sequence. */
  shutdownGraceMs: number;
  /** The base port; one below 1024 needs CAP_NET_BIND_SERVICE in a system unit. */
  port: number;
  /** Non-secret variables the caller's shell set and the service must see too (ONEBRAIN_GATEWAY_PORT). */
  extraEnv?: Readonly<Record<string, string>>;
  /** Paths outside the state dir the gateway writes (a log file configured elsewhere). */
  writablePaths?: readonly string[];
  /** docs/service.md of this install, for `Documentation=`. */
  docsPath?: string | undefined;
  version: string;
}

/** Exit codes after which a restart cannot help (docs/errors.md, "For service managers"). */
export const NO_RESTART_CODES = [
  "GATEWAY_LOCK_HELD",
  "INSECURE_BIND",
  "CONFIG_INVALID",
  "CONFIG_SYNTAX",
  "CONFIG_UNREADABLE",
  "CONFIG_MISSING",
  "PROFILE_INVALID",
  "STORE_CORRUPT",
  "STORE_TOO_NEW",
] as const satisfies readonly ErrorCode[];

/** The exit statuses of NO_RESTART_CODES, ascending: the value of `RestartPreventExitStatus=`. */
export function noRestartExitStatuses(): number[] {
  return NO_RESTART_CODES.map((c) => errorCatalog[c].exitCode).sort((a, b) => a - b);
}

export const WATCHDOG_SEC = 30;
export const RESTART_SEC = 5;
export const START_LIMIT = { intervalSec: 300, burst: 10 } as const;
export const TIMEOUT_START_SEC = 90;

/**
 * The stop sequence waits up to the grace period twice (clients drain, then the brain's runs and
 * deliveries), so systemd's SIGKILL must come later than both plus the log flush.
 */
export function timeoutStopSec(shutdownGraceMs: number): number {
  return Math.ceil((2 * shutdownGraceMs) / 1000) + 10;
}

/** Refuses text that would break a unit line (newlines, control characters) or a path that is not absolute. */
function checked(value: string, what: string, absolute = false): string {
  if (hasControlChars(value) || value !== value.trim() || (absolute && !path.isAbsolute(value))) {
    throw new OnebrainError(
      "USAGE",
      `Cannot write ${JSON.stringify(value)} as the ${what} of a systemd unit: expected ${absolute ? "an absolute path " : "text "}without control characters or surrounding spaces`,
      {
        hint: "Choose a plain path (ONEBRAIN_STATE_DIR, ONEBRAIN_CONFIG_PATH) and run the install again.",
      },
    );
  }
  return value;
}

/** `%` starts a specifier everywhere in a unit; `%%` is a literal percent sign. */
const literal = (s: string) => s.replaceAll("%", "%%");

/** One word for `ExecStart=`/`Environment=`: quoted (C escapes) only when it needs to be; `$` doubled for ExecStart. */
export function unitWord(value: string, exec = false): string {
  let s = literal(value);
  if (exec) s = s.replaceAll("$", "$$");
  if (s !== "" && !/[\s"'\\;]/.test(s)) return s;
  return `"${s.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/** The unit text for the facts given. Deterministic: the same facts give the same bytes. */
export function renderUnit(f: UnitFacts): string {
  const system = f.scope === "system";
  checked(f.user, "user");
  for (const [v, what] of [
    [f.home, "home"],
    [f.stateDir, "state dir"],
    [f.configPath, "config path"],
    [f.nodePath, "node path"],
    [f.binPath, "bin path"],
  ] as const)
    checked(v, what, true);
  const env: Array<[string, string]> = [
    ["HOME", f.home],
    ["ONEBRAIN_STATE_DIR", f.stateDir],
    ["ONEBRAIN_CONFIG_PATH", f.configPath],
    ...(f.profile ? ([["ONEBRAIN_PROFILE", f.profile]] as Array<[string, string]>) : []),
    ...Object.entries(f.extraEnv ?? {}).sort(([a], [b]) => a.localeCompare(b)),
  ];
  const argv = [f.nodePath, ...f.nodeFlags, f.binPath, ...(f.profile ? ["--profile", f.profile] : []), "gateway", "run"];
  const writable = [f.stateDir, ...(f.writablePaths ?? []).filter((p) => !isInside(p, f.stateDir))].map((p) => checked(p, "writable path", true));
  const lowPort = f.port < 1024;
  // A private /tmp would hide a state dir or config that lives under /tmp (tests, trials).
  const usesTmp = [...writable, f.configPath].some((p) => isInside(p, "/tmp") || isInside(p, "/var/tmp"));
  const docs = f.docsPath ? literal(pathToFileURL(f.docsPath).href) : null;

  const lines = [
    `# onebrain gateway, written by \`onebrain gateway install${system ? ` --system --user ${f.user}` : ""}\` (onebrain ${f.version}).`,
    "# Regenerate it rather than editing it: `onebrain gateway install --force`. See docs/service.md.",
    `# No secret is written here: the token comes from the config file or ${path.join(f.stateDir, "service.env")} (0600).`,
    "[Unit]",
    `Description=${literal(`onebrain gateway (${f.profile ? `profile ${f.profile}` : "default profile"}, state dir ${f.stateDir})`)}`,
    ...(docs ? [`Documentation=${docs}`] : []),
    ...(system ? ["Wants=network-online.target", "After=network-online.target"] : []),
    "# A crash loop stops after this many starts in this window instead of storming.",
    `StartLimitIntervalSec=${START_LIMIT.intervalSec}`,
    `StartLimitBurst=${START_LIMIT.burst}`,
    "",
    "[Service]",
    "# READY=1 once listening and ready; WATCHDOG=1 only while the event loop and the lock are healthy.",
    "Type=notify",
    "# The keep-alives come from a short-lived systemd-notify child of the gateway, not the gateway itself.",
    "NotifyAccess=all",
    `WatchdogSec=${WATCHDOG_SEC}`,
    ...(system ? [`User=${f.user}`] : ["# No User=: a user unit always runs as the user whose manager runs it."]),
    `WorkingDirectory=${literal(f.stateDir)}`,
    ...env.map(([k, v]) => `Environment=${unitWord(`${k}=${checked(v, k)}`)}`),
    `EnvironmentFile=-${literal(path.join(f.stateDir, "service.env"))}`,
    `ExecStart=${argv.map((a) => unitWord(a, true)).join(" ")}`,
    "Restart=always",
    `RestartSec=${RESTART_SEC}`,
    "# Exit codes a restart cannot fix: lock held by another process (10), insecure bind (13), broken",
    "# config (20-22), invalid profile (24), database corrupt or newer than this binary (26, 27).",
    `RestartPreventExitStatus=${noRestartExitStatuses().join(" ")}`,
    `TimeoutStartSec=${TIMEOUT_START_SEC}`,
    `# Above twice gateway.shutdownGraceMs (${f.shutdownGraceMs} ms): clients drain, then in-flight runs and deliveries.`,
    `TimeoutStopSec=${timeoutStopSec(f.shutdownGraceMs)}`,
    "# SIGTERM goes to the gateway only (it drains); anything left gets SIGKILL at the end.",
    "KillMode=mixed",
    `SyslogIdentifier=${serviceName(f.profile)}`,
    "UMask=0077",
    "NoNewPrivileges=yes",
    ...(system
      ? [
          ...(usesTmp ? ["# No PrivateTmp=: the state dir or config lives under /tmp."] : ["PrivateTmp=yes"]),
          "PrivateDevices=yes",
          "ProtectSystem=strict",
          "ProtectHome=read-only",
          `ReadWritePaths=${writable.map((p) => unitWord(p)).join(" ")}`,
          "ProtectKernelTunables=yes",
          "ProtectKernelModules=yes",
          "ProtectKernelLogs=yes",
          "ProtectControlGroups=yes",
          "ProtectClock=yes",
          "ProtectHostname=yes",
          "RestrictSUIDSGID=yes",
          "RestrictRealtime=yes",
          "RestrictNamespaces=yes",
          "LockPersonality=yes",
          "RemoveIPC=yes",
          "SystemCallArchitectures=native",
          "# A call outside the usual service set fails with EPERM instead of killing the gateway.",
          "SystemCallFilter=@system-service",
          "SystemCallErrorNumber=EPERM",
          "# AF_NETLINK: listing interface addresses for lan and tailnet binds.",
          "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK",
          ...(lowPort ? ["CapabilityBoundingSet=CAP_NET_BIND_SERVICE", "AmbientCapabilities=CAP_NET_BIND_SERVICE"] : ["CapabilityBoundingSet="]),
        ]
      : []),
    "",
    "[Install]",
    `WantedBy=${system ? "multi-user.target" : "default.target"}`,
    "",
  ];
  return lines.join("\n");
}

function isInside(p: string, dir: string): boolean {
  const rel = path.relative(dir, p);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/** Splits a unit value into words the way systemd does for ExecStart=/Environment= (quotes, C escapes, `%%`, `$$`). */
export function unitWords(value: string, exec = false): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < value.length) {
    while (i < value.length && /\s/.test(value[i]!)) i++;
    if (i >= value.length) break;
    let word = "";
    let quote: string | null = null;
    for (; i < value.length; i++) {
      const c = value[i]!;
      if (quote === null && /\s/.test(c)) break;
      if (c === "\\" && i + 1 < value.length) word += value[++i]!;
      else if (quote === null && (c === '"' || c === "'")) quote = c;
      else if (c === quote) quote = null;
      else word += c;
    }
    words.push(word);
  }
  return words.map((w) => (exec ? w.replaceAll("$$", "$") : w).replaceAll("%%", "%"));
}

export interface UnitBrain {
  /** `User=`, when the unit sets one (system units). */
  user: string | null;
  env: Record<string, string>;
  /** ExecStart= as argv. */
  argv: string[];
  profile: string | undefined;
}

/** Reads back which brain a unit runs: its User=, Environment= and ExecStart= (the reverse of renderUnit). */
export function parseUnit(text: string): UnitBrain {
  const env: Record<string, string> = {};
  let user: string | null = null;
  let argv: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const eq = line.indexOf("=");
    if (line.startsWith("#") || eq < 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (key === "User") user = value;
    else if (key === "ExecStart") argv = unitWords(value, true);
    else if (key === "Environment") {
      for (const w of unitWords(value)) {
        const i = w.indexOf("=");
        if (i > 0) env[w.slice(0, i)] = w.slice(i + 1);
      }
    }
  }
  const p = argv.indexOf("--profile");
  const profile = p >= 0 ? argv[p + 1] : env.ONEBRAIN_PROFILE;
  return { user, env, argv, profile: profile || undefined };
}
