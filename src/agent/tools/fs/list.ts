/** `list`: a directory's entries with their type and size, optionally recursive to a depth. */
import fs from "node:fs";
import { defineTool, ok } from "../define.ts";
import type { Tool } from "../types.ts";
import { isInside, isRefusal, kindName, resolveInside, shown } from "./confine.ts";
import { pathProperty, refused, rootOf, SKIPPED_DIRS } from "./common.ts";
import { stoppedNote, walk, walkReport, type WalkEntry } from "./walk.ts";

interface ListInput {
  path: string;
  recursive?: boolean;
  maxDepth?: number;
}

const DEFAULT_DEPTH = 3;
/** A listing is bounded by entries (maxResults); this bounds its time on a slow disk. */
const LIST_TIME_MS = 10_000;

/** Where a symbolic link points, and whether it stays inside. */
function describeLink(ws: string, abs: string): string {
  let target: string;
  try {
    target = fs.readlinkSync(abs);
  } catch {
    return "symlink";
  }
  let real: string | null = null;
  try {
    real = fs.realpathSync.native(abs);
  } catch {
    return `symlink -> ${target} (broken)`;
  }
  return isInside(ws, real) ? `symlink -> ${target}` : `symlink -> ${target} (leads outside the workspace; not followed)`;
}

/** One listing line for an entry. */
async function describe(ws: string, e: WalkEntry): Promise<string> {
  if (e.kind === "symlink") return `${e.rel}\t${describeLink(ws, e.abs)}`;
  if (e.kind === "dir") return `${e.rel}/\tdir${SKIPPED_DIRS.has(e.dirent.name) ? " (not descended into)" : ""}`;
  try {
    const st = await fs.promises.lstat(e.abs);
    return e.kind === "file" ? `${e.rel}\tfile, ${st.size} byte${st.size === 1 ? "" : "s"}` : `${e.rel}\t${kindName(st)}`;
  } catch {
    return `${e.rel}\t(vanished)`;
  }
}

/** The list tool. */
export function listTool(): Tool {
  return defineTool<ListInput>({
    name: "list",
    group: "fs",
    sideEffects: false,
    concurrent: true,
    description:
      "List a workspace directory: one line per entry with its path (relative to the workspace), type and size in bytes. " +
      `With recursive: true, subdirectories are listed too, down to maxDepth levels (default ${DEFAULT_DEPTH}, at most 20); ` +
      'symbolic links are shown with their target but never followed, and ".git" and "node_modules" are shown but not descended into. ' +
      'At most 500 entries by default; the result says when it was cut. Use "." for the workspace itself.',
    inputSchema: {
      type: "object",
      properties: {
        path: pathProperty('Directory relative to the workspace (or absolute inside it); "." is the workspace.'),
        recursive: { type: "boolean", description: "Also list subdirectories' entries. Default false." },
        maxDepth: { type: "integer", minimum: 1, maximum: 20, description: `With recursive, how many levels down to go. Default ${DEFAULT_DEPTH}.` },
      },
      required: ["path"],
      additionalProperties: false,
    },
    async run(input, ctx) {
      const ws = rootOf(ctx);
      if (typeof ws !== "string") return ws;
      const r = resolveInside(ws, input.path);
      if (isRefusal(r)) return refused(r);
      if (r.stat === null) return ok(`${shown(r.rel)} does not exist.`);
      if (!r.stat.isDirectory()) {
        const size = r.stat.isFile() ? `, ${r.stat.size} byte${r.stat.size === 1n ? "" : "s"}` : "";
        return ok(`${r.rel}\t${kindName(r.stat)}${size} (not a directory; use read to see a file)`);
      }
      const max = ctx.config.fs.maxResults;
      const depth = input.recursive === true ? (input.maxDepth ?? DEFAULT_DEPTH) : 1;
      const report = walkReport();
      const limits = {
        maxDepth: depth,
        maxEntries: max,
        deadline: Date.now() + LIST_TIME_MS,
        signal: ctx.signal,
        skipDir: (name: string) => SKIPPED_DIRS.has(name),
      };
      const lines: string[] = [];
      for await (const e of walk(ws, r.abs, r.rel, limits, report)) lines.push(await describe(ws, e));
      const where = r.rel === "." ? "The workspace" : `"${r.rel}"`;
      const notes = [stoppedNote(report, max), ...report.unreadable.map((u) => `${shown(u)} could not be read.`)].filter(Boolean);
      if (report.stopped === "entries")
        notes[0] = `Only the first ${max} entries are shown (tools.fs.maxResults); list a subdirectory or use a smaller maxDepth.`;
      const head =
        lines.length === 0
          ? `${where} is empty.`
          : `${where} holds ${lines.length} entr${lines.length === 1 ? "y" : "ies"}${depth > 1 ? ` to depth ${depth}` : ""}:`;
      return ok([head, ...lines, ...notes].join("\n"));
    },
  });
}
