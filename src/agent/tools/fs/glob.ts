/** `glob`: workspace paths matching a pattern such as `src/**\/*.ts`, sorted, capped. */
import path from "node:path";
import { defineTool, fail, ok } from "../define.ts";
import type { Tool } from "../types.ts";
import { isRefusal, resolveInside } from "./confine.ts";
import { pathProperty, refused, rootOf, SKIPPED_DIRS } from "./common.ts";
import { compileGlob } from "./glob-match.ts";
import { stoppedNote, walk, walkReport } from "./walk.ts";

interface GlobInput {
  pattern: string;
  path?: string;
}

/** Deepest a `**` walk goes. */
const MAX_DEPTH = 64;
/** Entries a walk looks at before it stops. */
const MAX_WALK = 100_000;
const WALK_TIME_MS = 15_000;

const byPath = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The glob tool. */
export function globTool(): Tool {
  return defineTool<GlobInput>({
    name: "glob",
    group: "fs",
    sideEffects: false,
    concurrent: true,
    description:
      'Find workspace paths matching a glob pattern, such as "**/*.md" or "src/**/*.{ts,tsx}". "*" and "?" match within one path ' +
      'segment, "**" any number of segments, "[a-z]" a character class, "{a,b}" alternatives. The pattern is relative to "path" ' +
      '(default the workspace); results are paths relative to the workspace, directories ending in "/", sorted, at most 500 by default. ' +
      'Symbolic links are matched by name but never followed; ".git" and "node_modules" are searched only when the pattern names them.',
    inputSchema: {
      type: "object",
      properties: {
        pattern: { type: "string", minLength: 1, maxLength: 1000, description: 'Glob pattern relative to path, e.g. "**/*.md".' },
        path: pathProperty('Directory the pattern is relative to, inside the workspace. Default ".".'),
      },
      required: ["pattern"],
      additionalProperties: false,
    },
    async run(input, ctx) {
      const ws = rootOf(ctx);
      if (typeof ws !== "string") return ws;
      const matcher = compileGlob(input.pattern);
      if (typeof matcher === "string") return fail(matcher);
      const base = resolveInside(ws, input.path ?? ".");
      if (isRefusal(base)) return refused(base);
      if (base.stat === null || !base.stat.isDirectory()) return fail(`"${base.rel}" is not a directory in the workspace; give a directory as path.`);
      const where = base.rel === "." ? "the workspace" : `"${base.rel}"`;
      const start = matcher.base.length === 0 ? base : resolveInside(ws, path.join(base.rel, ...matcher.base), { allowMissing: true });
      if (isRefusal(start)) return refused(start);
      if (start.stat === null || !start.stat.isDirectory()) return ok(`No paths in ${where} match "${input.pattern}".`);

      const max = ctx.config.fs.maxResults;
      const report = walkReport();
      const limits = {
        maxDepth: Math.min(matcher.depth, MAX_DEPTH),
        maxEntries: MAX_WALK,
        deadline: Date.now() + WALK_TIME_MS,
        signal: ctx.signal,
        skipDir: (name: string) => SKIPPED_DIRS.has(name) && !input.pattern.includes(name),
      };
      const found: string[] = [];
      let more = false;
      for await (const e of walk(ws, start.abs, start.rel, limits, report)) {
        const fromBase = base.rel === "." ? e.rel : e.rel.slice(base.rel.length + 1);
        if (!matcher.test(fromBase)) continue;
        if (found.length === max) {
          more = true;
          break;
        }
        found.push(e.kind === "dir" ? `${e.rel}/` : e.rel);
      }
      if (ctx.signal.aborted) return fail("The run was cancelled during glob.");
      found.sort(byPath);
      const notes: string[] = [];
      if (more) notes.push(`Only the first ${max} matches are shown (tools.fs.maxResults); use a narrower pattern or path.`);
      if (report.stopped) notes.push(stoppedNote(report, MAX_WALK));
      if (report.unreadable.length) notes.push(`Unreadable directories: ${report.unreadable.join(", ")}.`);
      const head = found.length === 0 ? `No paths in ${where} match "${input.pattern}".` : `${found.length} path(s) in ${where} match "${input.pattern}":`;
      return ok([head, ...found, ...notes].join("\n"));
    },
  });
}
