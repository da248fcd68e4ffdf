/** Crash-safe file writes: write a temp file beside the target, fsync, rename. */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export interface AtomicWriteOptions {
  /** File mode for a new file; an existing file keeps its own mode unless `forceMode`. */
  mode?: number;
  forceMode?: boolean;
}

/** Writes `data` to `file` so that readers see the old or the new content, never a mix. */
export function writeFileAtomic(file: string, data: string, options: AtomicWriteOptions = {}): void {
  let mode = options.mode ?? 0o600;
  if (!options.forceMode) {
    try {
      mode = fs.statSync(file).mode & 0o777;
    } catch {
      // New file: use the requested mode.
    }
  }
  const tmp = syncedTemp(file, data, mode);
  try {
    fs.renameSync(tmp, file);
  } catch (err) {
    // A full disk or a refused rename must not leave temp files behind to pile up.
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * Puts `data` at `file` only if nothing is there, whole or not at all: the synced temp file is
 * linked into place, which fails with EEXIST when another writer was first. False then.
 */
export function createFileAtomic(file: string, data: string, mode = 0o600): boolean {
  const tmp = syncedTemp(file, data, mode);
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/**
 * A temp file beside `file` holding `data`, fsynced, with `mode`. A random name opened exclusively
 * ("wx"): a file or symlink someone planted under a guessable temp name is never written through.
 * The name is cut so a long file name stays under NAME_MAX. Nothing is left behind on failure.
 */
function syncedTemp(file: string, data: string, mode: number): string {
  const tmp = path.join(path.dirname(file), `.${path.basename(file).slice(0, 60)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const fd = fs.openSync(tmp, "wx", mode);
  try {
    try {
      fs.writeSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.chmodSync(tmp, mode); // umask may have narrowed openSync's mode
    return tmp;
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}
