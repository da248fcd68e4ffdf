/**
 * Which OpenClaw state dir an import reads, and why: `--from DIR` (a dir, or a config file whose
 * dir is the state dir), else `--profile NAME` (`~/.openclaw-NAME`, then the older names), else
 * the variables OpenClaw and its predecessors read (OPENCLAW_STATE_DIR / OPENCLAW_CONFIG_PATH,
 * CLAWDBOT_*, MOLTBOT_*), else the first of `~/.openclaw`, `~/.moltbot`, `~/.moldbot`,
 * `~/.clawdbot` that exists. Dirs are compared by real path: OpenClaw's doctor leaves
 * `~/.clawdbot` as a symlink to `~/.openclaw`. Nothing here writes.
 */
import fs from "node:fs";
import path from "node:path";
import type { Env } from "../../paths/paths.ts";
import { OnebrainError } from "../../shared/errors.ts";

/** The state dir found, with how it was found. */
export interface SourceDir {
  /** The state dir's real path. */
  dir: string;
  /** The config file (JSON5), or null when the dir has none. */
  configFile: string | null;
  /** How it was chosen, in words ("--from", "OPENCLAW_STATE_DIR", "~/.openclaw exists"). */
  why: string;
  /** Which product wrote it, from its file names. */
  product: "OpenClaw" | "Moltbot" | "Clawdbot";
  /** `sqlite`: OpenClaw 2026.7.2 and later (state/openclaw.sqlite, agent databases); `files`: Clawdbot, Moltbot and older OpenClaw. */
  layout: "sqlite" | "files";
  /** Other state dirs that exist but were not chosen (real paths). */
  others: string[];
}

/** Where to look, as the command was given. */
export interface SourceQuery {
  from?: string | undefined;
  profile?: string | undefined;
  env: Env;
  /** The home the `~` names expand against (OPENCLAW_HOME, else HOME). */
  home?: string | undefined;
}

const CONFIG_NAMES = ["openclaw.json", "moltbot.json", "moldbot.json", "clawdbot.json"] as const;
const DEFAULT_DIRS = [".openclaw", ".moltbot", ".moldbot", ".clawdbot"] as const;
const PROFILE = /^[a-z0-9][a-z0-9_-]{0,63}$/i;

/** The home OpenClaw itself uses: OPENCLAW_HOME (a leading ~ expanded), else HOME. */
export function openclawHome(env: Env, fallback: string): string {
  const usable = (v: string | undefined) => v !== undefined && v.trim() !== "" && v !== "undefined" && v !== "null";
  const home = usable(env.HOME) ? env.HOME! : fallback;
  const own = env.OPENCLAW_HOME;
  if (!usable(own)) return home;
  return expand(own!, home);
}

function expand(p: string, home: string): string {
  if (p === "~") return home;
  if (p.startsWith("~/")) return path.join(home, p.slice(2));
  return path.resolve(p);
}

const isDir = (p: string) => fs.statSync(p, { throwIfNoEntry: false })?.isDirectory() === true;
const isFile = (p: string) => fs.statSync(p, { throwIfNoEntry: false })?.isFile() === true;

function notFound(message: string, looked: string[], hint: string): OnebrainError {
  return new OnebrainError("IMPORT_SOURCE_NOT_FOUND", message, { details: { looked }, hint });
}

/** The config file of a state dir: the first of openclaw.json, moltbot.json, moldbot.json, clawdbot.json. */
function configIn(dir: string): string | null {
  for (const name of CONFIG_NAMES) if (isFile(path.join(dir, name))) return path.join(dir, name);
  return null;
}

function agentDatabases(dir: string): string[] {
  const agents = path.join(dir, "agents");
  if (!isDir(agents)) return [];
  return fs
    .readdirSync(agents)
    .map((id) => path.join(agents, id, "agent", "openclaw-agent.sqlite"))
    .filter(isFile);
}

/** True when a dir holds anything an import can read. */
function holdsState(dir: string): boolean {
  return configIn(dir) !== null || isFile(path.join(dir, "state", "openclaw.sqlite")) || isDir(path.join(dir, "agents")) || isDir(path.join(dir, "cron"));
}

function describe(dir: string, configFile: string | null, why: string, others: string[]): SourceDir {
  const real = fs.realpathSync(dir);
  const sqlite = isFile(path.join(real, "state", "openclaw.sqlite")) || agentDatabases(real).length > 0;
  const name = path.basename(configFile ?? "") || path.basename(real);
  const product = /clawdbot/.test(name) ? "Clawdbot" : /mol[td]bot/.test(name) ? "Moltbot" : "OpenClaw";
  return { dir: real, configFile, why, product: sqlite ? "OpenClaw" : product, layout: sqlite ? "sqlite" : "files", others };
}

function checked(dir: string, configFile: string | null, why: string, looked: string[], others: string[] = []): SourceDir {
  if (!isDir(dir))
    throw notFound(
      `Cannot import: ${dir} (${why}) is not a directory`,
      looked,
      "Give the OpenClaw state dir with `--from DIR` (for example --from ~/.openclaw).",
    );
  const config = configFile ?? configIn(dir);
  if (!config && !holdsState(dir))
    throw notFound(
      `Cannot import: ${dir} (${why}) holds no OpenClaw state: no ${CONFIG_NAMES.join(", ")}, no state/openclaw.sqlite, no agents/`,
      looked,
      "Give the OpenClaw state dir with `--from DIR`: the folder holding openclaw.json (or clawdbot.json).",
    );
  return describe(dir, config, why, others);
}

/** Finds the state dir to import; throws IMPORT_SOURCE_NOT_FOUND naming every place it looked. */
export function findSource(q: SourceQuery): SourceDir {
  const env = q.env;
  const home = openclawHome(env, q.home ?? env.HOME ?? "/");
  if (q.from !== undefined) {
    const p = expand(q.from, home);
    if (isFile(p)) return checked(path.dirname(p), p, "--from (a config file)", [p]);
    if (!fs.existsSync(p)) throw notFound(`Cannot import from ${p}: no such directory`, [p], "Give the OpenClaw state dir, e.g. `--from ~/.openclaw`.");
    return checked(p, null, "--from", [p]);
  }
  if (q.profile !== undefined) {
    if (!PROFILE.test(q.profile))
      throw new OnebrainError("USAGE", `Cannot use ${JSON.stringify(q.profile)} as an OpenClaw profile: expected letters, digits, "-" or "_" (at most 64)`, {
        hint: "Give the name you used with `openclaw --profile NAME`.",
      });
    const looked = ["openclaw", "moltbot", "clawdbot"].map((n) => path.join(home, `.${n}-${q.profile}`));
    const hit = looked.find(isDir);
    if (!hit)
      throw notFound(
        `Cannot import OpenClaw profile ${q.profile}: none of ${looked.join(", ")} exists`,
        looked,
        "Check the name (`ls -d ~/.openclaw-*`), or give the dir with `--from DIR`.",
      );
    return checked(hit, null, `--profile ${q.profile}`, looked);
  }
  for (const [stateVar, configVar] of [
    ["OPENCLAW_STATE_DIR", "OPENCLAW_CONFIG_PATH"],
    ["MOLTBOT_STATE_DIR", "MOLTBOT_CONFIG_PATH"],
    ["CLAWDBOT_STATE_DIR", "CLAWDBOT_CONFIG_PATH"],
  ] as const) {
    const stateDir = env[stateVar]?.trim() ? expand(env[stateVar]!, home) : undefined;
    const config = env[configVar]?.trim() ? expand(env[configVar]!, home) : undefined;
    if (!stateDir && !config) continue;
    const why = stateDir ? stateVar : configVar;
    const dir = stateDir ?? path.dirname(config!);
    const looked = [dir, ...(config ? [config] : [])];
    if (config && !isFile(config))
      throw notFound(
        `Cannot import: ${configVar} names ${config}, which is not a file`,
        looked,
        `Fix or unset ${configVar}, or give the dir with \`--from DIR\`.`,
      );
    if (!isDir(dir))
      throw notFound(`Cannot import: ${why} names ${dir}, which is not a directory`, looked, `Fix or unset ${why}, or give the dir with \`--from DIR\`.`);
    return checked(dir, config ?? null, why, looked);
  }
  const looked = DEFAULT_DIRS.map((n) => path.join(home, n));
  const seen = new Map<string, string>();
  for (const dir of looked) if (isDir(dir) && holdsState(dir) && !seen.has(fs.realpathSync(dir))) seen.set(fs.realpathSync(dir), dir);
  const found = [...seen.values()];
  if (!found.length)
    throw notFound(
      `Cannot import: no OpenClaw state dir found (looked for ${looked.join(", ")}; OPENCLAW_STATE_DIR, CLAWDBOT_STATE_DIR and MOLTBOT_STATE_DIR are not set)`,
      looked,
      "Give the dir with `--from DIR`, or the profile with `--profile NAME` (~/.openclaw-NAME).",
    );
  const [first, ...rest] = found;
  return checked(
    first!,
    null,
    `${first!.replace(home, "~")} exists`,
    looked,
    rest.map((d) => fs.realpathSync(d)),
  );
}
