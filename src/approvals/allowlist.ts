/**
 * The exec allowlist: executables always allowed, from config (`tools.exec.allowlist`: absolute
 * paths, matched after resolving symlinks, or bare names resolved on PATH) and from "allow always"
 * answers (the `exec_allowlist` table). Matching is by resolved path only: a name on the list never
 * allows a different file that happens to share it.
 */
import fs from "node:fs";
import path from "node:path";
import type { StoreHandle } from "../store/handle.ts";

function realOrSelf(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

/** True when a config entry names `executable` (a resolved path): the same path, its symlink target, or a bare name PATH resolves to it. */
export function configAllows(entries: readonly string[], executable: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (!entries.length || !path.isAbsolute(executable)) return false;
  const target = realOrSelf(executable);
  for (const raw of entries) {
    const entry = raw.trim();
    if (!entry) continue;
    if (path.isAbsolute(entry)) {
      if (entry === executable || realOrSelf(entry) === target) return true;
      continue;
    }
    if (entry.includes("/")) continue; // a relative path means nothing without a cwd: never a match
    const found = onPath(entry, env);
    if (found !== null && realOrSelf(found) === target) return true;
  }
  return false;
}

/** The first executable file named `name` on PATH (absolute directories only), as a shell would find it; null when none. */
function onPath(name: string, env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? "").split(":")) {
    if (!path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here: the next directory
    }
  }
  return null;
}

/** True when an "allow always" answer put `executable` on the table. */
export function tableAllows(store: StoreHandle, executable: string): boolean {
  return store.prepare("SELECT 1 FROM exec_allowlist WHERE executable = ?").get(executable) !== undefined;
}

/** Adds executables to the table (inside the caller's transaction); one already there keeps its first entry. */
export function addToAllowlist(store: StoreHandle, executables: readonly string[], by: string, approvalId: string | null, now: number): void {
  const insert = store.prepare(
    "INSERT INTO exec_allowlist (executable, added_at, added_by, approval_id) VALUES (?, ?, ?, ?) ON CONFLICT (executable) DO NOTHING",
  );
  for (const exe of executables) insert.run(exe, now, by, approvalId);
}
