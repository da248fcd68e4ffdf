/**
 * The service commands on a host without systemd (containers, this CI machine), for real: what
 * they refuse and print, and `start`/`stop` against real gateways. Nothing here fakes systemctl.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { brainEnv, cliPath, freePort, runCli, startGateway, tmpDir, writeConfig } from "../helpers/gateway.ts";
import { bounded, portIsFree, reapAll, track } from "../gateway/support.ts";
import { systemdAnalyze, systemdRunning, verifyUnit } from "./support.ts";

after(reapAll);

const noSystemd = { ...bounded, skip: systemdRunning ? "systemd runs on this machine: these tests are about hosts without it" : false };
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A brain of its own: temp HOME and state dir, its port pinned by ONEBRAIN_GATEWAY_PORT. */
async function brain(extra: Record<string, string | undefined> = {}) {
  const stateDir = path.join(tmpDir(), "state");
  const port = await freePort();
  return { stateDir, port, env: brainEnv(stateDir, { ONEBRAIN_GATEWAY_PORT: String(port), ...extra }) };
}

function json(stdout: string): any {
  try {
    return JSON.parse(stdout);
  } catch {
    assert.fail(`not JSON: ${stdout}`);
  }
}

test("install without systemd says so, prints the foreground command, exits 50 and writes nothing", noSystemd, async () => {
  const b = await brain();
  const r = await runCli(["gateway", "install"], b.env);
  assert.equal(r.code, 50, r.stderr);
  assert.match(r.stderr, /^onebrain: Cannot install a systemd service: systemd is not running here/);
  assert.match(
    r.stderr,
    new RegExp(
      `next: Run the gateway in the foreground instead .*: ONEBRAIN_STATE_DIR=${esc(b.stateDir)} ONEBRAIN_GATEWAY_PORT=${b.port} \\S*onebrain(\\.js)? gateway run$`,
      "m",
    ),
  );
  const home = path.dirname(b.stateDir);
  assert.deepEqual(fs.readdirSync(home), [], "no unit, no state dir");

  const j = await runCli(["gateway", "install", "--json"], b.env);
  assert.equal(j.code, 50);
  const out = json(j.stdout);
  assert.equal(out.ok, false);
  assert.equal(out.error.code, "SERVICE_UNAVAILABLE");
  assert.deepEqual(out.error.details.foreground.argv.slice(-2), ["gateway", "run"]);
  assert.equal(out.error.details.foreground.env.ONEBRAIN_STATE_DIR, b.stateDir);
});

test(
  "install --print shows the unit for this brain, with no token in it, and it passes systemd-analyze verify",
  { ...bounded, skip: systemdAnalyze ? false : "no systemd-analyze" },
  async () => {
    const token = "tok-service-unit-0123456789-secret";
    const b = await brain({ ONEBRAIN_GATEWAY_TOKEN: "env-token-abcdef-0123456789" });
    writeConfig(b.stateDir, { gateway: { auth: { token }, shutdownGraceMs: 12_000 } });
    const r = await runCli(["--profile", "work", "gateway", "install", "--print"], b.env);
    assert.equal(r.code, 0, r.stderr);
    const unit = r.stdout;
    assert.ok(!unit.includes(token) && !unit.includes("env-token") && !unit.includes(token.slice(-8)), "the unit holds no secret");
    assert.match(
      unit,
      new RegExp(
        `^ExecStart=\\S+ --max-semi-space-size=1 --disable-warning=DEP0040 --disable-warning=DEP0169 ${esc(cliPath)} --profile work gateway run$`,
        "m",
      ),
    );
    assert.match(unit, new RegExp(`^Environment=ONEBRAIN_STATE_DIR=${esc(b.stateDir)}$`, "m"));
    assert.match(unit, new RegExp(`^Environment=ONEBRAIN_GATEWAY_PORT=${b.port}$`, "m"));
    assert.match(unit, /^TimeoutStopSec=34$/m, "2 x 12 s of drain + 10 s");
    assert.match(unit, /^SyslogIdentifier=onebrain-gateway-work$/m);
    assert.deepEqual(await verifyUnit(unit, "onebrain-gateway-work", "user"), { code: 0, output: "" });
    assert.equal(fs.existsSync(path.join(path.dirname(b.stateDir), ".config")), false, "--print writes nothing");
  },
);

test("install refuses a broken config with its own exit code before writing anything", bounded, async () => {
  const b = await brain();
  fs.mkdirSync(b.stateDir, { recursive: true });
  fs.writeFileSync(path.join(b.stateDir, "onebrain.json"), "{ gateway: { port: 'abc' } }");
  const r = await runCli(["gateway", "install", "--print"], b.env);
  assert.equal(r.code, 20, r.stderr);
  assert.equal(r.stdout, "");
});

test("install --system checks the service user: it must exist, must not be root, and --user needs --system", bounded, async () => {
  const b = await brain();
  const unknown = await runCli(["gateway", "install", "--system", "--user", "no-such-user-onebrain"], b.env);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /No user "no-such-user-onebrain" on this machine/);
  assert.match(unknown.stderr, /next: Create it first: `useradd --system/);
  const root = await runCli(["gateway", "install", "--system", "--user", "root"], b.env);
  assert.equal(root.code, 2);
  assert.match(root.stderr, /Refusing to run the gateway as root/);
  const bare = await runCli(["gateway", "install", "--user", "nobody"], b.env);
  assert.equal(bare.code, 2);
  assert.match(bare.stderr, /--user NAME goes with --system/);
});

test("start without systemd and without a gateway says so, prints the foreground command, exits 50 and starts nothing", noSystemd, async () => {
  const b = await brain();
  const r = await runCli(["gateway", "start"], b.env);
  assert.equal(r.code, 50, r.stderr);
  assert.match(r.stderr, /Cannot start the gateway as a service: systemd is not running here/);
  assert.match(r.stderr, / gateway run$/m);
  assert.equal(await portIsFree(b.port), true);
});

test("start when this brain is already healthy says so and exits 0, with or without systemd", bounded, async () => {
  const b = await brain();
  const gw = track(await startGateway({ stateDir: b.stateDir, port: b.port, env: { ONEBRAIN_GATEWAY_PORT: String(b.port) } }));
  const r = await runCli(["gateway", "start"], b.env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout.trim(),
    `already running: this brain (${b.stateDir}) is healthy on port ${b.port}, pid ${gw.pid} (not managed by systemd); nothing to do`,
  );
  const j = await runCli(["gateway", "start", "--json"], b.env);
  assert.equal(j.code, 0);
  assert.deepEqual(
    { ...json(j.stdout), elapsedMs: 0 },
    { ok: true, stateDir: b.stateDir, outcome: "already-running", pid: gw.pid, port: b.port, managedBy: "none", unit: "onebrain-gateway", elapsedMs: 0 },
  );
  assert.equal(gw.child.exitCode, null, "still the same gateway");
  assert.equal((await gw.stop()).code, 0);
});

test("start refuses when another brain holds this brain's port, naming both brains", bounded, async () => {
  const other = track(await startGateway());
  const b = await brain({ ONEBRAIN_GATEWAY_PORT: String(other.port) });
  const r = await runCli(["gateway", "start"], b.env);
  assert.equal(r.code, 11, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(
      `^onebrain: Refusing to start: port ${other.port} is held by the onebrain gateway of ${esc(other.stateDir)} \\(pid ${other.pid}, user \\S+\\), not by this brain \\(${esc(b.stateDir)}, user \\S+\\)$`,
      "m",
    ),
  );
  assert.equal(other.child.exitCode, null, "the other brain keeps running");
  assert.equal((await other.stop()).code, 0);
});

test("stop without systemd stops this brain's running gateway, checks the port is free and says so", bounded, async () => {
  const b = await brain();
  // Started on another port than the configured one: stop follows the gateway, not the config.
  const port = await freePort();
  const gw = track(await startGateway({ stateDir: b.stateDir, port, env: { ONEBRAIN_GATEWAY_PORT: String(b.port) } }));
  const r = await runCli(["gateway", "stop"], b.env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), `stopped: pid ${gw.pid} with SIGTERM; port ${port} is free`);
  const end = await gw.exited;
  assert.deepEqual([end.code, end.signal], [0, null], "it drained and exited cleanly");
  assert.equal(await portIsFree(port), true);

  const again = await runCli(["gateway", "stop", "--json"], b.env);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(json(again.stdout), {
    ok: true,
    stateDir: b.stateDir,
    outcome: "not-running",
    stopped: null,
    port: b.port,
    portFree: true,
    unit: "onebrain-gateway",
  });
});

test("stop leaves another brain's gateway alone and says that the port is not free", bounded, async () => {
  const other = track(await startGateway());
  const b = await brain({ ONEBRAIN_GATEWAY_PORT: String(other.port) });
  const r = await runCli(["gateway", "stop"], b.env);
  assert.equal(r.code, 11, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(`This brain's gateway is not running, but the port is not free: port ${other.port} is held by the onebrain gateway of ${esc(other.stateDir)}`),
  );
  assert.equal(other.child.exitCode, null);
  assert.equal((await other.stop()).code, 0);
});

test("restart without systemd refuses before stopping anything", noSystemd, async () => {
  const b = await brain();
  const gw = track(await startGateway({ stateDir: b.stateDir, port: b.port, env: { ONEBRAIN_GATEWAY_PORT: String(b.port) } }));
  const r = await runCli(["gateway", "restart"], b.env);
  assert.equal(r.code, 50, r.stderr);
  assert.match(r.stderr, /Cannot restart the gateway as a service \(it would stay stopped\): systemd is not running here/);
  assert.equal(gw.child.exitCode, null, "the gateway still runs");
  assert.equal((await gw.stop()).code, 0);
});

test("uninstall with nothing installed is not an error and keeps the brain", bounded, async () => {
  const b = await brain();
  const r = await runCli(["gateway", "uninstall", "--json"], b.env);
  assert.equal(r.code, 0, r.stderr);
  const out = json(r.stdout);
  assert.equal(out.removed, false);
  assert.equal(out.unitPath, path.join(path.dirname(b.stateDir), ".config/systemd/user/onebrain-gateway.service"));
});
