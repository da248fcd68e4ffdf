/**
 * The canvas tool against a real canvas root: write (confined, atomic, the side effect begun
 * before the file changes, capped), present (both URLs, or what to do when the page is missing),
 * list and read (the workspace tools on the canvas root), and a gateway whose canvas is off.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { canvasTool } from "../../../src/agent/tools/canvas.ts";
import type { CanvasPort } from "../../../src/agent/tools/types.ts";
import { tmpDir } from "../../helpers/gateway.ts";
import { testContext, type TestContext } from "./context.ts";

const CAP = "c".repeat(32);

/** A canvas port over a fresh root (made on first need, as the gateway's is), with fixed URLs. */
function withCanvas(tools: Record<string, unknown> = {}): { ctx: TestContext; root: string; outside: string } {
  const base = fs.realpathSync(tmpDir("onebrain-canvas-tool-"));
  const root = path.join(base, "canvas");
  const canvas: CanvasPort = {
    root: () => (fs.mkdirSync(root, { recursive: true }), root),
    urls: (rel) => ({ gateway: `http://127.0.0.1:1/__canvas__/c/${CAP}/${rel}`, canvas: `http://127.0.0.1:5/c/${CAP}/${rel}` }),
  };
  const outside = path.join(base, "outside.txt");
  fs.writeFileSync(outside, "keep");
  return { ctx: testContext({ canvas, tools }), root, outside };
}

const tool = canvasTool();

test("write creates the page (index.html by default) after beginning the side effect, and says where to open it", async () => {
  const { ctx, root } = withCanvas();
  const r = await tool.run({ action: "write", content: "<h1>hi</h1>" }, ctx);
  assert.equal(r.isError, false, r.content);
  assert.equal(fs.readFileSync(path.join(root, "index.html"), "utf8"), "<h1>hi</h1>");
  assert.equal(ctx.sideEffects.length, 1);
  assert.match(r.content, /Wrote 11 bytes to the canvas file "index\.html" \(created it\)/);
  assert.ok(r.content.includes(`http://127.0.0.1:1/__canvas__/c/${CAP}/index.html (gateway port)`));
  assert.ok(r.content.includes(`http://127.0.0.1:5/c/${CAP}/index.html (canvas port)`));
  const again = await tool.run({ action: "write", path: "charts/a.svg", content: "<svg/>" }, ctx);
  assert.match(again.content, /"charts\/a\.svg" \(created it\)/, "parent directories are made");
});

test("write refuses paths out of the canvas in the canvas's words, before any side effect", async () => {
  const { ctx, outside } = withCanvas();
  const root = ctx.canvas!.root();
  fs.symlinkSync(outside, path.join(root, "link.txt"));
  for (const p of ["../outside.txt", "/etc/passwd", "link.txt", "a\0b"]) {
    const r = await tool.run({ action: "write", path: p, content: "x" }, ctx);
    assert.equal(r.isError, true, p);
    assert.ok(!/workspace/.test(r.content), `${p}: ${r.content}`);
  }
  assert.equal(fs.readFileSync(outside, "utf8"), "keep");
  assert.equal(ctx.sideEffects.length, 0);
});

test("write is capped by tools.fs.maxWriteBytes and needs content", async () => {
  const { ctx } = withCanvas({ fs: { maxWriteBytes: 1024 } });
  const big = await tool.run({ action: "write", content: "x".repeat(2000) }, ctx);
  assert.match(big.content, /capped at 1\.0 KiB \(tools\.fs\.maxWriteBytes\)/);
  const none = await tool.run({ action: "write" }, ctx);
  assert.match(none.content, /needs "content"/);
  assert.equal(ctx.sideEffects.length, 0);
});

test("present gives a directory's address with its slash, and says to write a missing page first", async () => {
  const { ctx } = withCanvas();
  const missing = await tool.run({ action: "present" }, ctx);
  assert.equal(missing.isError, true);
  assert.match(missing.content, /no "index\.html" yet; write it first/);
  await tool.run({ action: "write", path: "report/index.html", content: "r" }, ctx);
  const dir = await tool.run({ action: "present", path: "report" }, ctx);
  assert.equal(dir.isError, false, dir.content);
  assert.ok(dir.content.includes(`/__canvas__/c/${CAP}/report/ (gateway port)`), dir.content);
  assert.match(dir.content, /give them only to the operator/);
  assert.equal(ctx.sideEffects.length, 1, "present changes nothing");
});

test("list and read look at the canvas, not the workspace", async () => {
  const { ctx } = withCanvas();
  fs.writeFileSync(path.join(ctx.workspace, "ws-only.txt"), "no");
  await tool.run({ action: "write", path: "page.html", content: "<p>one</p>" }, ctx);
  const list = await tool.run({ action: "list" }, ctx);
  assert.match(list.content, /page\.html/);
  assert.ok(!list.content.includes("ws-only"));
  const read = await tool.run({ action: "read", path: "page.html" }, ctx);
  assert.match(read.content, /<p>one<\/p>/);
  const gone = await tool.run({ action: "read", path: "ws-only.txt" }, ctx);
  assert.equal(gone.isError, true);
  assert.match(gone.content, /canvas|does not exist/);
});

test("with the canvas host off, every action says so and does nothing", async () => {
  const ctx = testContext();
  for (const action of ["write", "present", "list", "read"]) {
    const r = await tool.run({ action, content: "x" }, ctx);
    assert.equal(r.isError, true);
    assert.match(r.content, /canvasHost\.enabled is false/);
  }
  assert.equal(ctx.sideEffects.length, 0);
});
