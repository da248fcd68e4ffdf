/**
 * Lines of a JSONL file read with a cap per line: a transcript line of gigabytes (or a file that
 * is one endless line) costs at most the cap in memory, and is reported instead of read. The
 * file is read in chunks through one descriptor; nothing is written.
 */
import fs from "node:fs";

/** The most a transcript line may hold: OpenClaw stores an event of up to 4 MiB. */
export const MAX_LINE_BYTES = 4 * 1024 * 1024;

/** One line: its text, or why it was not read (`tooBig` with its size, or another `problem`). */
export type RawLine = { n: number; text: string } | { n: number; tooBig: number } | { n: number; problem: string };

const CHUNK = 64 * 1024;

/** The lines of `file` (1-based numbers; empty lines skipped). */
export function* readLines(file: string, maxBytes = MAX_LINE_BYTES): Generator<RawLine> {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    if (!fs.fstatSync(fd).isFile()) return;
    const buf = Buffer.allocUnsafe(CHUNK);
    let parts: Buffer[] = [];
    let held = 0;
    let size = 0; // bytes of the current line, kept or not
    let n = 0;
    const end = function* (): Generator<RawLine> {
      n++;
      if (size > maxBytes) yield { n, tooBig: size };
      else if (size > 0) {
        const text = Buffer.concat(parts, held).toString("utf8").replace(/\r$/, "");
        if (text.trim() !== "") yield { n, text };
      }
      parts = [];
      held = 0;
      size = 0;
    };
    for (;;) {
      const got = fs.readSync(fd, buf, 0, CHUNK, null);
      if (got === 0) break;
      let from = 0;
      while (from < got) {
        const nl = buf.indexOf(10, from);
        const stop = nl === -1 || nl >= got ? got : nl;
        const piece = stop - from;
        size += piece;
        if (size <= maxBytes && piece > 0) {
          parts.push(Buffer.from(buf.subarray(from, stop)));
          held += piece;
        } else if (size > maxBytes && parts.length) {
          parts = []; // over the cap: drop what was held, keep counting
          held = 0;
        }
        if (stop === got) break;
        yield* end();
        from = stop + 1;
      }
    }
    if (size > 0) yield* end();
  } finally {
    fs.closeSync(fd);
  }
}
