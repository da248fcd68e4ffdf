/** `write`: creates or replaces a file in the workspace, atomically, creating its parent directories. */
import fs from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../../../shared/fs-atomic.ts";
import { defineTool, fail, ok, type ToolOutcome } from "../define.ts";
import type { Tool } from "../types.ts";
import { isRefusal, kindName, refuseSpecial, resolveInside, type Refusal, type Resolved } from "./confine.ts";
import { bytes, pathProperty, refused, rootOf } from "./common.ts";
import { openParentCreating, under } from "./open.ts";

interface WriteInput {
  path: string;
  content: string;
}

/** Mode of a file the agent creates; an existing file keeps its own. */
const NEW_FILE_MODE = 0o644;

/** The refusal for an existing target a write may not replace; null when it may. */
function refuseTarget(rel: string, st: fs.BigIntStats): Refusal | null {
  if (st.isSymbolicLink()) {
    return {
      refused: `"${rel}" is a symbolic link; files are never written through a link. Write to the path it points to instead (if that is inside the workspace).`,
    };
  }
  if (st.isDirectory()) return { refused: `"${rel}" is a directory; give a file path.` };
  if (!st.isFile()) return refuseSpecial(rel, st) ?? { refused: `"${rel}" is a ${kindName(st)}; only regular files are written.` };
  return refuseSpecial(rel, st);
}

/**
 * Writes `content` to the resolved target through a checked directory descriptor: the final name is
 * checked again there (no link, no device, one hard link, and when `expect` is given the same inode
 * that was read), then replaced by a temp file + rename. Returns the size replaced, or null for a new file.
 */
export function writeResolved(ws: string, r: Resolved, content: string, expect?: fs.BigIntStats): { replaced: bigint | null } | Refusal {
  const missingDirs = r.stat === null ? r.missing.slice(0, -1) : [];
  const name = r.stat === null ? (r.missing.at(-1) ?? "") : path.basename(r.abs);
  const parent = openParentCreating(ws, r.dir, missingDirs);
  if (isRefusal(parent)) return parent;
  try {
    const target = under(parent.fd, parent.path, name);
    let now: fs.BigIntStats | null = null;
    try {
      now = fs.lstatSync(target, { bigint: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    const why = now === null ? null : refuseTarget(r.rel, now);
    if (why) return why;
    if (expect && (now === null || now.dev !== expect.dev || now.ino !== expect.ino)) {
      return { refused: `"${r.rel}" was replaced or removed while it was being edited, so it was left alone; read it again and retry.` };
    }
    writeFileAtomic(target, content, { mode: NEW_FILE_MODE });
    return { replaced: now === null ? null : now.size };
  } finally {
    fs.closeSync(parent.fd);
  }
}

/** Resolves a path for writing: the final component is never followed, and a missing one is fine. */
export function resolveForWrite(ws: string, requested: string): Resolved | Refusal {
  if (requested.endsWith("/")) return { refused: `"${requested}" ends with "/", which names a directory; give a file path.` };
  const r = resolveInside(ws, requested, { allowMissing: true, followFinal: false });
  if (isRefusal(r) || r.stat === null) return r;
  return refuseTarget(r.rel, r.stat) ?? r;
}

/** The cap on what a write or edit may leave in a file, or its refusal. */
export function refuseTooBig(rel: string, size: number, cap: number, what: string): ToolOutcome | null {
  if (size <= cap) return null;
  return fail(
    `${what} for "${rel}" would be ${bytes(size)}; writes are capped at ${bytes(cap)} (tools.fs.maxWriteBytes). Split the content into smaller files.`,
  );
}

/** The write tool. */
export function writeTool(): Tool {
  return defineTool<WriteInput>({
    name: "write",
    group: "fs",
    sideEffects: true,
    concurrent: false,
    description:
      "Create a file in the workspace, or replace a file's whole content, creating missing parent directories. " +
      "The replacement is atomic (readers see the old or the new content). Content is capped (4 MiB by default). " +
      "Refused: paths outside the workspace, a symbolic link at the path (write to its target), directories, hard-linked files. " +
      "To change part of a file, use edit.",
    inputSchema: {
      type: "object",
      properties: {
        path: pathProperty('File path relative to the workspace (or absolute inside it), e.g. "notes/todo.md".'),
        content: { type: "string", description: "The file's complete new content (UTF-8 text)." },
      },
      required: ["path", "content"],
      additionalProperties: false,
    },
    async run(input, ctx) {
      const ws = rootOf(ctx);
      if (typeof ws !== "string") return ws;
      const size = Buffer.byteLength(input.content);
      const r = resolveForWrite(ws, input.path);
      if (isRefusal(r)) return refused(r);
      const tooBig = refuseTooBig(r.rel, size, ctx.config.fs.maxWriteBytes, "The content");
      if (tooBig) return tooBig;
      // On disk before the file changes: after a crash from here on, this call is never run again.
      await ctx.beginSideEffect();
      const done = writeResolved(ws, r, input.content);
      if (isRefusal(done)) return refused(done);
      const what = done.replaced === null ? "created it" : `replaced its previous ${bytes(done.replaced)}`;
      return ok(`Wrote ${bytes(size)} to "${r.rel}" (${what}).`);
    },
  });
}
