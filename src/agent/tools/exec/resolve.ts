/**
 * Which program a command word names, as the allowlist sees it.
 *
 * A program's identity is its real path (`/usr/bin/echo`), so a link or a copy in the workspace
 * named like an allowed program is not that program. One exception: a link whose name differs
 * from its target's (`/usr/bin/sh` -> `dash`, `echo` -> a multi-call `busybox` or `coreutils`)
 * keeps its own name, with its directories resolved (`/bin/sh` -> `/usr/bin/sh`): a program that
 * dispatches on the name it was started under is a different program under each name, and
 * allowing `echo` must not allow every other applet of the same binary.
 */
import fs from "node:fs";
import path from "node:path";

/** A command word resolved: `identity` is what the allowlist matches and the path that runs. */
export interface Resolved {
  identity: string;
  /** The file's real path (for a renamed link, its target). */
  real: string;
}

/** The identity of an executable file, or null when it is not an executable regular file. */
export function identify(file: string): Resolved | null {
  try {
    const real = fs.realpathSync(file);
    if (!fs.statSync(real).isFile()) return null;
    fs.accessSync(real, fs.constants.X_OK);
    const name = path.basename(file);
    if (path.basename(real) === name) return { identity: real, real };
    return { identity: path.join(fs.realpathSync(path.dirname(file)), name), real };
  } catch {
    return null;
  }
}

/**
 * Resolves a command word as `execvp` would: a word with a slash against `cwd`, a bare name on
 * `searchPath`. Relative PATH entries (`.`, empty) are skipped: a name must not find a file the
 * command itself could have dropped in its working directory.
 */
export function resolveCommand(word: string, searchPath: string, cwd: string): Resolved | null {
  if (word === "" || word.includes("\0")) return null;
  if (word.includes("/")) return identify(path.resolve(cwd, word));
  for (const dir of searchPath.split(":")) {
    if (!path.isAbsolute(dir)) continue;
    const found = identify(path.join(dir, word));
    if (found) return found;
  }
  return null;
}

/**
 * The identities of the configured allowlist: absolute paths as they are, bare names on
 * `searchPath` skipping directories inside the workspace (an entry `ls` means the system's ls,
 * never a file the agent could write into a PATH directory of its own); an entry that names
 * nothing executable is left out.
 */
export function allowlistIdentities(entries: readonly string[], searchPath: string, workspace: string): Set<string> {
  const outside = searchPath
    .split(":")
    .filter((dir) => {
      const rel = path.relative(workspace, realDir(dir));
      return rel.startsWith("..") || path.isAbsolute(rel);
    })
    .join(":");
  const out = new Set<string>();
  for (const entry of entries) {
    if (!path.isAbsolute(entry) && entry.includes("/")) continue; // relative to what? never guessed
    const found = path.isAbsolute(entry) ? identify(entry) : resolveCommand(entry, outside, "/");
    if (found) out.add(found.identity);
  }
  return out;
}

function realDir(dir: string): string {
  try {
    return fs.realpathSync(dir);
  } catch {
    return dir;
  }
}
