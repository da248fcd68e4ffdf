/**
 * The canvas's files, in process: what a request path may name below the root, and what it may
 * never reach (dot segments, encoded ones, NUL, symbolic links and hard links out, dotfiles,
 * over-long paths); directories and their index.html; the reload script in HTML.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { decodeSegments, isMiss, openCanvasFile, type CanvasFile, type CanvasMiss } from "../../src/canvas/files.ts";
import { injectReload } from "../../src/canvas/reload-script.ts";
import { contentType } from "../../src/canvas/mime.ts";
import { canvasCapability, loadCanvasKey } from "../../src/canvas/capability.ts";
import { tmpDir } from "../helpers/gateway.ts";

/** A canvas root with a page, a subdirectory page and a secret beside (outside) the root. */
function canvas(): { root: string; outside: string } {
  const base = fs.realpathSync(tmpDir("onebrain-canvas-"));
  const root = path.join(base, "canvas");
  fs.mkdirSync(path.join(root, "sub"), { recursive: true });
  fs.writeFileSync(path.join(root, "index.html"), "<h1>root</h1>");
  fs.writeFileSync(path.join(root, "sub", "index.html"), "<h1>sub</h1>");
  fs.writeFileSync(path.join(root, "app.js"), "1");
  const outside = path.join(base, "secret.txt");
  fs.writeFileSync(outside, "TOP SECRET");
  return { root, outside };
}

async function open(root: string, rest: string): Promise<CanvasFile | CanvasMiss> {
  const r = await openCanvasFile(root, rest);
  if (!isMiss(r)) await r.handle.close();
  return r;
}

async function status(root: string, rest: string): Promise<number> {
  const r = await open(root, rest);
  return isMiss(r) ? r.status : 200;
}

test("serves a file, the root's index.html and a directory's index.html, with the content type of the extension", async () => {
  const { root } = canvas();
  const page = await open(root, "/app.js");
  assert.ok(!isMiss(page));
  assert.equal(page.type, "text/javascript; charset=utf-8");
  const index = await open(root, "/");
  assert.ok(!isMiss(index));
  assert.equal(index.rel, "index.html");
  const sub = await open(root, "/sub/");
  assert.ok(!isMiss(sub));
  assert.equal(sub.rel, "sub/index.html");
  assert.equal(contentType("x.unknown"), "application/octet-stream");
  assert.equal(contentType("X.SVG"), "image/svg+xml");
});

test("a directory asked for without its trailing slash is a 301, a missing file a 404, an index-less directory a 404 that says so", async () => {
  const { root } = canvas();
  assert.equal(await status(root, "/sub"), 301);
  assert.equal(await status(root, "/nope.html"), 404);
  fs.mkdirSync(path.join(root, "empty"));
  const empty = await open(root, "/empty/");
  assert.ok(isMiss(empty));
  assert.match(empty.message, /has no index\.html/);
});

test("refuses dot segments, encoded ones, encoded slashes, NUL, malformed escapes and huge paths before touching the disk", async () => {
  const { root } = canvas();
  for (const rest of [
    "/../secret.txt",
    "/sub/../../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E%2Fsecret.txt",
    "/..%2fsecret.txt",
    "/a%00b",
    "/%zz",
    "/./app.js",
    "/..\\secret.txt",
  ]) {
    const r = await open(root, rest);
    assert.ok(isMiss(r), rest);
    assert.ok(r.status === 400 || r.status === 404, `${rest}: ${r.status}`);
  }
  assert.equal(await status(root, `/${"a".repeat(5000)}`), 400);
  assert.deepEqual(decodeSegments("/a%20b//c"), ["a b", "c"]);
});

test("never serves a symbolic link or a hard link that leads outside the root, nor a dotfile", async () => {
  const { root, outside } = canvas();
  fs.symlinkSync(outside, path.join(root, "link.txt"));
  fs.symlinkSync(path.dirname(outside), path.join(root, "up"));
  fs.linkSync(outside, path.join(root, "hard.txt"));
  fs.writeFileSync(path.join(root, ".env"), "KEY=1");
  for (const rest of ["/link.txt", "/up/secret.txt", "/up/", "/hard.txt", "/.env", "/%2eenv"]) assert.equal(await status(root, rest), 404, rest);
  // A link that stays inside is followed.
  fs.symlinkSync(path.join(root, "app.js"), path.join(root, "alias.js"));
  assert.equal(await status(root, "/alias.js"), 200);
});

test("a FIFO in the root is refused, not waited on", async () => {
  const { root } = canvas();
  const { execFileSync } = await import("node:child_process");
  execFileSync("mkfifo", [path.join(root, "pipe.html")]);
  assert.equal(await status(root, "/pipe.html"), 404);
});

test("the reload script goes before the last </body>, or at the end, and cannot close its element early", () => {
  const html = Buffer.from("<html><body><p>é</p></BODY></html>");
  const out = injectReload(html, "/__canvas__/c/x/__reload").toString();
  assert.match(out, /<p>é<\/p><script data-onebrain-canvas-reload>.*<\/script><\/BODY><\/html>$/);
  assert.ok(injectReload(Buffer.from("<p>x</p>"), "/r").toString().startsWith("<p>x</p><script"));
  assert.ok(!injectReload(Buffer.from(""), "/</script><b>").toString().includes("</script><b>"));
});

test("the canvas key is made once (0600) and the capability depends on it and on the gateway's secret", () => {
  const dir = tmpDir("onebrain-canvas-key-");
  const key = loadCanvasKey(dir);
  assert.equal(fs.statSync(path.join(dir, "canvas.key")).mode & 0o777, 0o600);
  assert.deepEqual(loadCanvasKey(dir), key, "read back, not made again");
  const cap = canvasCapability(key, "token:a");
  assert.match(cap, /^[A-Za-z0-9_-]{32}$/);
  assert.notEqual(canvasCapability(key, "token:b"), cap, "a rotated secret revokes it");
  assert.notEqual(canvasCapability(loadCanvasKey(tmpDir()), "token:a"), cap, "another brain has another");
});
