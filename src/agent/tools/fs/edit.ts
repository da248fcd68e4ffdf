/** `edit`: an exact string replaced in a workspace file; the match must be unique unless replace_all. */
import { defineTool, fail, ok } from "../define.ts";
import type { Tool } from "../types.ts";
import { isRefusal } from "./confine.ts";
import { bytes, looksBinary, pathProperty, refused, rootOf } from "./common.ts";
import { openFileChecked, readUpTo } from "./open.ts";
import { refuseTooBig, resolveForWrite, writeResolved } from "./write.ts";

interface EditInput {
  path: string;
  old_string: string;
  new_string: string;
  replace_all?: boolean;
}

/** Where `needle` occurs in `text`, without overlaps, left to right. */
function occurrences(text: string, needle: string): number[] {
  const at: number[] = [];
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + needle.length)) at.push(i);
  return at;
}

/** The 1-based line of character index `i`. */
function lineOf(text: string, i: number): number {
  let n = 1;
  for (let j = text.indexOf("\n"); j !== -1 && j < i; j = text.indexOf("\n", j + 1)) n++;
  return n;
}

/** The edit tool. */
export function editTool(): Tool {
  return defineTool<EditInput>({
    name: "edit",
    group: "fs",
    sideEffects: true,
    concurrent: false,
    description:
      "Replace an exact piece of text in a workspace file. old_string must match the file exactly (whitespace and indentation " +
      "included; line-number prefixes from read are not part of the file) and occur exactly once, unless replace_all is true. " +
      "The file is rewritten atomically. Files and results are capped (4 MiB by default); binary, hard-linked and linked " +
      "(symbolic link) files are refused. Use write to create a file.",
    inputSchema: {
      type: "object",
      properties: {
        path: pathProperty("File path relative to the workspace (or absolute inside it)."),
        old_string: { type: "string", minLength: 1, description: "The exact text to replace." },
        new_string: { type: "string", description: "The text to put in its place (may be empty to delete)." },
        replace_all: { type: "boolean", description: "Replace every occurrence instead of requiring exactly one. Default false." },
      },
      required: ["path", "old_string", "new_string"],
      additionalProperties: false,
    },
    async run(input, ctx) {
      const ws = rootOf(ctx);
      if (typeof ws !== "string") return ws;
      if (input.old_string === input.new_string) return fail("old_string and new_string are the same, so there is nothing to change.");
      const r = resolveForWrite(ws, input.path);
      if (isRefusal(r)) return refused(r);
      if (r.stat === null) return fail(`"${r.rel}" does not exist; use write to create it.`);
      const cap = ctx.config.fs.maxWriteBytes;
      const tooBigNow = refuseTooBig(r.rel, Number(r.stat.size), cap, "The current file");
      if (tooBigNow) return tooBigNow;
      const file = await openFileChecked(ws, r.rel, r.abs, r.stat);
      if (isRefusal(file)) return refused(file);
      let raw: Buffer;
      try {
        // One byte more than the cap: a file that grew past it since the stat is still refused.
        raw = await readUpTo(file.handle, Math.min(Number(file.stat.size), cap) + 1);
      } finally {
        await file.handle.close();
      }
      const tooBigRead = refuseTooBig(r.rel, raw.length, cap, "The current file");
      if (tooBigRead) return tooBigRead;
      if (looksBinary(raw)) return fail(`"${r.rel}" looks like a binary file (it contains NUL bytes); edit changes text files only.`);
      let text: string;
      try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(raw);
      } catch {
        return fail(`"${r.rel}" is not valid UTF-8 text, so edit would damage it; use write to replace it entirely if that is intended.`);
      }
      const at = occurrences(text, input.old_string);
      if (at.length === 0) {
        const crlf = text.includes("\r\n") && !input.old_string.includes("\r\n") && input.old_string.includes("\n");
        const hint = crlf
          ? " The file uses CRLF line endings: include the \\r before each \\n."
          : " Read the file and copy the exact text, whitespace and indentation included.";
        return fail(`old_string was not found in "${r.rel}"; nothing was changed.${hint}`);
      }
      if (at.length > 1 && input.replace_all !== true) {
        return fail(
          `old_string occurs ${at.length} times in "${r.rel}" (lines ${at.map((i) => lineOf(text, i)).join(", ")}); nothing was changed. ` +
            "Include more surrounding text to make it unique, or set replace_all: true to replace all of them.",
        );
      }
      const next = text.split(input.old_string).join(input.new_string);
      const size = Buffer.byteLength(next);
      const tooBig = refuseTooBig(r.rel, size, cap, "The edited file");
      if (tooBig) return tooBig;
      // On disk before the file changes: after a crash from here on, this call is never run again.
      await ctx.beginSideEffect();
      const done = writeResolved(ws, r, next, file.stat);
      if (isRefusal(done)) return refused(done);
      const first = lineOf(next, at[0] ?? 0);
      const count = at.length === 1 ? "1 occurrence" : `${at.length} occurrences`;
      return ok(`Replaced ${count} in "${r.rel}" (first at line ${first}); it is now ${bytes(size)}.`);
    },
  });
}
