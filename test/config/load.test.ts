import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import { ConfigError, hasCode } from "../../src/shared/errors.ts";
import { tmpDir } from "../helpers/gateway.ts";

function tempConfig(text?: string): string {
  const dir = tmpDir("onebrain-load-");
  const file = path.join(dir, "onebrain.json");
  if (text !== undefined) fs.writeFileSync(file, text);
  return file;
}

function loadError(file: string): ConfigError {
  try {
    loadConfig(file);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected loadConfig to throw");
}

test("a missing file gives frozen defaults and says the file does not exist", () => {
  const loaded = loadConfig(tempConfig());
  assert.equal(loaded.exists, false);
  assert.equal(loaded.raw, undefined);
  assert.equal(loaded.config.gateway.bind, "loopback");
  assert.equal(loaded.config.gateway.ws.pingIntervalMs, 30_000);
  assert.equal(loaded.config.logging.level, "info");
  assert.ok(Object.isFrozen(loaded.config));
});

test("an empty file is treated as an empty object", () => {
  const loaded = loadConfig(tempConfig("  \n"));
  assert.equal(loaded.exists, true);
  assert.equal(loaded.config.session.historyLimit, 50);
});

test("accepts JSON5 comments, unquoted keys and trailing commas", () => {
  const file = tempConfig(`// my brain
{
  gateway: {
    port: 19000, /* the usual port */
    trustedProxies: ["10.0.0.1",],
  },
}
`);
  const loaded = loadConfig(file);
  assert.equal(loaded.config.gateway.port, 19000);
  assert.deepEqual(loaded.config.gateway.trustedProxies, ["10.0.0.1"]);
});

test("a non-numeric port is CONFIG_INVALID naming the key, what was found, what is expected, and the file", () => {
  const file = tempConfig(`{ gateway: { port: "abc" } }`);
  const err = loadError(file);
  assert.equal(err.code, "CONFIG_INVALID");
  assert.match(err.message, /gateway\.port: expected an integer 1-65535, got "abc"/);
  assert.ok(err.message.includes(file));
  assert.equal(err.exitCode, 20);
});

test("lists every problem, not just the first", () => {
  const err = loadError(tempConfig(`{ gateway: { port: 0 }, logging: { level: "loud" } }`));
  const problems = err.details.problems as { path: string }[];
  assert.deepEqual(problems.map((p) => p.path).sort(), ["gateway.port", "logging.level"]);
  assert.match(err.message, /logging\.level: expected one of fatal, error/);
});

test("an unknown key suggests the nearest valid key with its full path", () => {
  const err = loadError(tempConfig(`{ gateway: { prot: 19000 } }`));
  assert.equal(err.code, "CONFIG_INVALID");
  assert.match(err.message, /gateway\.prot: unknown key \(did you mean "gateway\.port"\?\)/);
});

test("an unknown key with no near match lists the valid keys at that level", () => {
  const err = loadError(tempConfig(`{ reply: { zzzzzzzzzz: 1 } }`));
  assert.match(err.message, /reply\.zzzzzzzzzz: unknown key \(valid keys here: timeoutSeconds\)/);
});

test("a syntax error is CONFIG_SYNTAX with the line and column", () => {
  const file = tempConfig(`{\n  gateway: {\n    port: 19000,,\n  }\n}\n`);
  const err = loadError(file);
  assert.equal(err.code, "CONFIG_SYNTAX");
  assert.match(err.message, /at line 3, column \d+/);
  assert.equal(err.details.line, 3);
  assert.equal(typeof err.details.column, "number");
  assert.ok(err.message.includes(file));
});

test("a directory at the config path is CONFIG_UNREADABLE", () => {
  // Tests run as root, so chmod 000 would not stop the read; a directory gives EISDIR everywhere.
  const file = tempConfig();
  fs.mkdirSync(file);
  const err = loadError(file);
  assert.equal(err.code, "CONFIG_UNREADABLE");
  assert.equal(err.details.errno, "EISDIR");
  assert.ok(err.message.includes(file));
});

test("the loaded config is deep-frozen, down to nested objects and arrays", () => {
  const loaded = loadConfig(tempConfig(`{ gateway: { trustedProxies: ["10.0.0.1"] }, browser: { profiles: { work: { cdpPort: 9222 } } } }`));
  const config = loaded.config;
  assert.ok(Object.isFrozen(config.gateway));
  assert.ok(Object.isFrozen(config.gateway.ws));
  assert.ok(Object.isFrozen(config.gateway.trustedProxies));
  assert.ok(Object.isFrozen(config.browser.profiles.work));
  assert.throws(() => {
    (config.gateway as { port?: number }).port = 1;
  }, TypeError);
  assert.throws(() => {
    (config.gateway.trustedProxies as string[]).push("x");
  }, TypeError);
});

test("config errors carry their registered code for callers to branch on", () => {
  const err = loadError(tempConfig(`[1, 2]`));
  assert.ok(hasCode(err, "CONFIG_INVALID"));
});
