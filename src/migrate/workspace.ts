/**
 * Copying the other brain's workspace (AGENTS.md, the agent's files) into this brain's: files
 * this workspace lacks are copied, files it has are kept unless forced. Symlinks and special
 * files are left behind (a link into the old dir would break once it is archived).
 */
import fs from "node:fs";
import path from "node:path";

/** What a workspace copy did (or would do, in a dry run). */
export interface WorkspaceCopy {
  from: string;
  to: string;
  /** Paths relative to the workspace. */
  copied: string[];
  replaced: string[];
  skipped: Array<{ file: string; reason: string }>;
}

function sizeOf(file: string): number {
  return fs.statSync(file).size;
}

/** Copies files of workspace `from` into workspace `to`; `dryRun` only lists them. */
export function copyWorkspace(from: string, to: string, opts: { force: boolean; dryRun: boolean }): WorkspaceCopy {
  const result: WorkspaceCopy = { from, to, copied: [], replaced: [], skipped: [] };
  if (!fs.statSync(from, { throwIfNoEntry: false })?.isDirectory()) return result;
  const walk = (rel: string): void => {
    for (const entry of fs.readdirSync(path.join(from, rel), { withFileTypes: true })) {
      const file = path.join(rel, entry.name);
      const src = path.join(from, file);
      const dst = path.join(to, file);
      if (entry.isDirectory()) {
        walk(file);
        continue;
      }
      if (!entry.isFile()) {
        result.skipped.push({ file, reason: entry.isSymbolicLink() ? "a symlink (it could point into the old dir)" : "not a regular file" });
        continue;
      }
      const here = fs.lstatSync(dst, { throwIfNoEntry: false });
      if (here?.isFile() && here.size === sizeOf(src) && fs.readFileSync(dst).equals(fs.readFileSync(src))) continue; // already the same
      if (here && !opts.force) {
        result.skipped.push({ file, reason: "this workspace has its own (--force replaces it)" });
        continue;
      }
      if (here && !here.isFile()) {
        result.skipped.push({ file, reason: "this workspace has something else at that path" });
        continue;
      }
      if (!opts.dryRun) {
        fs.mkdirSync(path.dirname(dst), { recursive: true, mode: 0o700 });
        fs.copyFileSync(src, dst);
        fs.chmodSync(dst, fs.statSync(src).mode & 0o777);
      }
      (here ? result.replaced : result.copied).push(file);
    }
  };
  walk("");
  return result;
}
