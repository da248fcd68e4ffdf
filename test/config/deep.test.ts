/**
 * A config file nested thousands of levels deep, or a `config set` key or value that is: every
 * command answers CONFIG_INVALID (exit 20) saying how deep is allowed and where the file goes
 * past it, leaves the file as it was, and never overflows the stack. Real CLI processes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { brainEnv, freePort, runCli, tmpDir } from "../helpers/gateway.ts";
import { tooDeep } from "../../src/config/depth.ts";
import { bounded } from "../gateway/support.ts";

const LEVELS = 20_000;

/** A brain whose config file holds `text`. */
function brain(text: string): { file: string; env: NodeJS.ProcessEnv } {
  const stateDir = path.join(tmpDir(), "state");
  fs.mkdirSync(stateDir, { recursive: true });
  const file = path.join(stateDir, "onebrain.json");
  fs.writeFileSync(file, text, { mode: 0o600 });
  return { file, env: brainEnv(stateDir) };
}

const deepArrays = `{\n  // a comment with [ brackets ] and "quotes" is not nesting\n  "gateway": { "allowedHosts": ${"[".repeat(LEVELS)}${"]".repeat(LEVELS)} }\n}\n`;
const deepObjects = `{ channels: { telegram: { groups: { ${'"a": {'.repeat(LEVELS)}${"}".repeat(LEVELS)} } } } }`;
const TOO_DEEP = /nests objects and arrays more than 64 levels deep \(line \d+, column \d+\); a config needs only a few/;

test("config validate, set, unset and get on a file nested 20,000 levels deep answer CONFIG_INVALID and leave the file alone", bounded, async () => {
  for (const text of [deepArrays, deepObjects]) {
    const b = brain(text);
    for (const args of [
      ["config", "validate"],
      ["config", "set", "gateway.port", "1234"],
      ["config", "unset", "gateway.port"],
      ["config", "get", "gateway.port"],
    ]) {
      const r = await runCli(args, b.env);
      assert.equal(r.code, 20, `${args.join(" ")}: ${r.stderr.slice(0, 600)}`);
      assert.match(r.stderr, TOO_DEEP, args.join(" "));
      assert.ok(r.stderr.includes(b.file), "the file is named");
      assert.doesNotMatch(r.stderr, /call stack|RangeError|    at /, "no stack overflow, no stack trace");
    }
    assert.equal(fs.readFileSync(b.file, "utf8"), text, "the file is unchanged");
  }
  // Level 65 is the 63rd "[" (the root and gateway objects are levels 1 and 2); the first "[" is at column 32.
  assert.deepEqual(tooDeep(deepArrays, 64), { line: 3, column: 32 + 62 }, "the position is that of the first bracket past the limit");
});

test("a gateway refuses to start on a config nested 20,000 levels deep, with CONFIG_INVALID", bounded, async () => {
  const b = brain(deepArrays);
  const r = await runCli(["gateway", "--port", String(await freePort())], b.env);
  assert.equal(r.code, 20, r.stderr.slice(0, 600));
  assert.match(r.stderr, TOO_DEEP);
});

test("config set with a key path 20,000 segments deep, or a value nested 20,000 levels, is CONFIG_INVALID with a short message", bounded, async () => {
  const b = brain("{}\n");
  const deepKey = `channels.telegram.groups.${Array.from({ length: LEVELS }, () => "a").join(".")}`;
  for (const args of [
    ["config", "set", deepKey, "1"],
    ["config", "unset", deepKey],
    ["config", "get", deepKey],
  ]) {
    const r = await runCli(args, b.env);
    assert.equal(r.code, 20, `${args[1]} deep key: ${r.stderr.slice(0, 600)}`);
    assert.match(r.stderr, /Key path "channels\.telegram\.groups\.a\.a[a.]*…\[\d+ more chars\]" has 20003 segments; config keys are at most 64 deep/);
    assert.ok(r.stderr.length < 1000, `the message stays short (${r.stderr.length} characters)`);
  }
  const r = await runCli(["config", "set", "gateway.allowedHosts", "[".repeat(LEVELS) + "]".repeat(LEVELS)], b.env);
  assert.equal(r.code, 20, r.stderr.slice(0, 600));
  assert.match(r.stderr, /The value for gateway\.allowedHosts nests objects and arrays more than 62 levels deep/);
  assert.equal(fs.readFileSync(b.file, "utf8"), "{}\n");
});
