import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { noRestartExitStatuses, parseUnit, renderUnit, timeoutStopSec, type UnitFacts } from "../../src/service/unit.ts";
import { shebangNodeFlags } from "../../src/service/install.ts";
import { cliPath, repoRoot, tmpDir } from "../helpers/gateway.ts";
import { systemdAnalyze, verifyUnit } from "./support.ts";

const noAnalyze = systemdAnalyze ? false : "systemd-analyze is not installed";

function facts(over: Partial<UnitFacts> = {}): UnitFacts {
  const home = tmpDir("onebrain-home-");
  const stateDir = path.join(home, ".onebrain");
  return {
    scope: "user",
    user: "ada",
    home,
    stateDir,
    configPath: path.join(stateDir, "onebrain.json"),
    profile: undefined,
    nodePath: process.execPath,
    nodeFlags: shebangNodeFlags(cliPath),
    binPath: cliPath,
    shutdownGraceMs: 5000,
    port: 18789,
    docsPath: path.join(repoRoot, "docs", "service.md"),
    version: "0.1.0",
    ...over,
  };
}

/** The value of `Key=` in a unit (the last one, as systemd reads it). */
function directive(text: string, key: string): string | undefined {
  return [...text.matchAll(new RegExp(`^${key}=(.*)$`, "gm"))].pop()?.[1];
}

test("a user unit passes `systemd-analyze --user verify` without a single warning", { skip: noAnalyze }, async () => {
  const text = renderUnit(facts());
  const r = await verifyUnit(text, "onebrain-gateway", "user");
  assert.deepEqual(r, { code: 0, output: "" }, text);
  assert.equal(directive(text, "User"), undefined, "a user unit cannot switch users, so it sets none");
  assert.equal(directive(text, "WantedBy"), "default.target");
});

test("a system unit for a service user passes `systemd-analyze verify` without a single warning, hardening included", { skip: noAnalyze }, async () => {
  const f = facts({ scope: "system", user: "onebrain", profile: "work" });
  const text = renderUnit(f);
  const r = await verifyUnit(text, "onebrain-gateway-work", "system");
  assert.deepEqual(r, { code: 0, output: "" }, text);
  assert.equal(directive(text, "User"), "onebrain");
  assert.equal(directive(text, "ProtectSystem"), "strict");
  assert.equal(directive(text, "ReadWritePaths"), f.stateDir);
  assert.equal(directive(text, "NoNewPrivileges"), "yes");
  assert.equal(directive(text, "CapabilityBoundingSet"), "");
  assert.equal(directive(text, "WantedBy"), "multi-user.target");
  assert.match(directive(text, "ExecStart")!, / --profile work gateway run$/);
});

test("the system unit's hardening scores as OK in `systemd-analyze security --offline`", { skip: noAnalyze }, async () => {
  const dir = tmpDir("onebrain-unit-");
  const file = path.join(dir, "onebrain-gateway.service");
  // Outside /tmp, so PrivateTmp= is on as it would be for a real service user's home.
  fs.writeFileSync(
    file,
    renderUnit(
      facts({
        scope: "system",
        user: "onebrain",
        home: "/var/lib/onebrain",
        stateDir: "/var/lib/onebrain/.onebrain",
        configPath: "/var/lib/onebrain/.onebrain/onebrain.json",
      }),
    ),
  );
  const out = await new Promise<string>((resolve) =>
    execFile(systemdAnalyze!, ["security", "--offline=yes", "--no-pager", file], (_e, stdout, stderr) => resolve(stdout + stderr)),
  );
  const m = /Overall exposure level for \S+: ([\d.]+) (\w+)/.exec(out);
  assert.ok(m, out);
  assert.ok(Number(m[1]) <= 4, `exposure ${m[1]} ${m[2]}`);
});

test("the unit runs the absolute node and bin with the shebang's memory flag, and names the brain explicitly", () => {
  const f = facts({ profile: "work", extraEnv: { ONEBRAIN_GATEWAY_PORT: "19001" } });
  const text = renderUnit(f);
  assert.equal(
    directive(text, "ExecStart"),
    `${process.execPath} --max-semi-space-size=1 --disable-warning=DEP0040 --disable-warning=DEP0169 ${cliPath} --profile work gateway run`,
  );
  assert.equal(directive(text, "WorkingDirectory"), f.stateDir);
  const u = parseUnit(text);
  assert.deepEqual(u.env, {
    HOME: f.home,
    ONEBRAIN_STATE_DIR: f.stateDir,
    ONEBRAIN_CONFIG_PATH: f.configPath,
    ONEBRAIN_PROFILE: "work",
    ONEBRAIN_GATEWAY_PORT: "19001",
  });
  assert.equal(directive(text, "EnvironmentFile"), `-${f.stateDir}/service.env`);
  assert.equal(directive(text, "Type"), "notify");
  assert.equal(directive(text, "NotifyAccess"), "all");
  assert.equal(directive(text, "WatchdogSec"), "30");
  assert.equal(directive(text, "Restart"), "always");
  assert.equal(directive(text, "RestartSec"), "5");
});

test("RestartPreventExitStatus lists exactly the exit codes that docs/errors.md says a restart cannot fix", () => {
  const text = renderUnit(facts());
  assert.equal(directive(text, "RestartPreventExitStatus"), "10 13 19 20 21 22 24 26 27");
  assert.deepEqual(noRestartExitStatuses(), [10, 13, 19, 20, 21, 22, 24, 26, 27]);
  const doc = fs.readFileSync(path.join(repoRoot, "docs/errors.md"), "utf8");
  assert.ok(doc.includes(`RestartPreventExitStatus=${noRestartExitStatuses().join(" ")}`), "docs/errors.md gives the same list");
  assert.ok(!noRestartExitStatuses().includes(11), "a port held by a draining old instance may clear: 11 restarts, after RestartSec");
});

test("TimeoutStopSec covers the drain twice over (clients, then the brain) for any grace period", () => {
  for (const grace of [0, 1000, 5000, 60_000, 300_000]) {
    const text = renderUnit(facts({ shutdownGraceMs: grace }));
    const stop = Number(directive(text, "TimeoutStopSec"));
    assert.equal(stop, timeoutStopSec(grace));
    assert.ok(stop * 1000 > 2 * grace + 5000, `grace ${grace} ms: TimeoutStopSec=${stop}`);
  }
});

test("paths with spaces, percent signs, dollars and quotes survive the unit's quoting and pass verify", { skip: noAnalyze }, async () => {
  const home = tmpDir("onebrain-home-");
  const stateDir = path.join(home, `my "brain" 100% $HOME`);
  const f = facts({ scope: "system", user: "onebrain", home, stateDir, configPath: path.join(stateDir, "conf ig.json") });
  const text = renderUnit(f);
  const u = parseUnit(text);
  assert.equal(u.env.ONEBRAIN_STATE_DIR, stateDir);
  assert.equal(u.env.ONEBRAIN_CONFIG_PATH, f.configPath);
  assert.deepEqual(u.argv, [process.execPath, "--max-semi-space-size=1", "--disable-warning=DEP0040", "--disable-warning=DEP0169", cliPath, "gateway", "run"]);
  const r = await verifyUnit(text, "onebrain-gateway", "system");
  assert.deepEqual(r, { code: 0, output: "" }, text);
});

test("a port below 1024 gets CAP_NET_BIND_SERVICE and nothing else", { skip: noAnalyze }, async () => {
  const text = renderUnit(facts({ scope: "system", user: "onebrain", port: 443 }));
  assert.equal(directive(text, "AmbientCapabilities"), "CAP_NET_BIND_SERVICE");
  assert.equal(directive(text, "CapabilityBoundingSet"), "CAP_NET_BIND_SERVICE");
  assert.deepEqual(await verifyUnit(text, "onebrain-gateway", "system"), { code: 0, output: "" });
});

test("a path that would break a unit line is refused with USAGE, not written", () => {
  assert.throws(
    () => renderUnit(facts({ stateDir: "/srv/brain\nExecStartPre=/bin/sh" })),
    (e: any) => e.code === "USAGE" && /state dir/.test(e.message),
  );
  assert.throws(
    () => renderUnit(facts({ configPath: "relative.json" })),
    (e: any) => e.code === "USAGE",
  );
});
