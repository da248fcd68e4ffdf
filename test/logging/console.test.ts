import { test } from "node:test";
import assert from "node:assert/strict";
import { createConsoleStream, formatLine, wantsColor } from "../../src/logging/console.ts";

const time = "2026-03-04T05:06:07.089Z";
const record = { level: 30, time, pid: 42, hostname: "h", msg: "gateway listening", port: 18789, host: "127.0.0.1", auth: { mode: "token" } };
const line = `${JSON.stringify(record)}\n`;

function localClock(iso: string): string {
  const d = new Date(iso);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

test("pretty shows the local time, the level, the message, then extra fields as key=value", () => {
  assert.equal(formatLine(line, "pretty"), `${localClock(time)} INFO  gateway listening port=18789 host=127.0.0.1 auth={"mode":"token"}`);
});

test("pretty colours the level only when asked", () => {
  assert.ok(!formatLine(line, "pretty").includes("\x1b"));
  assert.ok(formatLine(line, "pretty", { color: true }).includes("\x1b[32mINFO \x1b[0m gateway listening"));
});

test("colour is wanted for a TTY only, and never with NO_COLOR", () => {
  assert.equal(wantsColor({ isTTY: true }, {}), true);
  assert.equal(wantsColor({ isTTY: false }, {}), false);
  assert.equal(wantsColor({}, {}), false);
  assert.equal(wantsColor({ isTTY: true }, { NO_COLOR: "1" }), false);
});

test("compact prints one short line: level, message, fields", () => {
  assert.equal(formatLine(line, "compact"), `info gateway listening port=18789 host=127.0.0.1 auth={"mode":"token"}`);
  const long = JSON.stringify({ level: 40, msg: "m", blob: "z".repeat(500) });
  const out = formatLine(long, "compact");
  assert.ok(out.length < 100, out);
  assert.ok(out.endsWith("…"));
});

test("json passes the line through unchanged", () => {
  assert.equal(formatLine(line, "json"), line.trimEnd());
});

test("quotes values with spaces so key=value stays readable", () => {
  const out = formatLine(JSON.stringify({ level: 30, msg: "m", reason: "config changed", empty: "", n: null, ok: true }), "compact");
  assert.equal(out, `info m reason="config changed" empty="" n=null ok=true`);
});

test("shows a malformed line as it is instead of failing", () => {
  assert.equal(formatLine("not json at all", "pretty"), "not json at all");
  assert.equal(formatLine("{broken", "compact"), "{broken");
  assert.equal(formatLine("[1,2]", "pretty"), "[1,2]");
  assert.equal(formatLine(JSON.stringify({ level: "weird", msg: 5 }), "compact"), "weird");
});

test("escapes control characters so logged text cannot fake a line or recolour the terminal", () => {
  const evil = JSON.stringify({ level: 30, msg: "hi\n12:00:00.000 ERROR fake\x1b[31m", who: "a\nb" });
  const out = formatLine(evil, "pretty");
  assert.ok(!out.includes("\n") && !out.includes("\x1b"));
  assert.match(out, /hi\\n12:00:00\.000 ERROR fake\\u001b\[31m/);
  assert.match(out, /who="a\\nb"/);
});

test("pretty shows an error's code and message on the line and its stack below", () => {
  const err = {
    type: "OnebrainError",
    code: "CONFIG_INVALID",
    message: "bad config",
    stack: "OnebrainError: bad config\n    at load (config.ts:1:1)\n    at main (cli.ts:2:2)",
  };
  const out = formatLine(JSON.stringify({ level: 50, time, msg: "reload failed", err }), "pretty");
  assert.equal(out, `${localClock(time)} ERROR reload failed err="CONFIG_INVALID: bad config"\n    at load (config.ts:1:1)\n    at main (cli.ts:2:2)`);
  assert.equal(formatLine(JSON.stringify({ level: 50, msg: "reload failed", err }), "compact"), `error reload failed err="CONFIG_INVALID: bad config"`);
});

test("the console stream writes one rendered line per record", () => {
  const chunks: string[] = [];
  const target = { write: (s: string) => chunks.push(s) } as unknown as NodeJS.WritableStream;
  createConsoleStream(target, "compact").write(line);
  createConsoleStream(target, "json").write(line);
  assert.deepEqual(chunks, ['info gateway listening port=18789 host=127.0.0.1 auth={"mode":"token"}\n', line]);
});
