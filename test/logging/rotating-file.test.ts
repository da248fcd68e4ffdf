import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { RotatingFile } from "../../src/logging/rotating-file.ts";
import { tmpDir } from "../helpers/gateway.ts";

function tempLog(): string {
  const dir = tmpDir("onebrain-rotate-");
  return path.join(dir, "logs", "gateway.log");
}

function line(i: number): string {
  // Fixed width, so every line has the same byte length and rotation points are predictable.
  return `${JSON.stringify({ i: String(i).padStart(3, "0"), msg: "x".repeat(40) })}\n`;
}

test("creates the parent directory 0700 and the log file 0600", () => {
  const file = tempLog();
  const out = new RotatingFile(file, { maxBytes: 1024, maxFiles: 2 });
  out.write(line(1));
  out.end();
  assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.equal(fs.readFileSync(file, "utf8"), line(1));
});

test("tightens an existing log file that others could read", () => {
  const file = tempLog();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, "", { mode: 0o644 });
  fs.chmodSync(file, 0o644);
  new RotatingFile(file, { maxBytes: 1024, maxFiles: 2 }).end();
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
});

test("appends to an existing log and counts its size toward rotation", () => {
  const file = tempLog();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, "old\n".repeat(20));
  const out = new RotatingFile(file, { maxBytes: 100, maxFiles: 2 });
  assert.equal(out.size, 80);
  out.write(line(1)); // 80 + 55 > 100: the old content moves to .1 first
  out.end();
  assert.equal(fs.readFileSync(`${file}.1`, "utf8"), "old\n".repeat(20));
  assert.equal(fs.readFileSync(file, "utf8"), line(1));
});

test("rotates the file when it passes maxBytes and keeps maxFiles old files", () => {
  const file = tempLog();
  const size = Buffer.byteLength(line(0));
  const out = new RotatingFile(file, { maxBytes: size * 2, maxFiles: 3 });
  for (let i = 0; i < 12; i++) out.write(line(i));
  out.end();
  const names = fs.readdirSync(path.dirname(file)).sort();
  assert.deepEqual(names, ["gateway.log", "gateway.log.1", "gateway.log.2", "gateway.log.3"]);
  // Two lines a file: the newest file holds 10-11, .1 holds 8-9, .3 (the oldest kept) holds 4-5.
  assert.equal(fs.readFileSync(file, "utf8"), line(10) + line(11));
  assert.equal(fs.readFileSync(`${file}.1`, "utf8"), line(8) + line(9));
  assert.equal(fs.readFileSync(`${file}.3`, "utf8"), line(4) + line(5));
  for (const name of names) assert.ok(fs.statSync(path.join(path.dirname(file), name)).size <= size * 2);
});

test("never splits a line across two files, even one longer than maxBytes", () => {
  const file = tempLog();
  const out = new RotatingFile(file, { maxBytes: 64, maxFiles: 5 });
  const long = `${JSON.stringify({ msg: "y".repeat(200) })}\n`;
  out.write(line(1));
  out.write(long);
  out.write(line(2));
  out.end();
  assert.equal(fs.readFileSync(`${file}.2`, "utf8"), line(1));
  assert.equal(fs.readFileSync(`${file}.1`, "utf8"), long);
  assert.equal(fs.readFileSync(file, "utf8"), line(2));
});

test("drops lines after end instead of reopening the file", () => {
  const file = tempLog();
  const out = new RotatingFile(file, { maxBytes: 1024, maxFiles: 2 });
  out.write(line(1));
  out.end();
  assert.equal(out.write(line(2)), false);
  assert.equal(fs.readFileSync(file, "utf8"), line(1));
});

test("throws at open when the log directory cannot be created", () => {
  const dir = tmpDir("onebrain-rotate-");
  fs.writeFileSync(path.join(dir, "not-a-dir"), "");
  assert.throws(() => new RotatingFile(path.join(dir, "not-a-dir", "gateway.log"), { maxBytes: 1024, maxFiles: 2 }), /ENOTDIR|EEXIST/);
});

test("reports a write failure once and keeps the caller running", () => {
  const file = tempLog();
  const errors: Error[] = [];
  const out = new RotatingFile(file, { maxBytes: 64, maxFiles: 2, onError: (e) => errors.push(e) });
  out.write(line(1));
  // The directory disappears under us: rotation and reopen fail, and logging must not throw.
  fs.rmSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(path.dirname(file), "");
  assert.doesNotThrow(() => out.write(line(2)));
  assert.ok(errors.length >= 1);
  assert.ok(out.lastError);
  out.end();
});
