import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fsTools } from "../../../src/agent/tools/fs/index.ts";
import { grepTool } from "../../../src/agent/tools/fs/grep.ts";
import { compileGlob } from "../../../src/agent/tools/fs/glob-match.ts";
import type { Tool } from "../../../src/agent/tools/types.ts";
import { testContext, type TestContextOptions } from "./context.ts";

const tools = new Map(fsTools().map((t) => [t.name, t]));

/** A workspace with `files` written (paths relative to it), and a caller for the fs tools. */
function workspace(files: Record<string, string | Buffer> = {}, options: TestContextOptions = {}) {
  const ctx = testContext(options);
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(ctx.workspace, rel)), { recursive: true });
    fs.writeFileSync(path.join(ctx.workspace, rel), content);
  }
  const call = (name: string, input: Record<string, unknown>, tool?: Tool) => (tool ?? tools.get(name))!.run(input, ctx);
  const file = (rel: string) => fs.readFileSync(path.join(ctx.workspace, rel), "utf8");
  return { ctx, ws: ctx.workspace, call, file };
}

test("read numbers the lines, and a range says where the rest continues", async () => {
  const { call } = workspace({ "notes.md": "one\ntwo\r\nthree\nfour\n" });
  assert.deepEqual(await call("read", { path: "notes.md" }), { isError: false, content: "     1\tone\n     2\ttwo\n     3\tthree\n     4\tfour" });
  const part = await call("read", { path: "notes.md", offset: 2, limit: 2 });
  assert.equal(part.content, "     2\ttwo\n     3\tthree\n[Showing lines 2-3; more follow: read again with offset=4.]");
  assert.equal((await call("read", { path: "notes.md", offset: 3, limit: 2 })).content, "     3\tthree\n     4\tfour");
  assert.match((await call("read", { path: "notes.md", offset: 9 })).content, /has 4 lines; offset 9 is past its end/);
});

test("read reports an empty file, and refuses a directory, a missing file and a binary file with what to do", async () => {
  const { call } = workspace({ "empty.txt": "", "d/x": "x", "img.png": Buffer.from([0x89, 0x50, 0x00, 0x01]) });
  assert.equal((await call("read", { path: "empty.txt" })).content, '"empty.txt" is empty (0 bytes).');
  const dir = await call("read", { path: "d" });
  assert.ok(dir.isError);
  assert.match(dir.content, /is a directory, not a file; use list/);
  const missing = await call("read", { path: "nope.txt" });
  assert.ok(missing.isError);
  assert.match(missing.content, /does not exist; use list or glob/);
  const bin = await call("read", { path: "img.png" });
  assert.ok(bin.isError);
  assert.match(bin.content, /binary/);
});

test("read stops at the read cap and cuts very long lines, saying how to go on", async () => {
  const lines = Array.from({ length: 200 }, (_, i) => `line ${i + 1} ${"x".repeat(40)}`);
  const { call } = workspace({ "big.txt": `${lines.join("\n")}\n` }, { tools: { fs: { maxReadBytes: 1024 } } });
  const r = await call("read", { path: "big.txt" });
  assert.equal(r.isError, false);
  assert.ok(Buffer.byteLength(r.content) < 1024 + 200);
  const last = Number(/read again with offset=(\d+)/.exec(r.content)?.[1]) - 1;
  assert.match(r.content, new RegExp(`read cap of 1\\.0 KiB at line ${last};`));
  assert.ok(r.content.includes(`\t${lines[last - 1]}\n`));
  const next = await call("read", { path: "big.txt", offset: last + 1, limit: 1 });
  assert.match(next.content, new RegExp(`^\\s+${last + 1}\\tline ${last + 1} `));
  const min = await workspace({ "min.js": `${"y".repeat(5000)}\nafter\n` }).call("read", { path: "min.js" });
  assert.match(min.content, /^ +1\ty{2000} \.\.\. \[line cut: 3000 more characters\]\n +2\tafter$/);
});

test("write creates the file and its parent directories, replaces atomically and keeps an existing file's mode", async () => {
  const { call, file, ws } = workspace();
  assert.deepEqual(await call("write", { path: "a/b/c.txt", content: "hello\n" }), { isError: false, content: 'Wrote 6 bytes to "a/b/c.txt" (created it).' });
  assert.equal(file("a/b/c.txt"), "hello\n");
  fs.chmodSync(path.join(ws, "a/b/c.txt"), 0o640);
  assert.match((await call("write", { path: path.join(ws, "a/b/c.txt"), content: "bye" })).content, /\(replaced its previous 6 bytes\)/);
  assert.equal(file("a/b/c.txt"), "bye");
  assert.equal(fs.statSync(path.join(ws, "a/b/c.txt")).mode & 0o777, 0o640);
  assert.deepEqual(fs.readdirSync(path.join(ws, "a/b")), ["c.txt"]);
});

test("write refuses content over the write cap, a directory and a path ending in a slash, writing nothing", async () => {
  const { call, ws } = workspace({ "d/x": "x" }, { tools: { fs: { maxWriteBytes: 1024 } } });
  const big = await call("write", { path: "big.txt", content: "z".repeat(1025) });
  assert.ok(big.isError);
  assert.match(big.content, /would be 1\.0 KiB; writes are capped at 1\.0 KiB \(tools\.fs\.maxWriteBytes\)/);
  const dir = await call("write", { path: "d", content: "x" });
  assert.ok(dir.isError);
  assert.match(dir.content, /"d" is a directory; give a file path/);
  assert.ok((await call("write", { path: "new/", content: "x" })).isError);
  assert.deepEqual(fs.readdirSync(ws).sort(), ["d"]);
});

test("edit replaces a unique match, and refuses none or several with the count and what to do", async () => {
  const { call, file } = workspace({ "a.ts": "let x = 1;\nlet y = 1;\nlet z = 2;\n" });
  assert.deepEqual(await call("edit", { path: "a.ts", old_string: "z = 2", new_string: "z = $& + 1" }), {
    isError: false,
    content: 'Replaced 1 occurrence in "a.ts" (first at line 3); it is now 38 bytes.',
  });
  assert.equal(file("a.ts"), "let x = 1;\nlet y = 1;\nlet z = $& + 1;\n");
  const many = await call("edit", { path: "a.ts", old_string: " = 1;", new_string: " = 0;" });
  assert.ok(many.isError);
  assert.match(many.content, /occurs 2 times in "a\.ts" \(lines 1, 2\); nothing was changed\. .*replace_all: true/);
  const none = await call("edit", { path: "a.ts", old_string: "let w", new_string: "let v" });
  assert.ok(none.isError);
  assert.match(none.content, /was not found in "a\.ts"; nothing was changed\. Read the file/);
  assert.equal(file("a.ts"), "let x = 1;\nlet y = 1;\nlet z = $& + 1;\n");
  assert.match((await call("edit", { path: "a.ts", old_string: " = 1;", new_string: " = 0;", replace_all: true })).content, /Replaced 2 occurrences/);
  assert.equal(file("a.ts"), "let x = 0;\nlet y = 0;\nlet z = $& + 1;\n");
});

test("edit explains CRLF files, refuses a missing file, a no-op and text that is not UTF-8", async () => {
  const { call, file } = workspace({ "win.txt": "a\r\nb\r\n", "latin1.txt": Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]) });
  const crlf = await call("edit", { path: "win.txt", old_string: "a\nb", new_string: "c" });
  assert.ok(crlf.isError);
  assert.match(crlf.content, /CRLF line endings/);
  assert.match((await call("edit", { path: "win.txt", old_string: "a\r\nb", new_string: "c" })).content, /Replaced 1/);
  assert.equal(file("win.txt"), "c\r\n");
  assert.match((await call("edit", { path: "gone.txt", old_string: "a", new_string: "b" })).content, /does not exist; use write to create it/);
  assert.match((await call("edit", { path: "win.txt", old_string: "c", new_string: "c" })).content, /the same/);
  const bad = await call("edit", { path: "latin1.txt", old_string: "caf", new_string: "kaf" });
  assert.ok(bad.isError);
  assert.match(bad.content, /not valid UTF-8/);
});

test("list gives each entry's type and size, recursing to a depth when asked, without descending into node_modules", async () => {
  const { call } = workspace({ "a.txt": "abc", "src/b.ts": "1", "src/deep/c.ts": "12", "src/deep/er/d.ts": "", "node_modules/x/index.js": "" });
  assert.equal(
    (await call("list", { path: "." })).content,
    "The workspace holds 3 entries:\na.txt\tfile, 3 bytes\nnode_modules/\tdir (not descended into)\nsrc/\tdir",
  );
  const deep = await call("list", { path: "src", recursive: true, maxDepth: 2 });
  assert.equal(deep.content, '"src" holds 4 entries to depth 2:\nsrc/b.ts\tfile, 1 byte\nsrc/deep/\tdir\nsrc/deep/c.ts\tfile, 2 bytes\nsrc/deep/er/\tdir');
  assert.match((await call("list", { path: "a.txt" })).content, /^a\.txt\tfile, 3 bytes \(not a directory; use read/);
});

test("list stops at maxResults and says so", async () => {
  const files = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`f${String(i).padStart(2, "0")}`, ""]));
  const { call } = workspace(files, { tools: { fs: { maxResults: 5 } } });
  const r = await call("list", { path: "." });
  assert.equal(r.content.split("\n").length, 7);
  assert.match(r.content, /Only the first 5 entries are shown \(tools\.fs\.maxResults\)/);
});

test("grep finds regex and literal matches as path:line: text, filtered by glob, case-insensitive when asked", async () => {
  const { call } = workspace({
    "a.ts": "const a = 1;\nfoo(a);\n",
    "src/b.ts": "// TODO: b\nfoo.bar()\n",
    "src/c.md": "foo.bar in docs\n",
    "node_modules/m.ts": "foo(",
  });
  assert.equal((await call("grep", { pattern: "foo\\(" })).content, "1 match(es) in the workspace:\na.ts:2: foo(a);");
  assert.equal((await call("grep", { pattern: "foo.bar", literal: true, glob: "*.ts" })).content, "1 match(es) in the workspace:\nsrc/b.ts:2: foo.bar()");
  assert.equal((await call("grep", { pattern: "todo", ignoreCase: true, path: "src" })).content, '1 match(es) in "src":\nsrc/b.ts:1: // TODO: b');
  assert.equal((await call("grep", { pattern: "foo", glob: "src/**/*.md" })).content, "1 match(es) in the workspace:\nsrc/c.md:1: foo.bar in docs");
  assert.equal((await call("grep", { pattern: "foo", path: "src/c.md" })).content, '1 match(es) in "src/c.md":\nsrc/c.md:1: foo.bar in docs');
  assert.match((await call("grep", { pattern: "nothing here" })).content, /^No matches in the workspace \(3 file\(s\) searched\)\.$/);
  assert.equal((await call("grep", { pattern: "foo\\(", path: "node_modules" })).content, '1 match(es) in "node_modules":\nnode_modules/m.ts:1: foo(');
});

test("grep skips binary and oversized files, caps its matches, and refuses a broken regex with the fix", async () => {
  const many = Array.from({ length: 20 }, (_, i) => `hit ${i}`).join("\n");
  const { call } = workspace(
    { "bin.dat": Buffer.from("hit\0hit"), "big.txt": `hit\n${"x".repeat(2000)}`, "many.txt": many },
    { tools: { fs: { maxReadBytes: 1024, maxResults: 5 } } },
  );
  const r = await call("grep", { pattern: "hit" });
  assert.deepEqual(r.content.split("\n"), [
    "5 match(es) in the workspace:",
    "many.txt:1: hit 0",
    "many.txt:2: hit 1",
    "many.txt:3: hit 2",
    "many.txt:4: hit 3",
    "many.txt:5: hit 4",
    "Stopped at 5 matches (tools.fs.maxResults); narrow the path, glob or pattern.",
    "1 file(s) over the read cap of 1.0 KiB were not searched.",
    "1 binary file(s) were not searched.",
  ]);
  const broken = await call("grep", { pattern: "foo(" });
  assert.ok(broken.isError);
  assert.match(broken.content, /Invalid regular expression.*set literal: true/);
  assert.match((await call("grep", { pattern: "foo(", literal: true })).content, /^No matches/);
});

test("grep stops a catastrophically backtracking regex without blocking the event loop", async () => {
  const { call } = workspace({ "evil.txt": `ok line\n${"a".repeat(60)}!\n` });
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  const r = await call("grep", { pattern: "(a+)+$" }, grepTool({ regexTimeoutMs: 300 }));
  clearInterval(timer);
  assert.ok(r.isError);
  assert.match(r.content, /took over 0\.3 s on one file, so grep stopped .*literal: true/);
  assert.ok(ticks > 0, "timers ran while the regex was stuck");
});

test("glob finds files by pattern, sorted, with braces, classes and directories marked", async () => {
  const { call } = workspace({
    "README.md": "",
    "src/a.ts": "",
    "src/b.tsx": "",
    "src/lib/c.ts": "",
    "src/lib/c1.js": "",
    "node_modules/x/y.ts": "",
    ".git/HEAD": "",
  });
  assert.equal((await call("glob", { pattern: "src/**/*.ts" })).content, '2 path(s) in the workspace match "src/**/*.ts":\nsrc/a.ts\nsrc/lib/c.ts');
  assert.equal(
    (await call("glob", { pattern: "**/*.{ts,tsx}" })).content,
    '3 path(s) in the workspace match "**/*.{ts,tsx}":\nsrc/a.ts\nsrc/b.tsx\nsrc/lib/c.ts',
  );
  assert.equal((await call("glob", { pattern: "*" })).content, '4 path(s) in the workspace match "*":\n.git/\nREADME.md\nnode_modules/\nsrc/');
  assert.equal((await call("glob", { pattern: "lib/c[0-9].?s", path: "src" })).content, '1 path(s) in "src" match "lib/c[0-9].?s":\nsrc/lib/c1.js');
  assert.equal(
    (await call("glob", { pattern: "node_modules/**/*.ts" })).content,
    '1 path(s) in the workspace match "node_modules/**/*.ts":\nnode_modules/x/y.ts',
  );
  assert.match((await call("glob", { pattern: "docs/*.md" })).content, /^No paths in the workspace match/);
  assert.ok((await call("glob", { pattern: "../*" })).isError);
  assert.ok((await call("glob", { pattern: "/etc/*" })).isError);
});

test("glob caps its results at maxResults and says so", async () => {
  const files = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`f${i}.txt`, ""]));
  const { call } = workspace(files, { tools: { fs: { maxResults: 4 } } });
  const r = await call("glob", { pattern: "*.txt" });
  assert.deepEqual(r.content.split("\n").slice(1, 5), ["f0.txt", "f1.txt", "f2.txt", "f3.txt"]);
  assert.match(r.content, /Only the first 4 matches are shown/);
});

test("the glob matcher has no catastrophic case: many stars against a long name finish", () => {
  const m = compileGlob(`${"*a".repeat(40)}*b`);
  assert.ok(typeof m !== "string");
  assert.equal(m.test("a".repeat(250)), false);
  assert.equal(m.test(`${"a".repeat(250)}b`), true);
  const deep = compileGlob("**/**/**/**/**/**/x");
  assert.ok(typeof deep !== "string");
  assert.equal(deep.test(`${"d/".repeat(200)}y`), false);
  assert.equal(deep.test("x"), true);
});

test("a missing workspace is an error that says the gateway creates it", async () => {
  const { ctx, ws } = workspace();
  fs.rmSync(ws, { recursive: true });
  for (const t of fsTools()) {
    const r = await t.run(inputFor(t.name), ctx);
    assert.ok(r.isError, t.name);
    assert.match(r.content, /does not exist; the gateway creates it at start/, t.name);
  }
  assert.equal(fs.existsSync(ws), false);
});

/** A valid input for each fs tool. */
function inputFor(name: string): Record<string, unknown> {
  switch (name) {
    case "write":
      return { path: "a.txt", content: "x" };
    case "edit":
      return { path: "a.txt", old_string: "a", new_string: "b" };
    case "grep":
    case "glob":
      return { pattern: "x" };
    default:
      return { path: "a.txt" };
  }
}

test("the fs tools refuse an unknown input key, naming the keys they take", async () => {
  const { call } = workspace({ "a.txt": "a\n" });
  const r = await call("read", { file_path: "a.txt" });
  assert.deepEqual(r, { isError: true, content: 'Unknown input "file_path": this tool takes "path", "offset", "limit".' });
});
