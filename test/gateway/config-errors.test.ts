import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { inspectLock } from "../../src/lock/inspect.ts";
import { brainEnv, freePort, runCli, tmpDir, writeConfig, type CliResult } from "../helpers/gateway.ts";
import { accepts } from "./support.ts";

interface Refusal {
  stateDir: string;
  port: number;
  configPath: string;
  r: CliResult;
}

/** Runs `onebrain gateway --port P` on a fresh brain whose config file holds `text` (or nothing). */
async function refusedStart(text: string | undefined, opts: { args?: string[]; env?: Record<string, string | undefined> } = {}): Promise<Refusal> {
  const stateDir = path.join(tmpDir(), "state");
  const configPath = text === undefined ? path.join(stateDir, "onebrain.json") : writeConfig(stateDir, {});
  if (text !== undefined) fs.writeFileSync(configPath, text);
  const port = await freePort();
  const r = await runCli([...(opts.args ?? ["gateway", "--port", String(port)])], brainEnv(stateDir, opts.env));
  return { stateDir, port, configPath, r };
}

/** A refused start leaves no lock held, no owner record, and nothing listening. */
async function assertLeftNothing({ stateDir, port, r }: Refusal): Promise<void> {
  const lock = inspectLock(path.join(stateDir, "brain.lock"), path.join(stateDir, "brain.owner.json"));
  assert.notEqual(lock.status, "held", r.stderr);
  assert.equal(fs.existsSync(path.join(stateDir, "brain.owner.json")), false, "a refused start left an owner record");
  assert.equal(await accepts(port), false, `something listens on ${port} after a refused start`);
  assert.equal(r.stdout, "", "a refused start prints nothing on stdout");
}

test("a port that is not a number in the config is refused with exit 20 naming the file, the key and the value", async () => {
  const x = await refusedStart(JSON.stringify({ gateway: { port: "abc" } }));
  assert.equal(x.r.code, 20, x.r.stderr);
  assert.ok(x.r.stderr.includes(x.configPath), x.r.stderr);
  assert.ok(x.r.stderr.includes('gateway.port: expected an integer 1-65535, got "abc"'), x.r.stderr);
  await assertLeftNothing(x);
});

test("a misspelt key is refused with exit 20 and the nearest valid key suggested", async () => {
  const x = await refusedStart(JSON.stringify({ gateway: { prot: 1234 } }));
  assert.equal(x.r.code, 20, x.r.stderr);
  assert.ok(x.r.stderr.includes("gateway.prot"), x.r.stderr);
  assert.ok(x.r.stderr.includes('did you mean "gateway.port"'), x.r.stderr);
  await assertLeftNothing(x);
});

test("a JSON5 syntax error is refused with exit 21 naming the line and column", async () => {
  const x = await refusedStart("{\n  // comments are fine\n  gateway: {\n    port: 1234,,\n  },\n}\n");
  assert.equal(x.r.code, 21, x.r.stderr);
  assert.ok(x.r.stderr.includes(x.configPath), x.r.stderr);
  assert.ok(x.r.stderr.includes("line 4, column 16"), x.r.stderr);
  await assertLeftNothing(x);
});

test("a config path that is a directory is refused with exit 22", async () => {
  const dir = tmpDir();
  const x = await refusedStart(undefined, { env: { ONEBRAIN_CONFIG_PATH: dir } });
  assert.equal(x.r.code, 22, x.r.stderr);
  assert.ok(x.r.stderr.includes(dir), x.r.stderr);
  await assertLeftNothing(x);
});

test("a profile name with a space and a bang is refused with exit 24", async () => {
  const x = await refusedStart(undefined, { args: ["--profile", "bad name!", "gateway", "--port", "0"] });
  assert.equal(x.r.code, 24, x.r.stderr);
  assert.ok(x.r.stderr.includes('"bad name!"'), x.r.stderr);
  assert.equal(fs.existsSync(x.stateDir), false, "a refused profile created the state dir");
});

test("a --port that is not a number is a usage error (exit 2) naming --port", async () => {
  const x = await refusedStart(undefined, { args: ["gateway", "--port", "abc"] });
  assert.equal(x.r.code, 2, x.r.stderr);
  assert.match(x.r.stderr, /"abc" from --port/);
  await assertLeftNothing(x);
});

test("binding to the LAN without auth is refused with exit 13 and says how to set a token", async () => {
  const x = await refusedStart(JSON.stringify({ gateway: { bind: "lan" } }));
  assert.equal(x.r.code, 13, x.r.stderr);
  assert.ok(x.r.stderr.includes(`refusing to bind gateway to 0.0.0.0:${x.port} without auth (set gateway.auth.token or ONEBRAIN_GATEWAY_TOKEN)`), x.r.stderr);
  await assertLeftNothing(x);
});

test("a custom bind address that is not on this host fails with exit 12 and never falls back to another address", async () => {
  const x = await refusedStart(JSON.stringify({ gateway: { bind: "custom", customBindHost: "192.0.2.1", auth: { token: "tok-custom-bind-0123456789" } } }));
  assert.equal(x.r.code, 12, x.r.stderr);
  assert.ok(x.r.stderr.includes(`192.0.2.1:${x.port}`), x.r.stderr);
  assert.match(x.r.stderr, /never falls back/);
  await assertLeftNothing(x);
});

test("config validate --json reports a broken file as ok false with its code and exit code on stdout", async () => {
  const stateDir = path.join(tmpDir(), "state");
  writeConfig(stateDir, { gateway: { port: "abc" } });
  const r = await runCli(["config", "validate", "--json"], brainEnv(stateDir));
  assert.equal(r.code, 20, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.ok, false);
  assert.equal(out.error.code, "CONFIG_INVALID");
  assert.equal(out.error.exitCode, 20);

  fs.writeFileSync(path.join(stateDir, "onebrain.json"), "{ gateway: ");
  const syntax = await runCli(["config", "validate", "--json"], brainEnv(stateDir));
  assert.equal(syntax.code, 21);
  assert.deepEqual([JSON.parse(syntax.stdout).error.code, JSON.parse(syntax.stdout).error.exitCode], ["CONFIG_SYNTAX", 21]);
});
