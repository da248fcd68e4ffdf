/**
 * `canvas` (group ui): pages the agent shows the operator, in the canvas host's root
 * (docs/canvas.md). `write` puts a file there (confined and atomic exactly as the workspace's
 * `write`: the same resolution, the same size cap, the start journaled first), `present` gives
 * the URLs to open it, `list` and `read` look at what is there (the workspace's own `list` and
 * `read` run with the canvas root as their workspace). Every open page reloads when a file changes.
 */
import { defineTool, fail, ok, type ToolOutcome } from "./define.ts";
import type { CanvasPort, Tool, ToolContext } from "./types.ts";
import { isRefusal, resolveInside } from "./fs/confine.ts";
import { bytes, pathProperty } from "./fs/common.ts";
import { listTool } from "./fs/list.ts";
import { readTool } from "./fs/read.ts";
import { refuseTooBig, resolveForWrite, writeResolved } from "./fs/write.ts";

const ACTIONS = ["write", "present", "list", "read"] as const;

interface CanvasInput {
  action: (typeof ACTIONS)[number];
  path?: string;
  content?: string;
}

/** The workspace tools' sentences, said of the canvas. */
function canvasWords(text: string): string {
  return text.replace(/\bworkspace\b/g, "canvas");
}

const refusal = (text: string): ToolOutcome => fail(canvasWords(text));

/** The root, or the error result when the canvas cannot be used. */
function rootOf(canvas: CanvasPort): string | ToolOutcome {
  try {
    return canvas.root();
  } catch (err) {
    return fail(`The canvas cannot be used: ${(err as Error).message}. Tell the operator.`);
  }
}

/** The two addresses of a page, as lines for the model. */
function where(canvas: CanvasPort, rel: string): string {
  const u = canvas.urls(rel);
  return [`- ${u.gateway} (gateway port)`, ...(u.canvas ? [`- ${u.canvas} (canvas port)`] : [])].join("\n");
}

async function write(canvas: CanvasPort, input: CanvasInput, ctx: ToolContext): Promise<ToolOutcome> {
  if (input.content === undefined) return fail('"write" needs "content": the file\'s complete new content.');
  const root = rootOf(canvas);
  if (typeof root !== "string") return root;
  const r = resolveForWrite(root, input.path ?? "index.html");
  if (isRefusal(r)) return refusal(r.refused);
  const size = Buffer.byteLength(input.content);
  const tooBig = refuseTooBig(r.rel, size, ctx.config.fs.maxWriteBytes, "The content");
  if (tooBig) return tooBig;
  // On disk before the file changes: after a crash from here on, this call is never run again.
  await ctx.beginSideEffect();
  const done = writeResolved(root, r, input.content);
  if (isRefusal(done)) return refusal(done.refused);
  const what = done.replaced === null ? "created it" : `replaced its previous ${bytes(done.replaced)}`;
  return ok(`Wrote ${bytes(size)} to the canvas file "${r.rel}" (${what}); open pages reload by themselves. It is at:\n${where(canvas, r.rel)}`);
}

function present(canvas: CanvasPort, input: CanvasInput): ToolOutcome {
  const root = rootOf(canvas);
  if (typeof root !== "string") return root;
  const r = resolveInside(root, input.path ?? ".");
  if (isRefusal(r)) return refusal(r.refused);
  // A directory is shown by its index.html, at the directory's own address (relative links work there).
  const dir = r.stat?.isDirectory() === true;
  const page = dir ? (r.rel === "." ? "index.html" : `${r.rel}/index.html`) : r.rel;
  const rel = dir ? (r.rel === "." ? "" : `${r.rel}/`) : r.rel;
  const found = resolveInside(root, page);
  if (isRefusal(found) || found.stat === null)
    return fail(`The canvas has no "${page}" yet; write it first (action "write", path "${page}"), then present it.`);
  return ok(
    `The canvas page "${page}" is at:\n${where(canvas, rel)}\n` +
      "The operator's console shows the canvas on its Canvas page. These URLs carry a secret that lets anyone who has them read the canvas: give them only to the operator.",
  );
}

/** The canvas tool. */
export function canvasTool(): Tool {
  const list = listTool();
  const read = readTool();
  return defineTool<CanvasInput>({
    name: "canvas",
    group: "ui",
    sideEffects: true,
    concurrent: false,
    description:
      "Show the operator a web page: the canvas is a directory served over HTTP; open pages reload by themselves when a file changes. " +
      'Actions: "write" (path, default "index.html", and content: creates or replaces a file atomically, e.g. HTML, CSS, JS, SVG, JSON), ' +
      '"present" (path of a page or directory, default the index: returns the URLs to open it), "list" (path, default "."), "read" (path). ' +
      "Paths are relative to the canvas root; links between pages are relative too.",
    inputSchema: {
      type: "object",
      properties: {
        action: { type: "string", enum: ACTIONS, description: "What to do: write, present, list or read." },
        path: pathProperty('A path relative to the canvas root, e.g. "index.html" or "charts/sales.svg".'),
        content: { type: "string", description: 'For "write": the file\'s complete new content (UTF-8 text).' },
      },
      required: ["action"],
      additionalProperties: false,
    },
    async run(input, ctx) {
      const canvas = ctx.canvas;
      if (!canvas) return fail("The canvas host is off in this gateway (canvasHost.enabled is false), so nothing can be shown; tell the operator.");
      if (input.action === "write") return write(canvas, input, ctx);
      if (input.action === "present") return present(canvas, input);
      const root = rootOf(canvas);
      if (typeof root !== "string") return root;
      const inner = { ...ctx, workspace: root };
      const r = input.action === "list" ? await list.run({ path: input.path ?? "." }, inner) : await read.run({ path: input.path ?? "index.html" }, inner);
      return r.isError ? refusal(r.content) : r;
    },
  });
}
