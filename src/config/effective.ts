/**
 * Which value is in force, and where it came from: flag > env > file > profile > default. The one
 * place that decides it for the gateway's port, bind and auth, used by the start, `config get` and
 * `gateway status`, so what they say cannot drift apart from what runs.
 */
import path from "node:path";
import { OnebrainError } from "../shared/errors.ts";
import { MAX_SECRET_LENGTH, secretProblem } from "../shared/redact.ts";
import type { Env } from "../paths/paths.ts";
import { BROWSER_CONTROL_OFFSET, CANVAS_OFFSET, resolveBasePort } from "../paths/ports.ts";
import type { Config } from "./schema.ts";

export type Source = "flag" | "env" | "file" | "profile" | "default";

/** A value with where it came from: `from` names the flag, variable or file. */
export interface Sourced<T> {
  value: T;
  source: Source;
  from: string;
}

export const BIND_MODES = ["loopback", "lan", "tailnet", "custom"] as const;
export const AUTH_MODES = ["none", "token", "password"] as const;
export type BindMode = (typeof BIND_MODES)[number];
export type AuthMode = (typeof AUTH_MODES)[number];

/** The gateway's command-line flags (`gateway run --port --bind --auth --token --password`). */
export interface GatewayFlags {
  port?: string | number | undefined;
  bind?: string | undefined;
  auth?: string | undefined;
  token?: string | undefined;
  password?: string | undefined;
}

export interface AuthSources {
  mode: Sourced<AuthMode>;
  /** The secrets themselves: callers mask them before showing anything. */
  token: Sourced<string | undefined>;
  password: Sourced<string | undefined>;
}

export interface EffectiveGateway extends AuthSources {
  port: Sourced<number>;
  bind: Sourced<BindMode>;
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new OnebrainError("USAGE", `Cannot use ${JSON.stringify(value)} for ${flag}: expected one of ${allowed.join(", ")}`, {
    hint: `See \`onebrain gateway run --help\`.`,
  });
}

/** A usage error for a secret from `origin` (a flag or a variable) that breaks the secret rule; never echoes it. */
function badSecret(origin: string, problem: string, hint: string): OnebrainError {
  return new OnebrainError(
    "USAGE",
    `Cannot use the value of ${origin}: expected 1-${MAX_SECRET_LENGTH} characters without control characters (the value, not shown, has ${problem})`,
    { details: { origin }, hint },
  );
}

/** A secret given on the command line, checked like the config's (never echoed). */
function secretFlag(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const problem = secretProblem(value);
  if (problem) {
    throw badSecret(
      flag,
      problem,
      `Prefer ONEBRAIN_GATEWAY_${flag === "--token" ? "TOKEN" : "PASSWORD"} in the environment: a command line is visible to other local users.`,
    );
  }
  return value;
}

/**
 * A secret from the environment, checked like the config's: a newline pasted into a unit file or
 * a compose file would otherwise start a gateway whose secret no client can send in a header.
 * Empty counts as unset.
 */
function secretEnv(name: string, env: Env): string | undefined {
  const value = env[name];
  if (!value) return undefined;
  const problem = secretProblem(value);
  if (problem) throw badSecret(name, problem, `Fix ${name} where it is set (a unit file, a compose file, the shell), or unset it.`);
  return value;
}

const FILE = "the config file";

function secretSource(flag: string, flagValue: string | undefined, envName: string, env: Env, fileValue: string | undefined): Sourced<string | undefined> {
  const fromFlag = secretFlag(flag, flagValue);
  if (fromFlag !== undefined) return { value: fromFlag, source: "flag", from: flag };
  const fromEnv = secretEnv(envName, env);
  if (fromEnv !== undefined) return { value: fromEnv, source: "env", from: envName };
  if (fileValue !== undefined) return { value: fileValue, source: "file", from: FILE };
  return { value: undefined, source: "default", from: "not set" };
}

/** Auth in force: each secret flag > env > file; the mode --auth > a secret flag > file > inferred from what is set. */
export function authSources(auth: Config["gateway"]["auth"], env: Env, flags: GatewayFlags = {}): AuthSources {
  const token = secretSource("--token", flags.token, "ONEBRAIN_GATEWAY_TOKEN", env, auth.token);
  const password = secretSource("--password", flags.password, "ONEBRAIN_GATEWAY_PASSWORD", env, auth.password);
  let mode: Sourced<AuthMode>;
  if (flags.auth !== undefined) mode = { value: oneOf("--auth", flags.auth, AUTH_MODES), source: "flag", from: "--auth" };
  // A secret given on the command line is meant to be used, whatever mode the file names.
  else if (token.source === "flag") mode = { value: "token", source: "flag", from: "--token" };
  else if (password.source === "flag") mode = { value: "password", source: "flag", from: "--password" };
  else if (auth.mode !== undefined) mode = { value: auth.mode, source: "file", from: FILE };
  else if (token.value) mode = { value: "token", source: token.source, from: token.from };
  else if (password.value) mode = { value: "password", source: password.source, from: password.from };
  else mode = { value: "none", source: "default", from: "no token or password set" };
  return { mode, token, password };
}

/** Port, bind and auth of a gateway started with these flags, env and config. */
export function effectiveGateway(
  config: Readonly<Config>,
  raw: unknown,
  opts: { env: Env; profile?: string | undefined; flags?: GatewayFlags },
): EffectiveGateway {
  const flags = opts.flags ?? {};
  const base = resolveBasePort({ flag: flags.port, env: opts.env, configPort: config.gateway.port, profile: opts.profile });
  const portFrom: Record<string, string> = { flag: "--port", env: "ONEBRAIN_GATEWAY_PORT", config: FILE, profile: opts.profile ?? "", default: "default" };
  const port: Sourced<number> = { value: base.port, source: base.source === "config" ? "file" : base.source, from: portFrom[base.source]! };
  const bindInFile = (raw as { gateway?: { bind?: unknown } } | undefined)?.gateway?.bind !== undefined;
  const bind: Sourced<BindMode> =
    flags.bind !== undefined
      ? { value: oneOf("--bind", flags.bind, BIND_MODES), source: "flag", from: "--bind" }
      : { value: config.gateway.bind, source: bindInFile ? "file" : "default", from: bindInFile ? FILE : "default" };
  return { port, bind, ...authSources(config.gateway.auth, opts.env, flags) };
}

function rawAt(raw: unknown, segments: readonly string[]): unknown {
  let v = raw;
  for (const s of segments) {
    if (v === null || typeof v !== "object" || !Object.hasOwn(v, s)) return undefined;
    v = (v as Record<string, unknown>)[s];
  }
  return v;
}

/**
 * The value in force at a dotted key and its source, for `config get`: the keys that env, the
 * profile or other keys decide are resolved as the gateway resolves them; the rest are the file's
 * value or the schema's default. `value` is undefined when nothing sets the key.
 */
export function effectiveValue(
  config: Readonly<Config>,
  raw: unknown,
  segments: readonly string[],
  opts: { env: Env; profile?: string | undefined; stateDir: string },
): Sourced<unknown> {
  const key = segments.join(".");
  const inFile = rawAt(raw, segments);
  const gw = () => effectiveGateway(config, raw, opts);
  switch (key) {
    case "gateway.port":
      return gw().port;
    case "gateway.bind":
      return gw().bind;
    case "gateway.auth.mode":
      return gw().mode;
    case "gateway.auth.token":
      return gw().token;
    case "gateway.auth.password":
      return gw().password;
  }
  if (inFile !== undefined) return { value: rawAt(config, segments), source: "file", from: FILE };
  switch (key) {
    case "browser.controlPort":
      return { value: gw().port.value + BROWSER_CONTROL_OFFSET, source: "default", from: `the gateway port + ${BROWSER_CONTROL_OFFSET}` };
    case "canvasHost.port":
      return { value: gw().port.value + CANVAS_OFFSET, source: "default", from: `the gateway port + ${CANVAS_OFFSET}` };
    case "channels.telegram.botToken":
      if (opts.env.TELEGRAM_BOT_TOKEN) return { value: opts.env.TELEGRAM_BOT_TOKEN, source: "env", from: "TELEGRAM_BOT_TOKEN" };
      break;
    case "channels.discord.token":
      if (opts.env.DISCORD_BOT_TOKEN) return { value: opts.env.DISCORD_BOT_TOKEN, source: "env", from: "DISCORD_BOT_TOKEN" };
      break;
    case "channels.slack.appToken":
      if (opts.env.SLACK_APP_TOKEN) return { value: opts.env.SLACK_APP_TOKEN, source: "env", from: "SLACK_APP_TOKEN" };
      break;
    case "channels.slack.botToken":
      if (opts.env.SLACK_BOT_TOKEN) return { value: opts.env.SLACK_BOT_TOKEN, source: "env", from: "SLACK_BOT_TOKEN" };
      break;
    case "logging.file":
      return { value: path.join(opts.stateDir, "logs", "gateway.log"), source: "default", from: "default" };
    case "agents.defaults.workspace":
      return { value: workspaceDir(config, opts.stateDir), source: "default", from: "default" };
    case "canvasHost.root":
      return { value: canvasRootDir(config, opts.stateDir), source: "default", from: "the workspace + /canvas" };
  }
  const value = rawAt(config, segments);
  return { value, source: "default", from: value === undefined ? "not set" : "default" };
}

/** The agent's workspace directory: `agents.defaults.workspace`, else `<stateDir>/workspace`. */
export function workspaceDir(config: Readonly<Config>, stateDir: string): string {
  return config.agents.defaults.workspace ?? path.join(stateDir, "workspace");
}

/** The canvas host's root: `canvasHost.root` (a relative one is inside the state dir), else `<workspace>/canvas`. */
export function canvasRootDir(config: Readonly<Config>, stateDir: string): string {
  const root = config.canvasHost.root;
  return root ? path.resolve(stateDir, root) : path.join(workspaceDir(config, stateDir), "canvas");
}

/** Which source won for port, bind and auth, without any secret: for the owner record, status and `gateway status`. */
export interface GatewaySources {
  port: Sourced<number>;
  bind: Sourced<string>;
  auth: Sourced<string>;
}

/** The sources of an effective gateway with the secrets left out. */
export function publicSources(e: EffectiveGateway): GatewaySources {
  return { port: e.port, bind: e.bind, auth: e.mode };
}

/** A source in words: `env ONEBRAIN_GATEWAY_PORT`, `file PATH`, `flag --bind`, `profile work`, `default (the gateway port + 2)`. */
export function describeSource(v: { source: string; from: string }, configPath?: string): string {
  if (v.source === "file") return configPath ? `file ${configPath}` : "the config file";
  if (v.source === "default") return v.from === "default" ? "default" : `default (${v.from})`;
  return `${v.source} ${v.from}`;
}
