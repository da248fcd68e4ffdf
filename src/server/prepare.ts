/**
 * The light first half of a start: plan ports and binds, refuse unsafe binds, take the brain
 * lock. It imports nothing heavy, so a refused start (lock held, bad bind) exits in milliseconds.
 */
import crypto from "node:crypto";
import { effectiveGateway, publicSources, type GatewayFlags, type GatewaySources } from "../config/effective.ts";
import type { LoadedConfig } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import { acquireBrainLock, type BrainLock } from "../lock/brain-lock.ts";
import { ownerRecordFor } from "../lock/owner.ts";
import type { BrainPaths, Env } from "../paths/paths.ts";
import { portPlan, type PortPlan } from "../paths/ports.ts";
import { onebrainVersion } from "../shared/version.ts";
import { assertSafeBind, resolveAuth, type AuthSettings } from "./auth.ts";
import { planBind, type BindPlan } from "./bind.ts";
import type { StopStep } from "./stop.ts";

export interface StartOptions {
  paths: BrainPaths;
  loaded: LoadedConfig;
  /** The `--port` flag, if given (same as flags.port). */
  portFlag?: number | string | undefined;
  /** `gateway run --bind --auth --token --password --port`: they win over env and config, reloads included. */
  flags?: GatewayFlags;
  env?: Env;
  /** Where console logs go; null for none (default stderr). */
  console?: NodeJS.WritableStream | null;
  /** Called when the gateway must stop for a reason of its own (it lost the brain: fenced). */
  onFatal?: (err: Error) => void;
  /** Overrides logging.consoleStyle (e.g. `gateway run --json`). */
  consoleStyle?: "pretty" | "compact" | "json" | undefined;
  /** Rewrites the stop sequence's steps; tests insert a throwing or hanging step with it. */
  stopSteps?: (steps: readonly StopStep[]) => StopStep[];
}

export interface PreparedStart {
  opts: StartOptions;
  env: Env;
  flags: GatewayFlags;
  /** Which source won for port, bind and auth (no secrets): in the owner record and status. */
  sources: GatewaySources;
  startedAtMs: number;
  config: Readonly<Config>;
  plan: PortPlan;
  bind: BindPlan;
  auth: AuthSettings;
  version: string;
  instanceId: string;
  lock: BrainLock;
}

/** Plans the start and takes the lock; throws a coded error and leaves nothing behind when it cannot. */
export function prepareStart(opts: StartOptions): PreparedStart {
  const env = opts.env ?? process.env;
  const startedAtMs = Date.now();
  const config = opts.loaded.config;
  const flags: GatewayFlags = { ...opts.flags, port: opts.flags?.port ?? opts.portFlag };
  const sources = effectiveGateway(config, opts.loaded.raw, { env, profile: opts.paths.profile, flags });
  const plan = portPlan({
    flag: flags.port,
    env,
    configPort: config.gateway.port,
    profile: opts.paths.profile,
    browserControlPort: config.browser.controlPort,
    canvasPort: config.canvasHost.port,
  });
  const bind = planBind({ ...config.gateway, bind: sources.bind.value });
  const auth = resolveAuth(config.gateway.auth, env, flags);
  assertSafeBind(bind, auth, plan.base);
  const version = onebrainVersion();
  const instanceId = crypto.randomUUID();
  const lock = acquireBrainLock({
    stateDir: opts.paths.stateDir,
    lockPath: opts.paths.lockPath,
    ownerPath: opts.paths.ownerPath,
    owner: ownerRecordFor({
      stateDir: opts.paths.stateDir,
      configPath: opts.paths.configPath,
      profile: opts.paths.profile,
      port: plan.base,
      bindHosts: bind.hosts,
      version,
      instanceId,
      home: opts.paths.home,
      sources: publicSources(sources),
    }),
  });
  return { opts, env, flags, sources: publicSources(sources), startedAtMs, config, plan, bind, auth, version, instanceId, lock };
}
