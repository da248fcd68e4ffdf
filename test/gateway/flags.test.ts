/**
 * `gateway run --bind --port --auth --token --password` as the seed compose file and operators type
 * them: flags win over env and config (on reload too), `gateway status` says which source won, a
 * token on the command line is masked in ps and the owner record, and `gateway probe --port`.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { brainEnv, freePort, httpGet, runCli, spawnCli, tmpDir, writeConfig } from "../helpers/gateway.ts";
import { bounded, reapAll, track } from "./support.ts";

after(reapAll);

const FLAG_TOKEN = "tok-from-the-flag-0123456789";

async function status(port: number, token?: string): Promise<number> {
  return (await httpGet(port, "/api/status", token ? { authorization: `Bearer ${token}` } : {})).status;
}

test(
  "gateway --bind lan --port N --token T listens on 0.0.0.0, requires T, masks it in ps and the owner record, and gateway status names the flags",
  bounded,
  async () => {
    const stateDir = path.join(tmpDir(), "state");
    const env = brainEnv(stateDir);
    const port = await freePort();
    const gw = track(spawnCli(["gateway", "--bind", "lan", "--port", String(port), "--token", FLAG_TOKEN], env));
    try {
      await gw.waitFor("gateway listening");
      const owner = JSON.parse(fs.readFileSync(path.join(stateDir, "brain.owner.json"), "utf8"));
      assert.deepEqual(owner.bindHosts, ["0.0.0.0"]);
      assert.equal(owner.port, port);
      assert.ok(!JSON.stringify(owner).includes(FLAG_TOKEN), "the owner record holds the token");
      assert.ok(!fs.readFileSync(`/proc/${gw.pid}/cmdline`, "utf8").includes(FLAG_TOKEN), "ps shows the token");
      assert.equal(await status(port), 401);
      assert.equal(await status(port, FLAG_TOKEN), 200);

      const s = JSON.parse((await runCli(["gateway", "status", "--json"], env)).stdout);
      assert.equal(s.sources.of, "running");
      assert.deepEqual(
        [s.sources.port, s.sources.bind, s.sources.auth],
        [
          { value: port, source: "flag", from: "--port" },
          { value: "lan", source: "flag", from: "--bind" },
          { value: "token", source: "flag", from: "--token" },
        ],
      );
      const text = (await runCli(["gateway", "status"], env)).stdout;
      assert.match(text, /bind\s+lan\s+from flag --bind/);
      assert.match(text, new RegExp(`port\\s+${port}\\s+from flag --port`));
      assert.match(text, /auth\s+token\s+from flag --token/);
      assert.ok(!text.includes(FLAG_TOKEN));

      const probe = await runCli(["gateway", "probe", "--port", String(port), "--token", FLAG_TOKEN], env);
      assert.equal(probe.code, 0, probe.stdout + probe.stderr);
      assert.equal((await runCli(["gateway", "probe", "--port", String(port)], env)).code, 5, "without the token the probe is refused");
    } finally {
      gw.kill("SIGTERM");
      await gw.exited;
    }
  },
);

test("flags win over env and config, and keep winning after a config reload", bounded, async () => {
  const stateDir = path.join(tmpDir(), "state");
  const [filePort, envPort, flagPort] = [await freePort(), await freePort(), await freePort()];
  writeConfig(stateDir, { gateway: { port: filePort, bind: "loopback", auth: { mode: "password", password: "pw-from-the-file-0123456789" } } });
  const env = brainEnv(stateDir, { ONEBRAIN_GATEWAY_PORT: String(envPort), ONEBRAIN_GATEWAY_TOKEN: "tok-from-the-env-0123456789" });
  const gw = track(spawnCli(["gateway", "--port", String(flagPort), "--auth", "token", "--token", FLAG_TOKEN], env));
  try {
    await gw.waitFor("gateway listening");
    assert.equal(await status(flagPort, FLAG_TOKEN), 200);
    assert.equal(await status(flagPort, "tok-from-the-env-0123456789"), 401, "the env token lost to the flag");
    const s = JSON.parse((await runCli(["gateway", "status", "--json"], env)).stdout);
    assert.deepEqual([s.sources.port.source, s.sources.bind.source, s.sources.auth.source], ["flag", "file", "flag"]);

    // A reload that changes the file's auth does not override the flags.
    writeConfig(stateDir, { gateway: { port: filePort, auth: { token: "tok-new-in-the-file-0123456789" } } });
    process.kill(gw.pid, "SIGHUP");
    await gw.waitFor("config reloaded");
    assert.equal(await status(flagPort, FLAG_TOKEN), 200);
    assert.equal(await status(flagPort, "tok-new-in-the-file-0123456789"), 401);
  } finally {
    gw.kill("SIGTERM");
    await gw.exited;
  }
});

test("--bind lan without auth is refused (exit 13), even when --auth none overrides a token in the config", bounded, async () => {
  const stateDir = path.join(tmpDir(), "state");
  const port = String(await freePort());
  const bare = await runCli(["gateway", "--bind", "lan", "--port", port], brainEnv(stateDir));
  assert.equal(bare.code, 13, bare.stderr);
  assert.match(bare.stderr, new RegExp(`refusing to bind gateway to 0\\.0\\.0\\.0:${port} without auth`));
  writeConfig(stateDir, { gateway: { auth: { token: "tok-in-the-file-0123456789" } } });
  const none = await runCli(["gateway", "--bind", "lan", "--auth", "none", "--port", port], brainEnv(stateDir));
  assert.equal(none.code, 13, none.stderr);
});

test("a bad --bind, --auth or --token is a usage error (exit 2) that never echoes the token", bounded, async () => {
  const env = brainEnv(path.join(tmpDir(), "state"));
  const port = String(await freePort());
  const bind = await runCli(["gateway", "--bind", "wan", "--port", port], env);
  assert.equal(bind.code, 2, bind.stderr);
  assert.match(bind.stderr, /"wan" for --bind: expected one of loopback, lan, tailnet, custom/);
  const auth = await runCli(["gateway", "--auth", "basic", "--port", port], env);
  assert.equal(auth.code, 2, auth.stderr);
  const token = await runCli(["gateway", "--token", "tok-with\na-newline-SEKRIT", "--port", port], env);
  assert.equal(token.code, 2, token.stderr);
  assert.ok(!token.stderr.includes("SEKRIT"), token.stderr);
  assert.match(token.stderr, /prefer ONEBRAIN_GATEWAY_TOKEN/i);
});

test(
  "a token or password in the environment with control characters or over 4096 characters is a usage error (exit 2) naming the variable, never its value",
  bounded,
  async () => {
    const port = String(await freePort());
    const cases: [string, string, RegExp][] = [
      ["ONEBRAIN_GATEWAY_TOKEN", "tok-with\na-newline-SEKRIT", /a control character \(U\+000A at position 9\)/],
      ["ONEBRAIN_GATEWAY_TOKEN", "tok-with-an-escape\u001b[0m-SEKRIT", /a control character \(U\+001B at position 19\)/],
      ["ONEBRAIN_GATEWAY_PASSWORD", "pw-with-a-tab\t-SEKRIT", /a control character \(U\+0009 at position 14\)/],
      ["ONEBRAIN_GATEWAY_PASSWORD", `SEKRIT${"x".repeat(5000)}`, /5006 characters/],
    ];
    for (const [variable, value, why] of cases) {
      const env = brainEnv(path.join(tmpDir(), "state"), { [variable]: value });
      const r = await runCli(["gateway", "--port", port], env);
      assert.equal(r.code, 2, `${variable}: exit ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, new RegExp(`Cannot use the value of ${variable}: expected 1-4096 characters without control characters`));
      assert.match(r.stderr, why);
      assert.ok(!(r.stdout + r.stderr).includes("SEKRIT"), r.stderr);
      assert.doesNotMatch(r.stderr, /gateway listening/);
    }
  },
);
