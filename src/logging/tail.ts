/**
 * Reading the log file from outside the writer: `logs.tail` over RPC and `onebrain logs [--follow]`.
 * Only the bytes needed are read, and only complete lines are ever returned: the writer may be
 * half way through a line, and a cursor always points just past a newline.
 */
import fs from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { formatLine, type ConsoleStyle, type FormatOptions } from "./console.ts";

export interface TailOptions {
  file: string;
  /** A byte offset from a previous result: return only lines written since. */
  cursor?: number;
  /** Most lines to return; default 200, at most 5000. */
  limit?: number;
  /** Most bytes to read; default 256 KiB, at most 4 MiB. */
  maxBytes?: number;
}

export interface TailResult {
  file: string;
  /** Pass back to get what follows; the offset just past the last returned line. */
  cursor: number;
  size: number;
  lines: string[];
  /** Lines between the start point (the cursor, or the file start) and the first returned line were skipped. */
  truncated: boolean;
  /** The file shrank below the cursor (rotated or truncated); reading restarted at its beginning. */
  reset: boolean;
}

const DEFAULT_LIMIT = 200;
const MAX_LIMIT = 5000;
export const DEFAULT_MAX_BYTES = 256 * 1024;
export const MAX_BYTES = 4 * 1024 * 1024;
const FIRST_WINDOW = 16 * 1024;
const NL = 0x0a;

/** The last lines of a log file, or with a cursor the complete lines written since that cursor. */
export async function tailLog(options: TailOptions): Promise<TailResult> {
  const { ino: _ino, ...result } = await readSlice(options);
  return result;
}

export interface FollowOptions {
  intervalMs?: number;
  signal?: AbortSignal;
  /** Lines shown before following; default 200. */
  limit?: number;
  /** Start at this cursor (of an earlier `tailLog`) instead of showing the last lines: nothing missed, nothing repeated. */
  cursor?: number;
}

/** Calls `onLines` with the last lines, then with new lines as they are written, across rotations, until `signal` aborts. */
export async function followLog(
  file: string,
  onLines: (lines: string[], info: { reset: boolean; truncated: boolean; cursor: number }) => void | Promise<void>,
  options: FollowOptions = {},
): Promise<void> {
  const { intervalMs = 1000, signal } = options;
  let prev = await readSlice(
    options.cursor === undefined ? { file, limit: options.limit } : { file, cursor: options.cursor, limit: MAX_LIMIT, maxBytes: MAX_BYTES },
  );
  if (prev.lines.length) await onLines(prev.lines, { reset: prev.reset, truncated: prev.truncated, cursor: prev.cursor });
  while (!signal?.aborted) {
    try {
      await sleep(intervalMs, undefined, { signal });
    } catch {
      return; // aborted
    }
    let next = await readSlice({ file, cursor: prev.cursor, limit: MAX_LIMIT, maxBytes: MAX_BYTES });
    if (next.ino !== undefined && prev.ino !== undefined && next.ino !== prev.ino) {
      // Rotated: the lines written after our last read and before the rename are now in `.1`.
      const old = await readSlice({ file: `${file}.1`, cursor: prev.cursor });
      if (old.ino === prev.ino && old.lines.length) await onLines(old.lines, { reset: false, truncated: old.truncated, cursor: 0 });
      next = await readSlice({ file, cursor: 0 });
    } else if (next.ino === undefined) {
      continue; // between rename and reopen: keep our place and look again
    }
    if (next.lines.length || next.reset) await onLines(next.lines, { reset: next.reset, truncated: next.truncated, cursor: next.cursor });
    prev = next;
  }
}

/** Renders a file log line for the CLI; a line that is not pino JSON is shown as it is. */
export function formatLogLine(line: string, style: ConsoleStyle, options: FormatOptions = {}): string {
  return formatLine(line, style, options);
}

interface Slice extends TailResult {
  /** The inode read, so a follower can tell a rotation from a truncation; undefined when missing. */
  ino: number | undefined;
}

async function readSlice(options: TailOptions): Promise<Slice> {
  const limit = clamp(options.limit ?? DEFAULT_LIMIT, 1, MAX_LIMIT);
  const maxBytes = clamp(options.maxBytes ?? DEFAULT_MAX_BYTES, 1, MAX_BYTES);
  const cursor = options.cursor === undefined ? undefined : Math.max(0, Math.floor(options.cursor));
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(options.file, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    // Not written yet, or caught between rename and reopen: nothing to read, cursor kept.
    return { file: options.file, cursor: cursor ?? 0, size: 0, lines: [], truncated: false, reset: false, ino: undefined };
  }
  try {
    // fstat on the open handle: a rotation after this point cannot mix two files in one answer.
    const st = await fh.stat();
    const size = st.size;
    const reset = cursor !== undefined && cursor > size;
    const startPoint = cursor === undefined || reset ? 0 : cursor;
    let window = cursor === undefined ? Math.min(FIRST_WINDOW, maxBytes) : maxBytes;
    for (;;) {
      const from = Math.max(startPoint, size - window);
      const found = await completeLines(fh, from, size);
      const count = found.starts.length;
      const enough = count >= limit || from === startPoint || window >= maxBytes;
      if (enough) {
        const keep = Math.max(0, count - limit);
        const next = found.end ?? startPoint;
        const first = keep < count ? found.base + found.starts[keep]! : next;
        // Only the returned lines become strings: a 4 MiB window of short lines is far more than `limit`.
        const lines: string[] = [];
        for (let i = keep; i < count; i++) lines.push(found.buf.toString("utf8", found.starts[i], found.stops[i]));
        return {
          file: options.file,
          cursor: next,
          size,
          lines,
          truncated: first > startPoint,
          reset,
          ino: st.ino,
        };
      }
      // Too few lines yet: widen the window from the end, so 200 lines of a 10 MB file cost ~40 KB.
      window = Math.min(window * 4, maxBytes);
    }
  } finally {
    await fh.close();
  }
}

// The complete lines in [from, end), as positions in `buf` (file offset = base + position): a
// partial first line (from is mid-line) and a partial last line (still being written) are both
// left out. Splitting bytes on 0x0a is UTF-8 safe.
async function completeLines(
  fh: fs.FileHandle,
  from: number,
  end: number,
): Promise<{ buf: Buffer; base: number; starts: number[]; stops: number[]; end: number | null }> {
  const lead = from > 0 ? 1 : 0; // one byte before `from` tells whether it starts a line
  const base = from - lead;
  const buf = await readAt(fh, base, end - base);
  const starts: number[] = [];
  const stops: number[] = [];
  const aligned = lead === 0 || buf[0] === NL;
  let pos = aligned ? lead : buf.indexOf(NL, lead) + 1;
  if (!aligned && pos === 0) return { buf, base, starts, stops, end: null }; // mid-line with no newline after: nothing complete
  let lineEnd: number | null = aligned ? null : base + pos;
  for (;;) {
    const nl = buf.indexOf(NL, pos);
    if (nl === -1) break;
    const stop = nl > pos && buf[nl - 1] === 0x0d ? nl - 1 : nl;
    if (stop > pos) {
      starts.push(pos);
      stops.push(stop);
    }
    pos = nl + 1;
    lineEnd = base + pos;
  }
  return { buf, base, starts, stops, end: lineEnd };
}

async function readAt(fh: fs.FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(Math.max(0, length));
  let got = 0;
  while (got < buf.length) {
    const { bytesRead } = await fh.read(buf, got, buf.length - got, position + got);
    if (bytesRead === 0) break; // truncated under us: use what we have
    got += bytesRead;
  }
  return buf.subarray(0, got);
}

function clamp(n: number, min: number, max: number): number {
  return Number.isFinite(n) ? Math.min(max, Math.max(min, Math.floor(n))) : min;
}
