/** Crash-safe file writes: write a temp file beside the target, fsync, rename. */
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
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const fd = fs.openSync(tmp, "w", mode);
  try {
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.chmodSync(tmp, mode); // umask may have narrowed openSync's mode
  fs.renameSync(tmp, file);
}
