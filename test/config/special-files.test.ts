/**
 * A config path that is not a small regular file: a FIFO, a device or a file of gigabytes. Reading
 * one must never block the process or fill its memory, at start (`config validate`, `gateway`)
 * and at a reload alike: each is CONFIG_UNREADABLE naming the path and what is wrong with it.
 * The CLI runs as a real process with a deadline, so a read that blocks fails the test.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { loadConfig, MAX_CONFIG_BYTES } from "../../src/config/load.ts";
import { ConfigError } from "../../src/shared/errors.ts";
import { brainEnv, runCli, tmpDir } from "../helpers/gateway.ts";
import { bounded } from "../gateway/support.ts";

/** `config validate` on the config at `file`, as a process that gets 15 s before it is killed. */
async function validate(file: string): Promise<{ code: number | null; out: string }> {
  const env = brainEnv(path.join(tmpDir(), "state"), { ONEBRAIN_CONFIG_PATH: file });
  const r = await runCli(["config", "validate"], env, 15_000);
  return { code: r.code, out: r.stdout + r.stderr };
}

test("a FIFO at the config path is refused as unreadable at once, not waited on for a writer", bounded, async () => {
  const file = path.join(tmpDir(), "onebrain.json");
  execFileSync("mkfifo", [file]);
  const r = await validate(file);
  assert.equal(r.code, 22, `expected CONFIG_UNREADABLE's exit code 22 (a kill after 15 s is null):\n${r.out}`);
  assert.ok(r.out.includes(file), r.out);
  assert.match(r.out, /is a FIFO \(named pipe\), not a regular file/);
});

test("a character device at the config path is refused as unreadable, not read for ever", bounded, async () => {
  // /dev/zero never ends: a plain read fills memory until the process dies.
  const r = await validate("/dev/zero");
  assert.equal(r.code, 22, r.out);
  assert.match(r.out, /Cannot read config \/dev\/zero: it is a character device, not a regular file/);
});

test("a config file over 4 MiB is refused as unreadable with its size, before it is read", () => {
  const file = path.join(tmpDir(), "onebrain.json");
  // Sparse: 5 MiB of size with no data written, so the test itself stays cheap.
  fs.writeFileSync(file, "{}");
  fs.truncateSync(file, 5 * 1024 * 1024);
  assert.equal(MAX_CONFIG_BYTES, 4 * 1024 * 1024);
  assert.throws(
    () => loadConfig(file),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.code === "CONFIG_UNREADABLE" &&
      err.message === `Cannot read config ${file}: it is 5.0 MiB; a config file may be at most 4 MiB` &&
      (err.details as { size?: number }).size === 5 * 1024 * 1024,
  );
});

test("a config file of exactly 4 MiB is still read", () => {
  const file = path.join(tmpDir(), "onebrain.json");
  fs.writeFileSync(file, `{ /* ${"x".repeat(MAX_CONFIG_BYTES - 10)} */ }`);
  assert.equal(fs.statSync(file).size, MAX_CONFIG_BYTES);
  assert.equal(loadConfig(file).exists, true);
});
