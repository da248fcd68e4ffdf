import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { RotatingFile } from "../../src/logging/rotating-file.ts";
import { followLog, formatLogLine, tailLog } from "../../src/logging/tail.ts";
import { tmpDir } from "../helpers/gateway.ts";

function tempFile(content = ""): string {
  const dir = tmpDir("onebrain-tail-");
  const file = path.join(dir, "gateway.log");
  fs.writeFileSync(file, content);
  return file;
}

function lines(from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, k) => JSON.stringify({ level: 30, msg: `line ${from + k}` }));
}

test("without a cursor returns the last limit lines and a cursor at the end", async () => {
  const all = lines(0, 1000);
  const file = tempFile(`${all.join("\n")}\n`);
  const r = await tailLog({ file, limit: 3 });
  assert.deepEqual(r.lines, all.slice(-3));
  assert.equal(r.cursor, fs.statSync(file).size);
  assert.equal(r.size, r.cursor);
  assert.equal(r.truncated, true);
  assert.equal(r.reset, false);
  const whole = await tailLog({ file: tempFile("a\nb\n") });
  assert.deepEqual(whole.lines, ["a", "b"]);
  assert.equal(whole.truncated, false);
});

// Linux counts every byte this process reads in /proc/self/io; elsewhere the byte check is skipped.
function bytesRead(): number {
  return Number(/rchar: (\d+)/.exec(fs.readFileSync("/proc/self/io", "utf8"))?.[1] ?? Number.NaN);
}

test("the default limit is 200 lines and a 10 MB file is read only near its end", { skip: !fs.existsSync("/proc/self/io") }, async () => {
  const filler = `${"f".repeat(1023)}\n`.repeat(10 * 1024);
  const tail = lines(0, 300);
  const file = tempFile(filler + `${tail.join("\n")}\n`);
  const before = bytesRead();
  const r = await tailLog({ file });
  const read = bytesRead() - before;
  assert.ok(read < 64 * 1024, `read ${read} bytes to return 200 short lines`);
  assert.equal(r.lines.length, 200);
  assert.deepEqual(r.lines, tail.slice(-200));
  assert.equal(r.truncated, true);
});

test("never returns a partial last line, with or without a cursor", async () => {
  const file = tempFile("one\ntwo\nthr");
  const r = await tailLog({ file });
  assert.deepEqual(r.lines, ["one", "two"]);
  assert.equal(r.cursor, 8);
  assert.equal(r.size, 11);
});

test("tail with a cursor returns only complete new lines", async () => {
  const file = tempFile("a\nb\n");
  const first = await tailLog({ file });
  fs.appendFileSync(file, "c\nd\npart");
  const second = await tailLog({ file, cursor: first.cursor });
  assert.deepEqual(second.lines, ["c", "d"]);
  assert.equal(second.truncated, false);
  const idle = await tailLog({ file, cursor: second.cursor });
  assert.deepEqual(idle.lines, []);
  assert.equal(idle.cursor, second.cursor);
  fs.appendFileSync(file, "ial\n");
  const third = await tailLog({ file, cursor: idle.cursor });
  assert.deepEqual(third.lines, ["partial"]);
});

test("tail after rotation reports reset and reads the new file", async () => {
  const file = tempFile(`${lines(0, 50).join("\n")}\n`);
  const before = await tailLog({ file });
  fs.renameSync(file, `${file}.1`);
  fs.writeFileSync(file, "fresh 1\nfresh 2\n");
  const after = await tailLog({ file, cursor: before.cursor });
  assert.equal(after.reset, true);
  assert.deepEqual(after.lines, ["fresh 1", "fresh 2"]);
  assert.equal(after.cursor, 16);
});

test("a cursor far behind skips to the newest bytes, says truncated, and starts on a line boundary", async () => {
  const file = tempFile("start\n");
  const first = await tailLog({ file });
  fs.appendFileSync(file, `${lines(0, 100).join("\n")}\n`);
  const r = await tailLog({ file, cursor: first.cursor, maxBytes: 200 });
  assert.equal(r.truncated, true);
  assert.ok(r.lines.length > 0 && r.lines.length < 10);
  for (const l of r.lines) assert.doesNotThrow(() => JSON.parse(l), l);
  assert.equal(r.lines.at(-1), lines(99, 100)[0]);
  const capped = await tailLog({ file, cursor: first.cursor, limit: 2 });
  assert.deepEqual(capped.lines, lines(98, 100));
  assert.equal(capped.truncated, true);
});

test("a cursor in the middle of a line skips that line's tail", async () => {
  const file = tempFile("alpha\nbeta\ngamma\n");
  const r = await tailLog({ file, cursor: 8 });
  assert.deepEqual(r.lines, ["gamma"]);
  assert.equal(r.truncated, true);
});

test("keeps multi-byte characters whole", async () => {
  const file = tempFile("héllo wörld ✓\n日本語のログ\n");
  const r = await tailLog({ file, limit: 1 });
  assert.deepEqual(r.lines, ["日本語のログ"]);
  const all = await tailLog({ file, cursor: 0 });
  assert.deepEqual(all.lines, ["héllo wörld ✓", "日本語のログ"]);
});

test("a missing file gives no lines and keeps the cursor", async () => {
  const file = path.join(tmpDir("onebrain-tail-"), "gateway.log");
  assert.deepEqual(await tailLog({ file }), { file, cursor: 0, size: 0, lines: [], truncated: false, reset: false });
  assert.equal((await tailLog({ file, cursor: 42 })).cursor, 42);
});

test("followLog delivers new lines and the lines written just before a rotation", async () => {
  const file = path.join(tmpDir("onebrain-tail-"), "gateway.log");
  const out = new RotatingFile(file, { maxBytes: 60, maxFiles: 3 });
  out.write("old 1\n");
  const seen: string[] = [];
  const resets: boolean[] = [];
  const ac = new AbortController();
  const done = followLog(
    file,
    (ls, info) => {
      seen.push(...ls);
      resets.push(info.reset);
    },
    { intervalMs: 10, signal: ac.signal },
  );
  await waitFor(() => seen.length === 1);
  out.write("new 1\n");
  await waitFor(() => seen.length === 2);
  // Several lines between two polls, with a rotation in the middle: none may be lost.
  out.write(`${"a".repeat(40)}\n`);
  out.write(`${"b".repeat(40)}\n`);
  out.write("after\n");
  await waitFor(() => seen.length === 5);
  ac.abort();
  await done;
  out.end();
  assert.deepEqual(seen, ["old 1", "new 1", "a".repeat(40), "b".repeat(40), "after"]);
  assert.ok(!resets.includes(true));
});

test("formatLogLine renders JSON lines and shows malformed ones as they are", () => {
  assert.equal(formatLogLine(JSON.stringify({ level: 40, msg: "careful", n: 1 }), "compact"), "warn careful n=1");
  assert.equal(formatLogLine("garbage { line", "pretty"), "garbage { line");
  assert.equal(formatLogLine("", "pretty"), "");
  const raw = JSON.stringify({ level: 30, msg: "x" });
  assert.equal(formatLogLine(raw, "json"), raw);
});

async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) assert.fail("timed out waiting");
    await new Promise((r) => setTimeout(r, 5));
  }
}
