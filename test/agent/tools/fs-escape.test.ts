import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { isRefusal, resolveInside } from "../../../src/agent/tools/fs/confine.ts";
import { openFileChecked } from "../../../src/agent/tools/fs/open.ts";
import { resolveForWrite, writeResolved } from "../../../src/agent/tools/fs/write.ts";
import { refusedWith, SECRET, setup } from "./escape-fixture.ts";

test("`..` cannot climb out of the workspace through any tool", async () => {
  const { parent, call, outsideIntact } = setup();
  fs.writeFileSync(path.join(parent, "beside.txt"), SECRET);
  const out = /outside the workspace/;
  for (const p of ["../beside.txt", "a/../../beside.txt", "./../ws/../beside.txt", ".."]) {
    refusedWith(await call("read", { path: p }), out, `read ${p}`);
    refusedWith(await call("write", { path: p, content: "x" }), out, `write ${p}`);
    refusedWith(await call("edit", { path: p, old_string: "TOP", new_string: "x" }), out, `edit ${p}`);
    refusedWith(await call("list", { path: p }), out, `list ${p}`);
    refusedWith(await call("grep", { pattern: "SECRET", path: p }), out, `grep ${p}`);
    refusedWith(await call("glob", { pattern: "*", path: p }), out, `glob ${p}`);
  }
  refusedWith(await call("glob", { pattern: "../*" }), /may not contain "\.\." segments/);
  refusedWith(await call("glob", { pattern: "{a,../*}" }), /may not contain "\.\." segments/);
  assert.deepEqual(fs.readdirSync(parent).sort(), ["beside.txt", "ws"]);
  assert.equal(fs.readFileSync(path.join(parent, "beside.txt"), "utf8"), SECRET);
  assert.ok(outsideIntact());
});

test("`..%2f`-style names, `...` and `..name` are plain names inside the workspace", async () => {
  const { ws, parent, call } = setup();
  for (const name of ["..%2f..%2fescape.txt", "%2e%2e/x.txt", "...", "..hidden", "a/..%5c..%5cb"]) {
    const r = await call("write", { path: name, content: name });
    assert.equal(r.isError, false, `${name}: ${r.content}`);
    assert.equal(fs.readFileSync(path.join(ws, name), "utf8"), name);
    assert.match((await call("read", { path: name })).content, /^ +1\t/);
  }
  assert.deepEqual(fs.readdirSync(parent), ["ws"]);
});

test("absolute paths are refused outside the workspace and accepted inside it", async () => {
  const { ws, outside, call, outsideIntact } = setup();
  fs.writeFileSync(path.join(ws, "a.txt"), "inside\n");
  refusedWith(await call("read", { path: path.join(outside, "secret.txt") }), /outside the workspace/);
  refusedWith(await call("read", { path: "/etc/passwd" }), /outside the workspace/);
  refusedWith(await call("read", { path: `${ws}/../ws/../secret.txt` }), /outside the workspace/);
  refusedWith(await call("read", { path: `${ws}-sibling/a.txt` }), /outside the workspace/);
  refusedWith(await call("write", { path: path.join(outside, "new.txt"), content: "x" }), /outside the workspace/);
  refusedWith(await call("list", { path: "/" }), /outside the workspace/);
  assert.equal((await call("read", { path: path.join(ws, "a.txt") })).content, "     1\tinside");
  assert.ok(outsideIntact());
});

test("a symbolic link to a file outside is never read, written through, edited or searched", async () => {
  const { outside, at, call, outsideIntact } = setup();
  fs.symlinkSync(path.join(outside, "secret.txt"), at("s.txt"));
  fs.symlinkSync(path.join(outside, "not-yet.txt"), at("dangling.txt"));
  refusedWith(await call("read", { path: "s.txt" }), /"s\.txt" is a symbolic link that leads outside the workspace/);
  refusedWith(await call("write", { path: "s.txt", content: "pwned" }), /symbolic link; files are never written through a link/);
  refusedWith(await call("edit", { path: "s.txt", old_string: "TOP", new_string: "pwned" }), /symbolic link/);
  refusedWith(await call("write", { path: "dangling.txt", content: "pwned" }), /symbolic link/);
  const grep = await call("grep", { pattern: "SECRET" });
  assert.match(grep.content, /^No matches in the workspace/);
  assert.match(grep.content, /2 file\(s\) were passed over/);
  assert.match((await call("list", { path: "." })).content, /s\.txt\tsymlink -> .*secret\.txt \(leads outside the workspace; not followed\)/);
  assert.ok(outsideIntact());
  assert.equal(fs.existsSync(path.join(outside, "not-yet.txt")), false);
});

test("a symbolic link to a directory outside is never entered, listed, searched or written into", async () => {
  const { outside, at, call, outsideIntact } = setup();
  fs.symlinkSync(path.join(outside, "odir"), at("od"));
  fs.symlinkSync(path.join(outside, "missing-dir"), at("dd"));
  const out = /"od" is a symbolic link that leads outside the workspace/;
  refusedWith(await call("read", { path: "od/inner.txt" }), out);
  refusedWith(await call("write", { path: "od/new.txt", content: "x" }), out);
  refusedWith(await call("write", { path: "od/sub/new.txt", content: "x" }), out);
  refusedWith(await call("list", { path: "od" }), out);
  refusedWith(await call("grep", { pattern: "SECRET", path: "od" }), out);
  refusedWith(await call("glob", { pattern: "*", path: "od" }), out);
  refusedWith(await call("glob", { pattern: "od/*" }), out);
  refusedWith(await call("write", { path: "dd/x.txt", content: "x" }), /"dd" is a symbolic link to a path that does not exist/);
  assert.doesNotMatch((await call("list", { path: ".", recursive: true, maxDepth: 20 })).content, /inner/);
  assert.match((await call("grep", { pattern: "SECRET" })).content, /^No matches/);
  assert.equal((await call("glob", { pattern: "**/*.txt" })).content, 'No paths in the workspace match "**/*.txt".');
  assert.ok(outsideIntact());
  assert.equal(fs.existsSync(path.join(outside, "missing-dir")), false);
});

test("a chain of symbolic links is judged by where it really ends", async () => {
  const { outside, ws, at, call } = setup();
  fs.writeFileSync(at("real.txt"), "real\n");
  fs.symlinkSync("c2", at("c1"));
  fs.symlinkSync("c3", at("c2"));
  fs.symlinkSync(path.join(outside, "secret.txt"), at("c3"));
  refusedWith(await call("read", { path: "c1" }), /"c1" is a symbolic link that leads outside the workspace/);
  fs.symlinkSync("i2", at("i1"));
  fs.symlinkSync("real.txt", at("i2"));
  assert.equal((await call("read", { path: "i1" })).content, "     1\treal");
  // Out and back in: what is read is the real file, which is inside.
  fs.symlinkSync(path.join(ws, "real.txt"), path.join(outside, "back"));
  fs.symlinkSync(path.join(outside, "back"), at("via-outside"));
  assert.equal((await call("read", { path: "via-outside" })).content, "     1\treal");
});

test("symbolic links that stay inside are followed for reading and as directories, never as a file written through", async () => {
  const { at, call } = setup();
  fs.mkdirSync(at("notes"));
  fs.writeFileSync(at("notes/a.md"), "alpha\n");
  fs.symlinkSync("notes", at("docs"));
  fs.symlinkSync("notes/a.md", at("a-link.md"));
  assert.equal((await call("read", { path: "docs/a.md" })).content, "     1\talpha");
  assert.equal((await call("read", { path: "a-link.md" })).content, "     1\talpha");
  assert.equal((await call("write", { path: "docs/new.md", content: "n" })).isError, false);
  assert.equal(fs.readFileSync(at("notes/new.md"), "utf8"), "n");
  assert.match((await call("list", { path: "docs" })).content, /docs\/a\.md\tfile/);
  refusedWith(await call("write", { path: "a-link.md", content: "x" }), /symbolic link; .*Write to the path it points to/);
  refusedWith(await call("edit", { path: "a-link.md", old_string: "alpha", new_string: "beta" }), /symbolic link/);
  assert.equal(fs.readFileSync(at("notes/a.md"), "utf8"), "alpha\n");
  assert.ok(fs.lstatSync(at("a-link.md")).isSymbolicLink());
});

test("symbolic link loops are refused, and walks through a looping tree end", async () => {
  const { at, call } = setup();
  fs.symlinkSync("l2", at("l1"));
  fs.symlinkSync("l1", at("l2"));
  fs.symlinkSync("self", at("self"));
  fs.mkdirSync(at("d"));
  fs.writeFileSync(at("d/f.txt"), "needle\n");
  fs.symlinkSync("..", at("d/up"));
  refusedWith(await call("read", { path: "l1" }), /symbolic link loop/);
  refusedWith(await call("read", { path: "self/x" }), /symbolic link loop/);
  refusedWith(await call("write", { path: "l1/x.txt", content: "x" }), /symbolic link loop/);
  const list = await call("list", { path: ".", recursive: true, maxDepth: 20 });
  assert.equal(list.content.split("\n").length, 7);
  assert.match(list.content, /d\/up\tsymlink -> \.\./);
  assert.equal((await call("grep", { pattern: "needle" })).content.split("\n")[1], "d/f.txt:1: needle");
  assert.equal((await call("glob", { pattern: "**/f.txt" })).content.split("\n").length, 2);
});

test("a hard link to a file outside is refused for read, write and edit, and grep passes it over", async () => {
  const { outside, at, call, outsideIntact } = setup();
  fs.linkSync(path.join(outside, "secret.txt"), at("hl.txt"));
  const why = /"hl\.txt" has 2 hard links; another of its names may be a file outside the workspace/;
  refusedWith(await call("read", { path: "hl.txt" }), why);
  refusedWith(await call("write", { path: "hl.txt", content: "pwned" }), why);
  refusedWith(await call("edit", { path: "hl.txt", old_string: "TOP", new_string: "pwned" }), why);
  const grep = await call("grep", { pattern: "SECRET" });
  assert.match(grep.content, /^No matches.*\n1 file\(s\) were passed over \(hard links/);
  assert.ok(outsideIntact());
});

test("/proc/self/root and /proc/self/cwd lead nowhere, named or linked to", async () => {
  const { ws, at, call } = setup();
  fs.writeFileSync(at("a.txt"), "a\n");
  for (const p of ["/proc/self/root/etc/passwd", `/proc/self/root${ws}/a.txt`, "/proc/self/cwd/package.json", "/proc/self/fd/0"]) {
    refusedWith(await call("read", { path: p }), /outside the workspace/, p);
  }
  fs.symlinkSync("/proc/self/root", at("root"));
  fs.symlinkSync("/proc/self/cwd", at("cwd"));
  refusedWith(await call("read", { path: "root/etc/passwd" }), /"root" is a symbolic link that leads outside/);
  refusedWith(await call("list", { path: "root" }), /leads outside/);
  refusedWith(await call("read", { path: "cwd/package.json" }), /"cwd" is a symbolic link that leads outside/);
  refusedWith(await call("write", { path: "root/tmp/pwned", content: "x" }), /leads outside/);
});

test("a FIFO is refused at once by every tool, never opened for a blocking read", async () => {
  const { at, call } = setup();
  execFileSync("mkfifo", [at("pipe")]);
  fs.symlinkSync("pipe", at("pipe-link"));
  const why = /"pipe(-link)?" is a FIFO \(named pipe\); the workspace tools only read and write regular files/;
  refusedWith(await call("read", { path: "pipe" }), why);
  refusedWith(await call("read", { path: "pipe-link" }), why);
  refusedWith(await call("write", { path: "pipe", content: "x" }), why);
  refusedWith(await call("edit", { path: "pipe", old_string: "a", new_string: "b" }), why);
  assert.match((await call("grep", { pattern: "x" })).content, /^No matches/);
  assert.match((await call("list", { path: "." })).content, /pipe\tFIFO \(named pipe\)/);
  assert.ok(fs.lstatSync(at("pipe")).isFIFO());
});

test("/dev/null, /dev/zero and device files are never read", async (t) => {
  const { at, call } = setup();
  refusedWith(await call("read", { path: "/dev/zero" }), /outside the workspace/);
  refusedWith(await call("read", { path: "/dev/null" }), /outside the workspace/);
  fs.symlinkSync("/dev/zero", at("zero"));
  refusedWith(await call("read", { path: "zero" }), /leads outside the workspace/);
  refusedWith(await call("write", { path: "zero", content: "x" }), /symbolic link/);
  try {
    execFileSync("mknod", [at("zdev"), "c", "1", "5"], { stdio: "ignore" }); // /dev/zero's numbers
  } catch {
    t.diagnostic("mknod is not permitted here; the device-file case is covered by the FIFO test");
    return;
  }
  refusedWith(await call("read", { path: "zdev" }), /"zdev" is a character device/);
  refusedWith(await call("edit", { path: "zdev", old_string: "a", new_string: "b" }), /character device/);
  assert.match((await call("grep", { pattern: "x" })).content, /^No matches/);
});

test("a directory swapped for a symbolic link out between the check and the open is caught on the descriptor", async () => {
  const { ws, outside, at, outsideIntact } = setup();
  fs.mkdirSync(at("d/e"), { recursive: true });
  fs.writeFileSync(at("d/f.txt"), "inside\n");
  fs.mkdirSync(path.join(outside, "odir", "e"));
  fs.writeFileSync(path.join(outside, "odir", "f.txt"), SECRET);
  const read = resolveInside(ws, "d/f.txt");
  const write = resolveForWrite(ws, "d/new.txt");
  const deep = resolveForWrite(ws, "d/e/new.txt");
  assert.ok(!isRefusal(read) && read.stat !== null && !isRefusal(write) && !isRefusal(deep));
  fs.renameSync(at("d"), at("d.old"));
  fs.symlinkSync(path.join(outside, "odir"), at("d"));

  const opened = await openFileChecked(ws, read.rel, read.abs, read.stat);
  assert.ok(isRefusal(opened));
  assert.match(opened.refused, /"d\/f\.txt" changed between the check and the open/);
  // Even an inode that matches is refused when the descriptor's real path is outside.
  const sameInode = await openFileChecked(ws, read.rel, read.abs, fs.lstatSync(path.join(outside, "odir", "f.txt"), { bigint: true }));
  assert.ok(isRefusal(sameInode));
  assert.match(sameInode.refused, /changed between the check and the open/);

  const wrote = writeResolved(ws, write, "pwned");
  assert.ok(isRefusal(wrote));
  assert.match(wrote.refused, /became a symbolic link/);
  const wroteDeep = writeResolved(ws, deep, "pwned");
  assert.ok(isRefusal(wroteDeep));
  assert.match(wroteDeep.refused, /changed between the check and the open/);
  assert.deepEqual(fs.readdirSync(path.join(outside, "odir", "e")), []);
  fs.rmSync(path.join(outside, "odir", "e"), { recursive: true });
  fs.rmSync(path.join(outside, "odir", "f.txt"));
  assert.ok(outsideIntact());
});

test("a file swapped after the check (for a FIFO, or another file while editing) is refused without blocking", async () => {
  const { ws, at } = setup();
  fs.writeFileSync(at("f.txt"), "text\n");
  const r = resolveInside(ws, "f.txt");
  assert.ok(!isRefusal(r) && r.stat !== null);
  fs.rmSync(at("f.txt"));
  execFileSync("mkfifo", [at("f.txt")]);
  const opened = await openFileChecked(ws, r.rel, r.abs, r.stat);
  assert.ok(isRefusal(opened));
  // The FIFO may reuse the removed file's inode number; then its type gives it away.
  assert.match(opened.refused, /changed between the check and the open|"f\.txt" is a FIFO/);

  fs.writeFileSync(at("g.txt"), "one\n");
  const g = resolveForWrite(ws, "g.txt");
  assert.ok(!isRefusal(g) && g.stat !== null);
  // Another file renamed over it: its inode differs, as both existed at once.
  fs.writeFileSync(at("g2.txt"), "someone else's\n");
  fs.renameSync(at("g2.txt"), at("g.txt"));
  const edited = writeResolved(ws, g, "two\n", g.stat);
  assert.ok(isRefusal(edited));
  assert.match(edited.refused, /was replaced or removed while it was being edited/);
  assert.equal(fs.readFileSync(at("g.txt"), "utf8"), "someone else's\n");
});

test("huge files are capped: read stops early, edit and grep refuse them, nothing reads forever", async () => {
  const { at, call } = setup({ tools: { fs: { maxReadBytes: 64 * 1024 } } });
  fs.writeFileSync(at("huge.log"), "log line\n".repeat(20_000));
  fs.truncateSync(at("huge.log"), 64 * 1024 ** 3); // 64 GiB, sparse
  const r = await call("read", { path: "huge.log", limit: 100_000 });
  assert.equal(r.isError, false);
  assert.ok(Buffer.byteLength(r.content) < 64 * 1024 + 200);
  assert.match(r.content, /read cap of 64\.0 KiB at line \d+; read again with offset=/);
  refusedWith(
    await call("edit", { path: "huge.log", old_string: "log", new_string: "x" }),
    /The current file for "huge\.log" would be 64\.0 GiB; writes are capped at 4\.0 MiB/,
  );
  assert.match((await call("grep", { pattern: "log line" })).content, /^No matches.*\n1 file\(s\) over the read cap of 64\.0 KiB were not searched/);
  assert.match((await call("list", { path: "." })).content, /huge\.log\tfile, 68719476736 bytes/);
});

test("a NUL byte in a path or pattern is refused by every tool", async () => {
  const { call } = setup();
  const nul = /NUL byte/;
  refusedWith(await call("read", { path: "a\0b" }), nul);
  refusedWith(await call("write", { path: "a.txt\0.png", content: "x" }), nul);
  refusedWith(await call("edit", { path: "a\0", old_string: "a", new_string: "b" }), nul);
  refusedWith(await call("list", { path: "\0" }), nul);
  refusedWith(await call("grep", { pattern: "x", path: "a\0" }), nul);
  refusedWith(await call("glob", { pattern: "*", path: "a\0" }), nul);
  refusedWith(await call("glob", { pattern: "*\0" }), nul);
});
