/**
 * The file side of a service install: the unit file (written atomically, never silently replaced),
 * the service user's state dir and env file, whether that user can read what the unit runs, and
 * the foreground command for hosts without systemd. Directories are parameters, so tests install
 * into temp dirs.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { OnebrainError } from "../shared/errors.ts";
import { writeFileAtomic } from "../shared/fs-atomic.ts";

export interface UnitWrite {
  path: string;
  result: "created" | "updated" | "unchanged";
}

/** What writing the unit would do; throws SERVICE_EXISTS when a different unit is there and `force` is not given. */
export function checkUnitFile(opts: { dir: string; name: string; text: string; force?: boolean }): { path: string; existing: string | null } {
  const file = path.join(opts.dir, `${opts.name}.service`);
  let existing: string | null = null;
  try {
    existing = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  if (existing !== null && existing !== opts.text && !opts.force) {
    throw new OnebrainError("SERVICE_EXISTS", `A different unit is already installed at ${file}`, {
      hint: "Compare it with `onebrain gateway install --print`; replace it with `onebrain gateway install --force`.",
      details: { unitPath: file },
    });
  }
  return { path: file, existing };
}

/** Writes `<dir>/<name>.service` (0644). A different existing unit is replaced only with `force`. */
export function writeUnitFile(opts: { dir: string; name: string; text: string; force?: boolean }): UnitWrite {
  const { path: file, existing } = checkUnitFile(opts);
  if (existing === opts.text) return { path: file, result: "unchanged" };
  fs.mkdirSync(opts.dir, { recursive: true, mode: 0o755 });
  writeFileAtomic(file, opts.text, { mode: 0o644, forceMode: true });
  return { path: file, result: existing === null ? "created" : "updated" };
}

/** Removes `<dir>/<name>.service`; false when there was none. */
export function removeUnitFile(opts: { dir: string; name: string }): boolean {
  try {
    fs.unlinkSync(path.join(opts.dir, `${opts.name}.service`));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}

export interface ServiceUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
  /** Supplementary group ids (from the group file). */
  groups: number[];
}

/** Looks a user up in the passwd and group files, then (for directory users, with the real files) through `getent`/`id`; null when unknown. */
export function lookupUser(name: string, files: { passwd?: string; group?: string } = {}): ServiceUser | null {
  const local = lookupLocalUser(name, files);
  if (local || files.passwd !== undefined || !/^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/.test(name)) return local;
  try {
    const f = execFileSync("getent", ["passwd", name], { encoding: "utf8", timeout: 5_000, stdio: ["ignore", "pipe", "ignore"] })
      .trim()
      .split(":");
    const groups = execFileSync("id", ["-G", name], { encoding: "utf8", timeout: 5_000, stdio: ["ignore", "pipe", "ignore"] })
      .trim()
      .split(/\s+/)
      .map(Number);
    return f.length >= 7 ? { name, uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? "/", groups } : null;
  } catch {
    return null;
  }
}

function lookupLocalUser(name: string, files: { passwd?: string; group?: string }): ServiceUser | null {
  const read = (f: string) => {
    try {
      return fs.readFileSync(f, "utf8");
    } catch {
      return "";
    }
  };
  for (const line of read(files.passwd ?? "/etc/passwd").split("\n")) {
    const f = line.split(":");
    if (f[0] !== name || f.length < 7) continue;
    const gid = Number(f[3]);
    const groups = read(files.group ?? "/etc/group")
      .split("\n")
      .map((l) => l.split(":"))
      .filter((g) => g.length >= 4 && (g[3] ?? "").split(",").includes(name))
      .map((g) => Number(g[2]));
    return { name, uid: Number(f[2]), gid, home: f[5] ?? "/", groups: [gid, ...groups] };
  }
  return null;
}

/** Whether `user` may open `file` for `mode` (r or x), checking mode bits along the whole path (not ACLs). */
export function accessFor(user: ServiceUser, file: string, mode: "r" | "x"): { ok: true } | { ok: false; blocker: string } {
  if (user.uid === 0) return { ok: true };
  const allowed = (st: fs.Stats, bit: number) => {
    const shift = st.uid === user.uid ? 6 : user.groups.includes(st.gid) ? 3 : 0;
    return ((st.mode >> shift) & bit) !== 0;
  };
  const parts = path.resolve(file).split(path.sep).filter(Boolean);
  let p = "/";
  for (let i = 0; i < parts.length; i++) {
    p = path.join(p, parts[i]!);
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch {
      return { ok: false, blocker: `${p} does not exist` };
    }
    const last = i === parts.length - 1;
    const bit = !last ? 1 : mode === "r" ? 4 : 1;
    if (!allowed(st, bit)) return { ok: false, blocker: `${p} (mode ${(st.mode & 0o777).toString(8).padStart(4, "0")}, owner uid ${st.uid})` };
  }
  return { ok: true };
}

/**
 * Makes the state dir ready for its service user: created 0700 and owned by them when missing;
 * an existing one must already belong to them (it is never chowned recursively behind anyone's back).
 */
export function prepareStateDir(stateDir: string, owner: { uid: number; gid: number; name: string } | null): { created: boolean } {
  let created = false;
  if (!fs.existsSync(stateDir)) {
    try {
      fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new OnebrainError("STATE_DIR_UNUSABLE", `Cannot create state dir ${stateDir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
        cause: err,
      });
    }
    if (owner) fs.chownSync(stateDir, owner.uid, owner.gid);
    created = true;
  }
  const st = fs.statSync(stateDir);
  if (owner && st.uid !== owner.uid) {
    throw new OnebrainError(
      "SERVICE_PERMISSION",
      `The state dir ${stateDir} belongs to uid ${st.uid}, not to the service user ${owner.name} (uid ${owner.uid})`,
      {
        hint: `Give it to the service user (\`chown -R ${owner.name}: ${stateDir}\`) or choose another state dir, then install again.`,
      },
    );
  }
  return { created };
}

const ENV_FILE_HEADER = `# Environment for the onebrain gateway service (KEY=value lines), read by systemd at each start.
# Keep secrets here, not in the unit: ONEBRAIN_GATEWAY_TOKEN=..., ANTHROPIC_API_KEY=..., OPENAI_API_KEY=...
# This file must stay mode 0600.
`;

/** Creates the service's env file (0600, owned by the service user) when missing; never changes an existing one. */
export function ensureEnvFile(file: string, owner: { uid: number; gid: number } | null): { created: boolean } {
  try {
    fs.writeFileSync(file, ENV_FILE_HEADER, { mode: 0o600, flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return { created: false };
    throw err;
  }
  if (owner) fs.chownSync(file, owner.uid, owner.gid);
  return { created: true };
}

/** The node flags in a bin script's `#!/usr/bin/env -S node ...` line, which a unit calling node directly must repeat. */
export function shebangNodeFlags(binPath: string): string[] {
  const first = fs.readFileSync(binPath, "utf8").split("\n", 1)[0] ?? "";
  if (!first.startsWith("#!")) return [];
  const words = first
    .replace(/^#!\S+\s*(-S\s+)?/, "")
    .split(/\s+/)
    .filter(Boolean);
  return words[0] === "node" ? words.slice(1) : [];
}

export interface ForegroundCommand {
  /** Environment assignments the command needs (only variables that selected this brain). */
  env: Record<string, string>;
  argv: string[];
  /** One line to copy: `ONEBRAIN_STATE_DIR=/x onebrain --profile work gateway run`. */
  text: string;
}

const shellWord = (s: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);

/** The command that runs this brain's gateway in the foreground (for containers and hosts without systemd). */
export function foregroundCommand(opts: { program: string; profile: string | undefined; env?: Record<string, string | undefined> }): ForegroundCommand {
  const env = Object.fromEntries(Object.entries(opts.env ?? {}).filter((e): e is [string, string] => Boolean(e[1])));
  const argv = [opts.program, ...(opts.profile ? ["--profile", opts.profile] : []), "gateway", "run"];
  const text = [...Object.entries(env).map(([k, v]) => `${k}=${shellWord(v)}`), ...argv.map(shellWord)].join(" ");
  return { env, argv, text };
}

/** The first PATH entry named `name` that is `file` (through symlinks), or null. */
export function onPath(name: string, file: string, env: Record<string, string | undefined> = process.env): string | null {
  let real: string;
  try {
    real = fs.realpathSync(file);
  } catch {
    return null;
  }
  for (const dir of (env.PATH ?? "").split(":").filter((d) => path.isAbsolute(d))) {
    try {
      if (fs.realpathSync(path.join(dir, name)) === real) return path.join(dir, name);
    } catch {
      // not in this PATH entry
    }
  }
  return null;
}

/** How to call this binary: `onebrain` when that name on PATH is this very file, else its absolute path. */
export function programName(binPath: string, env: Record<string, string | undefined> = process.env): string {
  return onPath("onebrain", binPath, env) ? "onebrain" : binPath;
}

/** The node binary for a unit: the PATH entry that is this node (e.g. /usr/local/bin/node, which survives upgrades), else its real path. */
export function nodeBinary(execPath: string = process.execPath, env: Record<string, string | undefined> = process.env): string {
  return onPath("node", execPath, env) ?? fs.realpathSync(execPath);
}

export interface InstalledFiles {
  unit: UnitWrite;
  stateDirCreated: boolean;
  envFile: string;
  envFileCreated: boolean;
}

/** Everything an install puts on disk: the state dir (and its owner), the env file, the unit file. */
export function installFiles(opts: {
  unitDir: string;
  name: string;
  text: string;
  force?: boolean;
  stateDir: string;
  owner: { uid: number; gid: number; name: string } | null;
}): InstalledFiles {
  checkUnitFile({ dir: opts.unitDir, name: opts.name, text: opts.text, force: opts.force ?? false });
  const { created } = prepareStateDir(opts.stateDir, opts.owner);
  const envFile = path.join(opts.stateDir, "service.env");
  const env = ensureEnvFile(envFile, opts.owner);
  const unit = writeUnitFile({ dir: opts.unitDir, name: opts.name, text: opts.text, force: opts.force ?? false });
  return { unit, stateDirCreated: created, envFile, envFileCreated: env.created };
}
