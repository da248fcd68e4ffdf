/** Log lines on the Logs page: pino JSON made compact, filtered by level and text, bounded. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendCapped, filterLines, parseLogLine } from "../../console/src/logs/lines.ts";

test("a pino line shows its level, message and other fields, without pid and hostname", () => {
  const l = parseLogLine(
    JSON.stringify({ level: 40, time: "2026-01-02T03:04:05.006Z", pid: 1, hostname: "h", msg: "slow consumer", conn: "c1", buffered: 9000 }),
    0,
  );
  assert.equal(l.level, "warn");
  assert.equal(l.msg, "slow consumer");
  assert.equal(l.fields, "conn=c1 buffered=9000");
  assert.match(l.time, /^\d\d:\d\d:05\.006$/);
});

test("a line that is not JSON is kept as it is", () => {
  const l = parseLogLine("plain text", 3);
  assert.deepEqual([l.level, l.msg, l.fields, l.time], ["info", "plain text", "", ""]);
});

test("the level filter keeps that level and above; search matches any part of the line, ignoring case", () => {
  const lines = [10, 30, 40, 50, 60].map((level, i) => parseLogLine(JSON.stringify({ level, msg: `m${i}`, client: i === 3 ? "Alice" : "bob" }), i));
  assert.deepEqual(
    filterLines(lines, "warn", "").map((l) => l.level),
    ["warn", "error", "fatal"],
  );
  assert.deepEqual(
    filterLines(lines, "trace", "ALICE").map((l) => l.msg),
    ["m3"],
  );
});

test("the buffer keeps only the newest lines beyond its cap", () => {
  const mk = (n: number) => Array.from({ length: n }, (_, i) => parseLogLine(`line ${i}`, i));
  const kept = appendCapped(mk(4), mk(3), 5);
  assert.deepEqual(
    kept.map((l) => l.msg),
    ["line 2", "line 3", "line 0", "line 1", "line 2"],
  );
});
