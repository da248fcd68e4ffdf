/**
 * The canvas watcher, on a real directory: nothing watched before the first subscriber or after
 * the last; changes batched; temp files of atomic writes ignored; the root removed and made again
 * (or replaced by a rename) is watched again and reported.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { CanvasWatcher } from "../../src/canvas/watch.ts";
import { writeFileAtomic } from "../../src/shared/fs-atomic.ts";
import { tmpDir } from "../helpers/gateway.ts";
import { until } from "./support.ts";

function setup(root = path.join(fs.realpathSync(tmpDir("onebrain-watch-")), "canvas"), lingerMs = 0) {
  const changes: string[][] = [];
  const w = new CanvasWatcher({ root: () => root, ensureRoot: () => fs.mkdirSync(root, { recursive: true }), debounceMs: 50, checkMs: 50, lingerMs });
  return { root, w, changes, listen: () => w.subscribe((c) => changes.push(c)) };
}

test("watches nothing until the first subscriber, makes the root then, and stops with the last", async () => {
  const { root, w, listen } = setup();
  assert.equal(w.active, false);
  assert.ok(!fs.existsSync(root));
  const a = listen();
  const b = listen();
  assert.ok(fs.statSync(root).isDirectory(), "made on first need");
  assert.equal(w.active, true);
  a();
  assert.equal(w.active, true, "one subscriber is left");
  b();
  assert.equal(w.active, false, "no watch, no timer once nobody listens");
  b(); // twice is harmless
  assert.equal(w.size, 0);
});

test("reports a burst of writes once, with the names, and ignores dotfiles (the temp files of atomic writes)", async () => {
  const { root, changes, listen } = setup();
  const stop = listen();
  writeFileAtomic(path.join(root, "a.html"), "1");
  writeFileAtomic(path.join(root, "b.html"), "2");
  await until(() => changes.length > 0);
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(changes.length, 1, JSON.stringify(changes));
  assert.deepEqual([...changes[0]!].sort(), ["a.html", "b.html"]);
  fs.writeFileSync(path.join(root, ".hidden"), "x");
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(changes.length, 1, "a dotfile alone is no change");
  fs.mkdirSync(path.join(root, "deep"));
  await new Promise((r) => setTimeout(r, 150));
  fs.writeFileSync(path.join(root, "deep", "c.css"), "x");
  await until(() => changes.some((c) => c.includes(path.join("deep", "c.css"))));
  stop();
});

test("the root removed and made again is watched again, and both are reported", async () => {
  const { root, changes, listen, w } = setup();
  const stop = listen();
  fs.rmSync(root, { recursive: true });
  await until(() => changes.length > 0);
  const seen = changes.length;
  fs.mkdirSync(root);
  await until(() => changes.length > seen);
  const before = changes.length;
  await new Promise((r) => setTimeout(r, 150));
  fs.writeFileSync(path.join(root, "back.html"), "x");
  await until(() => changes.slice(before).some((c) => c.includes("back.html")));
  // Replaced by a rename: the new directory is the one watched.
  const other = `${root}-new`;
  fs.mkdirSync(other);
  fs.renameSync(root, `${root}-old`);
  fs.renameSync(other, root);
  const n = changes.length;
  await until(() => changes.length > n);
  await new Promise((r) => setTimeout(r, 150));
  fs.writeFileSync(path.join(root, "again.html"), "x");
  await until(() => changes.some((c) => c.includes("again.html")));
  stop();
  assert.equal(w.active, false);
});

test("close forgets every subscriber and leaves nothing running", () => {
  const { w, listen } = setup();
  listen();
  listen();
  w.close();
  assert.equal(w.size, 0);
  assert.equal(w.active, false);
});

test("the watch outlives its last subscriber by lingerMs, so a change while a page reloads still moves the generation", async () => {
  const { root, w, listen } = setup(undefined, 300);
  const stop = listen();
  assert.equal(w.generation, 0);
  stop();
  assert.equal(w.active, true, "lingering");
  fs.writeFileSync(path.join(root, "during.html"), "x");
  await until(() => w.generation === 1);
  const again = listen();
  again();
  await until(() => !w.active, 3000);
});
