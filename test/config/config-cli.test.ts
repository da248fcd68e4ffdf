/**
 * The config commands as operators type them: `config get` says where a value comes from,
 * `config set` keeps comments, a `null` config or a missing ONEBRAIN_CONFIG_PATH is an error,
 * `setup` prints the port that will be used, and every `next:` names the profile in use.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { withProfile } from "../../src/cli/output.ts";
import { brainEnv, freePort, repoRoot, runCli, tmpDir, writeConfig } from "../helpers/gateway.ts";
import { bounded, reapAll } from "../gateway/support.ts";

after(reapAll);

function brain(config?: unknown): { stateDir: string; env: NodeJS.ProcessEnv } {
  const stateDir = path.join(tmpDir(), "state");
  if (config !== undefined) writeConfig(stateDir, config);
  return { stateDir, env: brainEnv(stateDir) };
}

async function get(key: string, env: NodeJS.ProcessEnv, args: string[] = []): Promise<{ code: number | null; value: string; source: string; json: any }> {
  const text = await runCli([...args, "config", "get", key], env);
  const json = await runCli([...args, "config", "get", key, "--json"], env);
  return { code: text.code, value: text.stdout, source: text.stderr, json: JSON.parse(json.stdout) };
}

test("config get prints the value in force and its source: env, file, profile or default, never undefined", bounded, async () => {
  const port = await freePort();
  const b = brain({ gateway: { port, auth: { token: "tok-config-get-0123456789" } } });

  const fromFile = await get("gateway.port", b.env);
  assert.equal(fromFile.value, `${port}\n`);
  assert.equal(fromFile.source, `source: file ${path.join(b.stateDir, "onebrain.json")}\n`);
  assert.deepEqual([fromFile.json.value, fromFile.json.source], [port, "file"]);

  const fromEnv = await get("gateway.port", { ...b.env, ONEBRAIN_GATEWAY_PORT: String(port + 1) });
  assert.equal(fromEnv.value, `${port + 1}\n`);
  assert.equal(fromEnv.source, "source: env ONEBRAIN_GATEWAY_PORT\n");

  const tokenFromEnv = await get("gateway.auth.token", { ...b.env, ONEBRAIN_GATEWAY_TOKEN: "tok-from-the-environment-42" });
  assert.equal(tokenFromEnv.value, "tok…-42\n", "masked");
  assert.deepEqual([tokenFromEnv.json.source, tokenFromEnv.json.from], ["env", "ONEBRAIN_GATEWAY_TOKEN"]);

  const derived = await get("browser.controlPort", b.env);
  assert.equal(derived.value, `${port + 2}\n`);
  assert.match(derived.source, /default \(the gateway port \+ 2\)/);

  const dflt = await get("gateway.bind", b.env);
  assert.deepEqual([dflt.value, dflt.source], ["loopback\n", "source: default\n"]);

  const profiled = brain();
  const fromProfile = await get("gateway.port", { ...profiled.env, ONEBRAIN_STATE_DIR: undefined, HOME: path.dirname(profiled.stateDir) }, [
    "--profile",
    "work",
  ]);
  assert.equal(fromProfile.json.source, "profile");
  assert.equal(fromProfile.source, "source: profile work\n");

  const unset = await get("gateway.customBindHost", b.env);
  assert.equal(unset.code, 0);
  assert.equal(unset.value, "");
  assert.match(unset.source, /gateway\.customBindHost is not set/);
  assert.deepEqual([unset.json.value, unset.json.set], [null, false]);
  for (const out of [fromFile, fromEnv, tokenFromEnv, derived, dflt, unset]) assert.doesNotMatch(out.value + out.source, /undefined/);

  const unknown = await runCli(["config", "get", "gateway.prot"], b.env);
  assert.equal(unknown.code, 23);
  assert.match(unknown.stderr, /"gateway\.prot".*did you mean "gateway\.port"/);
});

test("config set edits a commented JSON5 file in place: comments, order and layout stay", bounded, async () => {
  const b = brain({});
  const file = path.join(b.stateDir, "onebrain.json");
  const original = [
    "// onebrain, edited by hand",
    "{",
    "  gateway: {",
    "    port: 18789, // the usual port",
    "    /* who may connect */",
    '    auth: { token: "tok-commented-file-0123456789" },',
    "  },",
    '  logging: { level: "info" }, // quiet',
    "}",
    "",
  ].join("\n");
  fs.writeFileSync(file, original);
  assert.equal((await runCli(["config", "set", "gateway.port", "19123"], b.env)).code, 0);
  assert.equal(fs.readFileSync(file, "utf8"), original.replace("port: 18789,", "port: 19123,"));

  assert.equal((await runCli(["config", "set", "gateway.bind", "lan"], b.env)).code, 0);
  assert.equal((await runCli(["config", "set", "session.reset.mode", "idle"], b.env)).code, 0);
  assert.equal((await runCli(["config", "unset", "logging.level"], b.env)).code, 0);
  const after = fs.readFileSync(file, "utf8");
  for (const comment of ["// onebrain, edited by hand", "// the usual port", "/* who may connect */", "// quiet"])
    assert.ok(after.includes(comment), `${comment} lost:\n${after}`);
  assert.ok(after.includes('    bind: "lan",\n  },'), `the new key is not after the last member of gateway, in its indentation:\n${after}`);
  assert.match(after, /\n {2}session: \{\n {4}reset: \{\n {6}mode: "idle"\n {4}\}\n {2}\},?\n\}/);
  assert.ok(after.includes("  logging: {  }, // quiet\n"), `unset did not remove just the member:\n${after}`);
  const v = await runCli(["config", "validate"], b.env);
  assert.equal(v.code, 0, v.stderr);
  assert.equal((await get("session.reset.mode", b.env)).value, "idle\n");
});

test("a config that is just null is an error naming the file and what is expected", bounded, async () => {
  const b = brain({});
  const file = path.join(b.stateDir, "onebrain.json");
  fs.writeFileSync(file, "null\n");
  for (const args of [
    ["config", "validate"],
    ["gateway", "--port", String(await freePort())],
  ]) {
    const r = await runCli(args, b.env);
    assert.equal(r.code, 20, `${args.join(" ")}: ${r.stderr}`);
    assert.ok(r.stderr.includes(file), r.stderr);
    assert.match(r.stderr, /\(root\): expected an object with keys .*, got null/);
  }
});

test("ONEBRAIN_CONFIG_PATH naming a missing file is CONFIG_MISSING (exit 19) naming the file and the fix, not the defaults", bounded, async () => {
  const b = brain();
  const missing = path.join(tmpDir(), "typo", "onebrain.json");
  const env = { ...b.env, ONEBRAIN_CONFIG_PATH: missing };
  for (const args of [
    ["gateway", "--port", String(await freePort())],
    ["config", "validate"],
    ["config", "get", "gateway.port"],
  ]) {
    const r = await runCli(args, env);
    assert.equal(r.code, 19, `${args.join(" ")}: ${r.stderr}`);
    assert.ok(r.stderr.includes(`Cannot find config ${missing} named by ONEBRAIN_CONFIG_PATH`), r.stderr);
    assert.match(r.stderr, /next: Fix the path, create the file/);
  }
  const s = JSON.parse((await runCli(["status", "--json"], env)).stdout);
  assert.equal(s.brain.configError.code, "CONFIG_MISSING");
  // Creating it is the way out: `config set` writes the named file.
  assert.equal((await runCli(["config", "set", "gateway.port", "19876"], env)).code, 0);
  assert.equal((await runCli(["config", "validate"], env)).code, 0);
});

test("setup prints the port a gateway will use, with its source", bounded, async () => {
  const b = brain();
  const port = await freePort();
  const r = await runCli(["setup"], { ...b.env, ONEBRAIN_GATEWAY_PORT: String(port) });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`port\\s+${port} \\(env ONEBRAIN_GATEWAY_PORT\\)`));
  const again = JSON.parse((await runCli(["setup", "--json"], b.env)).stdout);
  assert.deepEqual([again.port, again.portSource], [18789, "default"]);
});

test("every next: hint names the profile in use", bounded, async () => {
  const home = tmpDir();
  const env = brainEnv(path.join(home, ".onebrain-work"), { ONEBRAIN_STATE_DIR: undefined, HOME: home });
  const setup = await runCli(["--profile", "work", "setup"], env);
  assert.match(setup.stdout, /next: onebrain --profile work gateway/);
  const status = await runCli(["--profile", "work", "gateway", "status"], env);
  assert.match(status.stdout, /next: start it with `onebrain --profile work gateway`/);
  fs.writeFileSync(path.join(home, ".onebrain-work", "onebrain.json"), "{ gateway: { port: 'x' } }");
  const broken = await runCli(["gateway"], { ...env, ONEBRAIN_PROFILE: "work" });
  assert.equal(broken.code, 20);
  assert.match(broken.stderr, /next: Fix the key\(s\) above, then check with `onebrain --profile work config validate`/);
  const json = JSON.parse((await runCli(["--profile", "work", "config", "validate", "--json"], env)).stdout);
  assert.match(json.error.hint, /`onebrain --profile work config validate`/);
});

test("the profile is added to every onebrain command in every hint and next: line of the source", () => {
  const files = fs.readdirSync(path.join(repoRoot, "src"), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
  let seen = 0;
  for (const f of files) {
    const text = fs.readFileSync(path.join(repoRoot, "src", f), "utf8");
    for (const m of text.matchAll(/(?:hint: |next: |next\.push\(|lines\.push\(|`next: |"next: )([`"'].*)$/gm)) {
      const line = m[1]!;
      if (!/\bonebrain [a-z]/.test(line)) continue;
      seen++;
      const out = withProfile(line, "work");
      const bare = [...out.matchAll(/(^|[\s`'"(])onebrain (?!--profile work )[a-z]/g)];
      assert.equal(bare.length, 0, `${f}: ${out}`);
    }
  }
  assert.ok(seen > 10, `only ${seen} hints found`);
});
