/** `grep`: lines matching a regex or a literal string in the workspace's text files, as `path:line: text`. */
import fs from "node:fs";
import path from "node:path";
import { defineTool, fail, ok, type ToolOutcome } from "../define.ts";
import type { Tool, ToolContext } from "../types.ts";
import { isRefusal, resolveFile, resolveInside, type Resolved } from "./confine.ts";
import { bytes, looksBinary, pathProperty, refused, rootOf, SKIPPED_DIRS } from "./common.ts";
import { compileGlob, type GlobMatcher } from "./glob-match.ts";
import { openFileChecked, readUpTo } from "./open.ts";
import { RegexMatcher, scanLines, type Hit } from "./regex-worker.ts";
import { stoppedNote, walk, walkReport } from "./walk.ts";

interface GrepInput {
  pattern: string;
  path?: string;
  glob?: string;
  literal?: boolean;
  ignoreCase?: boolean;
}

/** Time limits of one grep; tests shrink them. */
export interface GrepOptions {
  /** How long the regex may take on one file before it is judged a runaway. */
  regexTimeoutMs?: number;
  /** The whole search. */
  timeMs?: number;
}

/** Characters of a line searched; a minified file's one huge line is searched in its first part only. */
const MAX_SCAN_LINE = 10_000;
/** Characters of a matching line shown. */
const MAX_SHOW = 300;
/** Files and directories a search looks at before it stops. */
const MAX_WALK = 100_000;

/** Files searched and passed over, counted for the closing notes. */
interface Tally {
  searched: number;
  big: number;
  binary: number;
  refused: number;
}

/** One file's matching lines, or why the file was passed over. */
async function searchFile(
  ws: string,
  r: Resolved,
  cap: number,
  tally: Tally,
  find: (text: string) => Promise<Hit[] | ToolOutcome>,
): Promise<Hit[] | ToolOutcome> {
  if (r.stat === null || !r.stat.isFile()) return [];
  if (r.stat.size > BigInt(cap)) {
    tally.big++;
    return [];
  }
  const file = await openFileChecked(ws, r.rel, r.abs, r.stat);
  if (isRefusal(file)) {
    tally.refused++;
    return [];
  }
  let raw: Buffer;
  try {
    raw = await readUpTo(file.handle, cap);
  } finally {
    await file.handle.close();
  }
  if (looksBinary(raw)) {
    tally.binary++;
    return [];
  }
  tally.searched++;
  return find(raw.toString("utf8"));
}

/** True when a file passes the glob filter (a slash-free glob matches the file name at any depth). */
function globAccepts(glob: GlobMatcher | null, hasSlash: boolean, rel: string, fromRoot: string): boolean {
  if (glob === null) return true;
  return hasSlash ? glob.test(fromRoot) || glob.test(rel) : glob.test(path.posix.basename(rel));
}

/** The grep tool. */
export function grepTool(options: GrepOptions = {}): Tool {
  const regexTimeoutMs = options.regexTimeoutMs ?? 5_000;
  const timeMs = options.timeMs ?? 30_000;
  return defineTool<GrepInput>({
    name: "grep",
    group: "fs",
    sideEffects: false,
    concurrent: true,
    description:
      "Search the workspace's text files for lines matching a JavaScript regular expression (or a literal string with literal: true). " +
      'Results are "path:line: text", paths relative to the workspace, at most 500 by default. Searches "path" (default the whole ' +
      'workspace) recursively; "glob" filters files ("*.ts" matches by name at any depth, "src/**/*.ts" by path). Skipped: binary ' +
      'files, files over the read cap (256 KiB by default), hard-linked files, symbolic links out of the workspace, ".git" and "node_modules" ' +
      `(search them by naming them in path). Only the first ${MAX_SCAN_LINE} characters of a line are searched; a regex that runs too long is stopped.`,
    inputSchema: {
      type: "object",
      properties: {
        pattern: {
          type: "string",
          minLength: 1,
          maxLength: 1000,
          description: "JavaScript regular expression (no slashes or flags), or the literal text with literal: true.",
        },
        path: pathProperty('File or directory to search, relative to the workspace. Default ".".'),
        glob: { type: "string", minLength: 1, maxLength: 1000, description: 'Only files matching this glob, e.g. "*.md" or "src/**/*.{ts,tsx}".' },
        literal: { type: "boolean", description: "Treat pattern as plain text, not a regex. Default false." },
        ignoreCase: { type: "boolean", description: "Match regardless of case. Default false." },
      },
      required: ["pattern"],
      additionalProperties: false,
    },
    async run(input, ctx: ToolContext) {
      const ws = rootOf(ctx);
      if (typeof ws !== "string") return ws;
      const flags = input.ignoreCase === true ? "i" : "";
      if (input.literal !== true) {
        try {
          new RegExp(input.pattern, flags);
        } catch (err) {
          return fail(`${(err as Error).message}. Fix the regular expression, or set literal: true to search for the text as written.`);
        }
      }
      const glob = input.glob === undefined ? null : compileGlob(input.glob);
      if (typeof glob === "string") return fail(glob);
      const root = resolveInside(ws, input.path ?? ".");
      if (isRefusal(root)) return refused(root);
      if (root.stat === null) return fail(`"${root.rel}" does not exist.`);

      const max = ctx.config.fs.maxResults;
      const cap = ctx.config.fs.maxReadBytes;
      const out: string[] = [];
      const tally: Tally = { searched: 0, big: 0, binary: 0, refused: 0 };
      // Set from inside the search when the regex could not finish (its sentence), or "cancelled".
      const state: { failure: string | null } = { failure: null };
      const needle = input.ignoreCase === true ? input.pattern.toLowerCase() : input.pattern;
      const literalTest = input.ignoreCase === true ? (l: string) => l.toLowerCase().includes(needle) : (l: string) => l.includes(needle);
      const matcher = input.literal === true ? null : new RegexMatcher(input.pattern, flags, MAX_SCAN_LINE, regexTimeoutMs);
      const find = async (text: string): Promise<Hit[] | ToolOutcome> => {
        if (matcher === null) return scanLines(text, literalTest, max - out.length, MAX_SCAN_LINE);
        const m = await matcher.match(text, max - out.length, ctx.signal);
        if ("hits" in m) return m.hits;
        return fail(
          m.failed === "cancelled" ? "cancelled" : m.failed === "timeout" ? `took over ${regexTimeoutMs / 1000} s on one file` : `failed: ${m.detail ?? ""}`,
        );
      };
      const take = async (r: Resolved): Promise<boolean> => {
        const got = await searchFile(ws, r, cap, tally, find);
        if (!Array.isArray(got)) {
          state.failure = got.content;
          return false;
        }
        for (const [n, line] of got) out.push(`${r.rel}:${n}: ${line.length > MAX_SHOW ? `${line.slice(0, MAX_SHOW)} ...` : line}`);
        return out.length < max;
      };

      const report = walkReport();
      try {
        if (!root.stat.isDirectory()) {
          await take(root);
        } else {
          const hasSlash = input.glob?.includes("/") ?? false;
          const limits = {
            maxDepth: 64,
            maxEntries: MAX_WALK,
            deadline: Date.now() + timeMs,
            signal: ctx.signal,
            skipDir: (name: string) => SKIPPED_DIRS.has(name),
          };
          for await (const e of walk(ws, root.abs, root.rel, limits, report)) {
            if (e.kind !== "file" && e.kind !== "symlink") continue;
            const fromRoot = root.rel === "." ? e.rel : e.rel.slice(root.rel.length + 1);
            if (!globAccepts(glob, hasSlash, e.rel, fromRoot)) continue;
            // A file that vanished since the directory was read is simply not there (stat null).
            const stat = e.kind === "file" ? await fs.promises.lstat(e.abs, { bigint: true }).catch(() => null) : null;
            const r = e.kind === "symlink" ? resolveFile(ws, e.rel) : { abs: e.abs, rel: e.rel, stat, dir: "", missing: [] };
            if (isRefusal(r)) {
              tally.refused++;
              continue;
            }
            if (!(await take(r))) break;
          }
        }
      } finally {
        matcher?.close();
      }
      if (ctx.signal.aborted || state.failure === "cancelled") return fail("The run was cancelled during grep.");

      const notes: string[] = [];
      if (out.length >= max) notes.push(`Stopped at ${max} matches (tools.fs.maxResults); narrow the path, glob or pattern.`);
      if (report.stopped) notes.push(stoppedNote(report, MAX_WALK));
      if (tally.big) notes.push(`${tally.big} file(s) over the read cap of ${bytes(cap)} were not searched.`);
      if (tally.binary) notes.push(`${tally.binary} binary file(s) were not searched.`);
      if (tally.refused) notes.push(`${tally.refused} file(s) were passed over (hard links, links out of the workspace, or files that changed).`);
      if (report.unreadable.length) notes.push(`Unreadable directories: ${report.unreadable.join(", ")}.`);
      const where = root.rel === "." ? "the workspace" : `"${root.rel}"`;
      if (state.failure !== null) {
        const head = `The regular expression ${state.failure}, so grep stopped (a pattern like "(a+)+" can take forever). Simplify it, or set literal: true.`;
        return fail([head, ...(out.length ? ["Matches found before it stopped:", ...out] : [])].join("\n"));
      }
      const head = out.length === 0 ? `No matches in ${where} (${tally.searched} file(s) searched).` : `${out.length} match(es) in ${where}:`;
      return ok([head, ...out, ...notes].join("\n"));
    },
  });
}
