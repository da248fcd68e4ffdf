import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import JSON5 from "json5";
import path from "node:path";
import { getConfigValue, parseCliValue, parseKeyPath, setConfigValue, unsetConfigValue, validateConfigFile } from "../../src/config/edit.ts";
import { loadConfig } from "../../src/config/load.ts";
import { ConfigError } from "../../src/shared/errors.ts";
import { tmpDir } from "../helpers/gateway.ts";

const TOKEN = "tok_abcdefghijklmnop_xyz";

function tempDir(): string {
  return tmpDir("onebrain-edit-");
}

function modeOf(file: string): number {
  return fs.statSync(file).mode & 0o777;
}

function thrown(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected a ConfigError");
}

test("set creates the file with mode 0600 and its directory with mode 0700", () => {
  const dir = path.join(tempDir(), "state");
  const file = path.join(dir, "onebrain.json");
  const edit = setConfigValue(file, "gateway.port", 19000);
  assert.deepEqual(edit, { key: "gateway.port", previous: undefined, value: 19000, backup: null, created: true });
  assert.equal(modeOf(file), 0o600);
  assert.equal(modeOf(dir), 0o700);
  assert.deepEqual(JSON.parse(fs.readFileSync(file, "utf8")), { gateway: { port: 19000 } });
  assert.equal(fs.readFileSync(file, "utf8"), `{\n  "gateway": {\n    "port": 19000\n  }\n}\n`);
});

test("set keeps an existing file's 0640 mode and the backup keeps it too", () => {
  const file = path.join(tempDir(), "onebrain.json");
  fs.writeFileSync(file, `{ gateway: { port: 19000 } }`);
  fs.chmodSync(file, 0o640);
  const edit = setConfigValue(file, "gateway.port", 19001);
  assert.equal(edit.previous, 19000);
  assert.equal(edit.created, false);
  assert.equal(modeOf(file), 0o640);
  assert.equal(edit.backup, `${file}.bak`);
  assert.equal(modeOf(`${file}.bak`), 0o640);
});

test("set creates intermediate objects and keeps the file's other keys", () => {
  const file = path.join(tempDir(), "onebrain.json");
  fs.writeFileSync(file, `{ logging: { level: "debug" } }`);
  setConfigValue(file, "browser.profiles.work.cdpPort", 9222);
  assert.deepEqual(JSON5.parse(fs.readFileSync(file, "utf8")), {
    logging: { level: "debug" },
    browser: { profiles: { work: { cdpPort: 9222 } } },
  });
});

test("set of an invalid value throws CONFIG_INVALID and leaves the file byte-identical", () => {
  const file = path.join(tempDir(), "onebrain.json");
  const original = `// keep me\n{ gateway: { port: 19000, }, }\n`;
  fs.writeFileSync(file, original);
  const err = thrown(() => setConfigValue(file, "gateway.port", "abc"));
  assert.equal(err.code, "CONFIG_INVALID");
  assert.match(err.message, /gateway\.port: expected an integer 1-65535, got "abc"/);
  assert.equal(fs.readFileSync(file, "utf8"), original);
  assert.equal(fs.existsSync(`${file}.bak`), false);
});

test("set of an invalid value on a missing file creates nothing", () => {
  const dir = path.join(tempDir(), "state");
  const file = path.join(dir, "onebrain.json");
  assert.equal(thrown(() => setConfigValue(file, "logging.level", "loud")).code, "CONFIG_INVALID");
  assert.equal(fs.existsSync(dir), false);
});

test("set can fix a file that is invalid elsewhere only if the result is valid", () => {
  const file = path.join(tempDir(), "onebrain.json");
  fs.writeFileSync(file, `{ gateway: { port: "abc" } }`);
  assert.equal(thrown(() => setConfigValue(file, "logging.level", "debug")).code, "CONFIG_INVALID");
  setConfigValue(file, "gateway.port", 19000);
  assert.equal(loadConfig(file).config.gateway.port, 19000);
});

test("the backup holds the previous content, comments included", () => {
  const file = path.join(tempDir(), "onebrain.json");
  const original = `// my port\n{ gateway: { port: 19000 } }\n`;
  fs.writeFileSync(file, original);
  const edit = setConfigValue(file, "gateway.bind", "lan");
  assert.equal(fs.readFileSync(edit.backup!, "utf8"), original);
  assert.equal(fs.readFileSync(file, "utf8"), `// my port\n{ gateway: { port: 19000, bind: "lan" } }\n`);
});

test("set masks secrets in what it returns but writes them in full", () => {
  const file = path.join(tempDir(), "onebrain.json");
  setConfigValue(file, "gateway.auth.token", "old_token_value_1234");
  const edit = setConfigValue(file, "gateway.auth.token", TOKEN);
  assert.equal(edit.previous, "old…234");
  assert.equal(edit.value, "tok…xyz");
  assert.equal(loadConfig(file).config.gateway.auth.token, TOKEN);
});

test("set of null removes the key, and unset of a key not set writes nothing", () => {
  const file = path.join(tempDir(), "onebrain.json");
  setConfigValue(file, "gateway.port", 19000);
  const edit = setConfigValue(file, "gateway.port", null);
  assert.equal(edit.previous, 19000);
  assert.equal(edit.value, undefined);
  assert.equal(loadConfig(file).config.gateway.port, undefined);
  const before = fs.readFileSync(file, "utf8");
  assert.equal(unsetConfigValue(file, "gateway.port").backup, null);
  assert.equal(fs.readFileSync(file, "utf8"), before);
  assert.equal(unsetConfigValue(path.join(tempDir(), "none.json"), "gateway.port").created, false);
});

test("get masks tokens unless asked to reveal them", () => {
  const file = path.join(tempDir(), "onebrain.json");
  fs.writeFileSync(file, JSON.stringify({ gateway: { auth: { token: TOKEN } } }));
  const loaded = loadConfig(file);
  assert.deepEqual(getConfigValue(loaded, "gateway.auth.token", { env: {} }), {
    key: "gateway.auth.token",
    value: "tok…xyz",
    source: "file",
    from: "the config file",
    set: true,
    secret: true,
  });
  assert.equal(getConfigValue(loaded, "gateway.auth.token", { reveal: true, env: {} }).value, TOKEN);
  const auth = getConfigValue(loaded, "gateway.auth", { env: {} }).value as { token: string };
  assert.equal(auth.token, "tok…xyz");
});

test("get reports defaults with source default and file values with source file", () => {
  const file = path.join(tempDir(), "onebrain.json");
  fs.writeFileSync(file, `{ gateway: { port: 19000 }, browser: { profiles: { work: { cdpPort: 9222 } } } }`);
  const loaded = loadConfig(file);
  assert.deepEqual(getConfigValue(loaded, "gateway.port", { env: {} }), {
    key: "gateway.port",
    value: 19000,
    source: "file",
    from: "the config file",
    set: true,
    secret: false,
  });
  assert.deepEqual(getConfigValue(loaded, "gateway.ws.pingIntervalMs", { env: {} }), {
    key: "gateway.ws.pingIntervalMs",
    value: 30_000,
    source: "default",
    from: "default",
    set: true,
    secret: false,
  });
  assert.equal(getConfigValue(loaded, "browser.profiles.work.cdpPort", { env: {} }).value, 9222);
  assert.deepEqual(getConfigValue(loaded, "browser.profiles.home.cdpPort", { env: {} }), {
    key: "browser.profiles.home.cdpPort",
    value: null,
    source: "default",
    from: "not set",
    set: false,
    secret: false,
  });
});

test("an unknown key is CONFIG_KEY_UNKNOWN and suggests the nearest full key", () => {
  const loaded = loadConfig(path.join(tempDir(), "none.json"));
  const err = thrown(() => getConfigValue(loaded, "gateway.prot"));
  assert.equal(err.code, "CONFIG_KEY_UNKNOWN");
  assert.match(err.message, /did you mean "gateway\.port"\?/);
  assert.equal(err.details.suggestion, "gateway.port");
  assert.equal(thrown(() => parseKeyPath("gatway.ws.maxPayload")).details.suggestion, "gateway.ws.maxPayload");
});

test("keys that cannot be addressed are refused with the reason", () => {
  assert.match(thrown(() => parseKeyPath("gateway.port.x")).message, /"gateway\.port" holds a single value \(number\)/);
  assert.match(thrown(() => parseKeyPath("gateway.trustedProxies.0")).message, /is a list: set it whole/);
  assert.match(thrown(() => parseKeyPath("browser.profiles.__proto__")).message, /need a plain name/);
  assert.equal(thrown(() => setConfigValue(path.join(tempDir(), "x.json"), "nope", 1)).code, "CONFIG_KEY_UNKNOWN");
});

test("parseCliValue keeps number-like text as a string for string keys and parses JSON5 otherwise", () => {
  assert.equal(parseCliValue("gateway.auth.token", "0123"), "0123");
  assert.equal(parseCliValue("gateway.auth.token", "12345"), "12345");
  assert.equal(parseCliValue("gateway.bind", '"lan"'), "lan");
  assert.equal(parseCliValue("gateway.port", "19000"), 19000);
  assert.equal(parseCliValue("gateway.port", "abc"), "abc");
  assert.deepEqual(parseCliValue("gateway.trustedProxies", "['10.0.0.1',]"), ["10.0.0.1"]);
  assert.deepEqual(parseCliValue("browser.profiles.work", "{cdpPort: 9222}"), { cdpPort: 9222 });
  assert.equal(parseCliValue("gateway.port", "null"), null);
});

test("validateConfigFile reports problems as a result instead of throwing", () => {
  const dir = tempDir();
  const missing = path.join(dir, "none.json");
  assert.deepEqual(validateConfigFile({ configPath: missing, configPathFromEnv: false }), { ok: true, file: missing, exists: false });
  const named = validateConfigFile({ configPath: missing, configPathFromEnv: true });
  assert.equal(named.ok ? undefined : named.error.code, "CONFIG_MISSING", "ONEBRAIN_CONFIG_PATH naming a missing file is an error");
  const bad = path.join(dir, "bad.json");
  fs.writeFileSync(bad, `{ gateway: `);
  const result = validateConfigFile({ configPath: bad, configPathFromEnv: false });
  assert.equal(result.ok, false);
  assert.equal(result.ok ? undefined : result.error.code, "CONFIG_SYNTAX");
  fs.mkdirSync(path.join(dir, "dir.json"));
  const unreadable = validateConfigFile({ configPath: path.join(dir, "dir.json"), configPathFromEnv: false });
  assert.equal(unreadable.ok ? undefined : unreadable.error.code, "CONFIG_UNREADABLE");
});
