/**
 * `onebrain setup`: make a brain ready to run. Creates the state dir (0700), a config (0600) with a
 * freshly generated token, and the workspace. Idempotent: an existing config is kept unless forced
 * (then the old one is kept as .bak). For a named profile whose hashed port plan overlaps another
 * profile's on this host, a free base port is written into the new config.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { loadConfig } from "../config/load.ts";
import { effectiveGateway, type Source } from "../config/effective.ts";
import type { BrainPaths, Env } from "../paths/paths.ts";
import { plansOverlap, portPlan, type PortPlan } from "../paths/ports.ts";
import { ensureStateDir } from "../lock/brain-lock.ts";
import { writeFileAtomic } from "../shared/fs-atomic.ts";
import { maskSecret } from "../shared/redact.ts";

export interface SetupResult {
  stateDir: string;
  configPath: string;
  workspace: string;
  /** created: new config; kept: an existing one left alone; replaced: --force (backup kept). */
  config: "created" | "kept" | "replaced";
  backup: string | null;
  token: string | null;
  /** The port a gateway started now would listen on, and why (env, file, profile, default). */
  port: number;
  portSource: Source;
  portFrom: string;
  changed: string[];
}

/** Port plans of the other brains in `home` (~/.onebrain and ~/.onebrain-*), read from their configs. */
export function siblingPlans(home: string, self: BrainPaths): Array<{ stateDir: string; plan: PortPlan }> {
  let names: string[];
  try {
    names = fs.readdirSync(home).filter((n) => n === ".onebrain" || n.startsWith(".onebrain-"));
  } catch {
    return [];
  }
  const out: Array<{ stateDir: string; plan: PortPlan }> = [];
  for (const name of names) {
    const stateDir = path.join(home, name);
    if (stateDir === self.stateDir) continue;
    const profile = name === ".onebrain" ? undefined : name.slice(".onebrain-".length);
    try {
      const { config } = loadConfig(path.join(stateDir, "onebrain.json"));
      out.push({
        stateDir,
        plan: portPlan({
          env: {},
          configPort: config.gateway.port,
          profile,
          browserControlPort: config.browser.controlPort,
          canvasPort: config.canvasHost.port,
        }),
      });
    } catch {
      // A broken sibling config is doctor's business, not setup's.
    }
  }
  return out;
}

/** A base port for `profile` whose plan overlaps none of `others`: the hashed one if free, else the next free slot. */
export function freeProfilePort(profile: string, others: ReadonlyArray<{ plan: PortPlan }>): number {
  const hashed = portPlan({ env: {}, profile }).base;
  for (let i = 0; i < 300; i++) {
    const base = 20000 + ((hashed - 20000 + i * 128) % (300 * 128));
    const plan = portPlan({ env: {}, configPort: base });
    if (!others.some((o) => plansOverlap(plan, o.plan).overlap)) return base;
  }
  return hashed;
}

/** Runs setup for a brain. */
export function setupBrain(paths: BrainPaths, opts: { force?: boolean; env?: Env } = {}): SetupResult {
  const changed: string[] = [];
  const existed = fs.existsSync(paths.stateDir);
  ensureStateDir(paths.stateDir);
  if (!existed) changed.push(`created ${paths.stateDir} (0700)`);
  const workspace = path.join(paths.stateDir, "workspace");
  if (!fs.existsSync(workspace)) {
    fs.mkdirSync(workspace, { recursive: true, mode: 0o700 });
    changed.push(`created ${workspace}`);
  }

  const env = opts.env ?? process.env;
  /** The port a gateway started now would use (ONEBRAIN_GATEWAY_PORT wins over the file). */
  const effectivePort = () => {
    const loaded = loadConfig(paths.configPath); // a broken config is reported, not overwritten
    const port = effectiveGateway(loaded.config, loaded.raw, { env, profile: paths.profile }).port;
    return { token: maskSecret(loaded.config.gateway.auth.token), port: port.value, portSource: port.source, portFrom: port.from };
  };
  const configExists = fs.existsSync(paths.configPath);
  if (configExists && !opts.force) {
    return { stateDir: paths.stateDir, configPath: paths.configPath, workspace, config: "kept", backup: null, ...effectivePort(), changed };
  }

  let backup: string | null = null;
  if (configExists) {
    backup = `${paths.configPath}.bak`;
    fs.copyFileSync(paths.configPath, backup);
    fs.chmodSync(backup, 0o600);
    changed.push(`kept the old config as ${backup}`);
  }
  const token = crypto.randomBytes(32).toString("base64url");
  const gateway: Record<string, unknown> = { bind: "loopback", auth: { mode: "token", token } };
  let port = portPlan({ env: {}, profile: paths.profile }).base;
  if (paths.profile) {
    const free = freeProfilePort(paths.profile, siblingPlans(paths.home, paths));
    if (free !== port) {
      gateway.port = free;
      changed.push(`port ${port} would overlap another profile on this host: using ${free}`);
      port = free;
    }
  }
  const doc = { gateway, agents: { defaults: { workspace } } };
  fs.mkdirSync(path.dirname(paths.configPath), { recursive: true, mode: 0o700 });
  writeFileAtomic(paths.configPath, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600, forceMode: true });
  changed.push(`${configExists ? "replaced" : "created"} ${paths.configPath} (0600) with a new token`);
  return {
    stateDir: paths.stateDir,
    configPath: paths.configPath,
    workspace,
    config: configExists ? "replaced" : "created",
    backup,
    ...effectivePort(),
    changed,
  };
}
