/**
 * Where a brain lives. Every function takes `env` and `home` so tests need no global mocks.
 * Precedence: explicit env vars > profile > defaults.
 */
import os from "node:os";
import path from "node:path";
import { OnebrainError } from "../shared/errors.ts";

export type Env = Readonly<Record<string, string | undefined>>;

export interface PathInputs {
  /** The `--profile` flag, if given. */
  profile?: string | undefined;
  env?: Env;
  home?: string;
}

export type PathSource = "flag" | "env" | "profile" | "default";

export interface BrainPaths {
  /** Profile name, or undefined for the default brain. */
  profile: string | undefined;
  stateDir: string;
  stateDirSource: PathSource;
  configPath: string;
  configPathSource: PathSource;
  /** True when ONEBRAIN_CONFIG_PATH names the file (a missing file is then an error, not the defaults). */
  configPathFromEnv?: boolean;
  /** The kernel-locked file that decides who owns this brain. */
  lockPath: string;
  /** Diagnostics-only record of who holds the lock; never trusted for the decision. */
  ownerPath: string;
  /** The brain's durable SQLite database (sessions, messages, inbound, runs, outbox). */
  storePath: string;
  logDir: string;
  home: string;
}

const PROFILE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Checks a profile name: letters, digits, '-' and '_', 1 to 64 characters. */
export function validateProfileName(name: string): string {
  if (!PROFILE_NAME.test(name)) {
    throw new OnebrainError("PROFILE_INVALID", `Cannot use ${JSON.stringify(name)} as a profile name: expected 1-64 letters, digits, "-" or "_"`, {
      hint: "Pick a name like `work` or `bot_2`.",
    });
  }
  return name;
}

/** The profile in force: `--profile` wins over ONEBRAIN_PROFILE; "default" means none. */
export function resolveProfile(flag: string | undefined, env: Env = process.env): string | undefined {
  const raw = flag ?? env.ONEBRAIN_PROFILE;
  if (raw === undefined || raw === "" || raw === "default") return undefined;
  return validateProfileName(raw);
}

/** Expands a leading `~` against `home`, and makes the path absolute. */
export function expandHome(p: string, home: string): string {
  if (p === "~") return home;
  if (p.startsWith("~/")) return path.join(home, p.slice(2));
  return path.resolve(p);
}

/** Resolves every path of a brain from the profile flag, env and home directory. */
export function resolvePaths(inputs: PathInputs = {}): BrainPaths {
  const env = inputs.env ?? process.env;
  const home = inputs.home ?? env.HOME ?? os.homedir();
  const profile = resolveProfile(inputs.profile, env);

  let stateDir: string;
  let stateDirSource: PathSource;
  if (env.ONEBRAIN_STATE_DIR) {
    stateDir = expandHome(env.ONEBRAIN_STATE_DIR, home);
    stateDirSource = "env";
  } else if (profile) {
    stateDir = path.join(home, `.onebrain-${profile}`);
    stateDirSource = "profile";
  } else {
    stateDir = path.join(home, ".onebrain");
    stateDirSource = "default";
  }

  const configFromEnv = env.ONEBRAIN_CONFIG_PATH;
  const configPath = configFromEnv ? expandHome(configFromEnv, home) : path.join(stateDir, "onebrain.json");
  const configPathSource: PathSource = configFromEnv ? "env" : stateDirSource;

  return {
    profile,
    stateDir,
    stateDirSource,
    configPath,
    configPathSource,
    configPathFromEnv: Boolean(configFromEnv),
    lockPath: path.join(stateDir, "brain.lock"),
    ownerPath: path.join(stateDir, "brain.owner.json"),
    storePath: path.join(stateDir, "brain.db"),
    logDir: path.join(stateDir, "logs"),
    home,
  };
}

/** The service unit name for a profile: `onebrain-gateway` or `onebrain-gateway-<profile>`. */
export function serviceName(profile: string | undefined): string {
  return profile ? `onebrain-gateway-${profile}` : "onebrain-gateway";
}
