/** `read`: a text file's lines, numbered, from a line offset, within the read cap. */
import { defineTool, fail, ok, type ToolOutcome } from "../define.ts";
import type { Tool, ToolContext } from "../types.ts";
import { isRefusal, resolveFile } from "./confine.ts";
import { bytes, looksBinary, pathProperty, refused, rootOf } from "./common.ts";
import { openFileChecked, type OpenFile } from "./open.ts";

interface ReadInput {
  path: string;
  offset?: number;
  limit?: number;
}

const DEFAULT_LIMIT = 2000;
/** Characters of one line shown; a minified file's one long line would otherwise fill the cap. */
const MAX_LINE_CHARS = 2000;
const CHUNK = 64 * 1024;

/** Reads lines [offset, offset + limit) of an open file, stopping at the byte cap. */
async function readLines(file: OpenFile, rel: string, offset: number, limit: number, cap: number, signal: AbortSignal): Promise<ToolOutcome> {
  const size = Number(file.stat.size);
  if (size === 0) return ok(`"${rel}" is empty (0 bytes).`);
  const out: string[] = [];
  const end = offset + limit;
  const decoder = new TextDecoder("utf-8");
  const buf = Buffer.alloc(CHUNK);
  let outBytes = 0;
  let lineNo = 1;
  let partial = "";
  let partialExtra = 0; // characters of the current line beyond what is kept
  let pos = 0;
  let stop: "limit" | "cap" | null = null;
  let more = false;

  /** Takes one complete line; false once nothing more is wanted. */
  const take = (line: string, extra: number): boolean => {
    if (lineNo >= offset) {
      const text = line.endsWith("\r") ? line.slice(0, -1) : line;
      const cut = extra > 0 ? ` ... [line cut: ${extra} more characters]` : "";
      const rendered = `${String(lineNo).padStart(6)}\t${text}${cut}`;
      const n = Buffer.byteLength(rendered) + 1;
      if (out.length > 0 && outBytes + n > cap) {
        stop = "cap";
        return false;
      }
      out.push(rendered);
      outBytes += n;
    }
    lineNo++;
    if (lineNo >= end) stop = "limit";
    return stop === null;
  };

  scan: for (;;) {
    if (signal.aborted) return fail(`The run was cancelled while reading "${rel}".`);
    const { bytesRead } = await file.handle.read(buf, 0, CHUNK, pos);
    if (pos === 0 && looksBinary(buf.subarray(0, bytesRead))) {
      return fail(`"${rel}" looks like a binary file (it contains NUL bytes); read shows text files only.`);
    }
    if (bytesRead === 0) {
      const rest = partial + decoder.decode();
      if (rest !== "") take(rest, partialExtra);
      break;
    }
    pos += bytesRead;
    const text = partial + decoder.decode(buf.subarray(0, bytesRead), { stream: true });
    let start = 0;
    for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
      const line = text.slice(start, nl);
      const extra = partialExtra + Math.max(0, line.length - MAX_LINE_CHARS);
      partialExtra = 0;
      start = nl + 1;
      if (!take(line.slice(0, MAX_LINE_CHARS), extra)) {
        more = stop === "cap" || start < text.length || pos < size;
        break scan;
      }
    }
    partial = text.slice(start);
    if (partial.length > MAX_LINE_CHARS) {
      partialExtra += partial.length - MAX_LINE_CHARS;
      partial = partial.slice(0, MAX_LINE_CHARS);
    }
  }

  const lines = lineNo - 1;
  if (out.length === 0) return ok(`"${rel}" has ${lines} line${lines === 1 ? "" : "s"}; offset ${offset} is past its end.`);
  const last = offset + out.length - 1;
  let note = "";
  if (stop === "cap") note = `\n[Output reached the read cap of ${bytes(cap)} at line ${last}; read again with offset=${last + 1}.]`;
  else if (more) note = `\n[Showing lines ${offset}-${last}; more follow: read again with offset=${last + 1}.]`;
  return ok(out.join("\n") + note);
}

/** The read tool. */
export function readTool(): Tool {
  return defineTool<ReadInput>({
    name: "read",
    group: "fs",
    sideEffects: false,
    concurrent: true,
    description:
      "Read a text file in the workspace. Each output line starts with its line number and a tab (not part of the file). " +
      `Reads up to "limit" lines (default ${DEFAULT_LIMIT}) from line "offset" (1-based, default 1); the output is capped ` +
      `(256 KiB by default) and lines longer than ${MAX_LINE_CHARS} characters are cut; the result says where to continue. ` +
      "Binary files, hard-linked files, devices and pipes, and paths outside the workspace are refused.",
    inputSchema: {
      type: "object",
      properties: {
        path: pathProperty('File path relative to the workspace (or absolute inside it), e.g. "notes/todo.md".'),
        offset: { type: "integer", minimum: 1, description: "First line to show, 1-based. Default 1." },
        limit: { type: "integer", minimum: 1, maximum: 100_000, description: `Most lines to show. Default ${DEFAULT_LIMIT}.` },
      },
      required: ["path"],
      additionalProperties: false,
    },
    async run(input, ctx: ToolContext) {
      const ws = rootOf(ctx);
      if (typeof ws !== "string") return ws;
      const r = resolveFile(ws, input.path);
      if (isRefusal(r)) return refused(r);
      if (r.stat === null) return fail(`"${r.rel}" does not exist.`);
      const file = await openFileChecked(ws, r.rel, r.abs, r.stat);
      if (isRefusal(file)) return refused(file);
      try {
        return await readLines(file, r.rel, input.offset ?? 1, input.limit ?? DEFAULT_LIMIT, ctx.config.fs.maxReadBytes, ctx.signal);
      } finally {
        await file.handle.close();
      }
    },
  });
}
