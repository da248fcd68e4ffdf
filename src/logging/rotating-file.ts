/**
 * The gateway's log file: JSON lines appended to `gateway.log`, rotated by size to
 * `gateway.log.1` ... `gateway.log.N`.
 *
 * Writes are synchronous `fs.writeSync` calls on one descriptor, not sonic-boom. A gateway logs
 * tens of lines a second at most, so one syscall per line is cheap; in exchange every line is on
 * disk when `write` returns (a SIGTERM, a crash or `process.exit` loses nothing), the byte count
 * used for rotation is exact, and rotation is close/rename/open with no buffered data in flight
 * and no reopen race.
 */
import fs from "node:fs";
import path from "node:path";

export interface RotatingFileOptions {
  /** Rotate once the file would grow past this many bytes. */
  maxBytes: number;
  /** How many rotated files to keep (`.1` is the newest); older ones are deleted. */
  maxFiles: number;
  /** Told about write and rotation failures; logging itself never throws into the caller. */
  onError?: (err: Error) => void;
}

/** A pino destination that appends to `file` and rotates it by size. */
export class RotatingFile {
  readonly file: string;
  readonly maxBytes: number;
  readonly maxFiles: number;
  /** The last write or rotation failure, kept for `doctor`-style reporting. */
  lastError: Error | null = null;
  private fd: number | null = null;
  private bytes = 0;
  private ended = false;
  private readonly onError: (err: Error) => void;

  constructor(file: string, options: RotatingFileOptions) {
    this.file = path.resolve(file);
    this.maxBytes = Math.max(1, options.maxBytes);
    this.maxFiles = Math.max(1, Math.floor(options.maxFiles));
    this.onError = options.onError ?? reportOnce();
    // Opening eagerly makes a bad path (unwritable dir) throw at startup, where it can be reported;
    // later failures (disk full, dir removed) only reach onError.
    this.open(true);
  }

  /** Bytes in the current file, including what was there before this process opened it. */
  get size(): number {
    return this.bytes;
  }

  /** Appends one chunk (pino hands us whole lines), rotating first if it would pass maxBytes. */
  write(chunk: string): boolean {
    if (this.ended) return false;
    const data = Buffer.from(chunk, "utf8");
    try {
      if (this.bytes > 0 && this.bytes + data.length > this.maxBytes) this.rotate();
      if (this.fd === null) this.open();
      let off = 0;
      while (off < data.length) off += fs.writeSync(this.fd!, data, off, data.length - off);
      this.bytes += data.length;
    } catch (err) {
      this.fail(err);
    }
    return true;
  }

  /** Shifts `file` -> `file.1` -> ... -> `file.N`, drops the oldest, and opens a fresh file. */
  rotate(): void {
    this.close();
    try {
      fs.rmSync(`${this.file}.${this.maxFiles}`, { force: true });
      for (let i = this.maxFiles - 1; i >= 1; i--) renameIfExists(`${this.file}.${i}`, `${this.file}.${i + 1}`);
      renameIfExists(this.file, `${this.file}.1`);
    } catch (err) {
      // A failed rename must not stop logging: carry on appending to whatever file is there.
      this.fail(err);
    }
    this.open();
  }

  /** Nothing is buffered, so this only exists for pino's multistream and the shutdown path. */
  flushSync(): void {
    if (this.fd !== null) {
      try {
        fs.fsyncSync(this.fd);
      } catch {
        // fsync can fail on some filesystems (EINVAL); the data already reached the kernel.
      }
    }
  }

  /** Closes the file; later writes are dropped rather than reopening it. */
  end(): void {
    this.flushSync();
    this.close();
    this.ended = true;
  }

  private open(rethrow = false): void {
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      const fd = fs.openSync(this.file, "a", 0o600);
      const st = fs.fstatSync(fd);
      // Logs may hold ids and masked secrets: tighten a file someone created more openly.
      if ((st.mode & 0o077) !== 0) fs.fchmodSync(fd, 0o600);
      this.fd = fd;
      this.bytes = st.size;
    } catch (err) {
      this.fd = null;
      if (rethrow) throw err;
      this.fail(err);
    }
  }

  private close(): void {
    if (this.fd === null) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      // Already closed or the fd is gone; either way we are done with it.
    }
    this.fd = null;
  }

  private fail(err: unknown): void {
    const e = err instanceof Error ? err : new Error(String(err));
    this.lastError = e;
    this.onError(e);
  }
}

function renameIfExists(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}

// A full disk would otherwise print one warning per log line.
function reportOnce(): (err: Error) => void {
  const seen = new Set<string>();
  return (err) => {
    const key = (err as NodeJS.ErrnoException).code ?? err.message;
    if (seen.has(key)) return;
    seen.add(key);
    process.stderr.write(`onebrain: cannot write the log file: ${err.message}\n`);
  };
}
