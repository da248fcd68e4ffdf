import { test } from "node:test";
import assert from "node:assert/strict";
import { resolvePaths, validateProfileName, serviceName } from "../../src/paths/paths.ts";
import { DEFAULT_PORT, plansOverlap, portPlan, profilePort, resolveBasePort } from "../../src/paths/ports.ts";
import { hasCode } from "../../src/shared/errors.ts";

test("the default brain lives in ~/.onebrain with its config inside", () => {
  const p = resolvePaths({ env: {}, home: "/home/ada" });
  assert.equal(p.stateDir, "/home/ada/.onebrain");
  assert.equal(p.configPath, "/home/ada/.onebrain/onebrain.json");
  assert.equal(p.lockPath, "/home/ada/.onebrain/brain.lock");
  assert.equal(p.profile, undefined);
});

test("a profile gets ~/.onebrain-NAME and a suffixed service name", () => {
  const p = resolvePaths({ profile: "work", env: {}, home: "/home/ada" });
  assert.equal(p.stateDir, "/home/ada/.onebrain-work");
  assert.equal(serviceName(p.profile), "onebrain-gateway-work");
  assert.equal(serviceName(undefined), "onebrain-gateway");
});

test("explicit env vars win over the profile", () => {
  const p = resolvePaths({ profile: "work", env: { ONEBRAIN_STATE_DIR: "/srv/brain", ONEBRAIN_CONFIG_PATH: "~/cfg.json5" }, home: "/home/ada" });
  assert.equal(p.stateDir, "/srv/brain");
  assert.equal(p.stateDirSource, "env");
  assert.equal(p.configPath, "/home/ada/cfg.json5");
  assert.equal(p.profile, "work");
});

test("the --profile flag wins over ONEBRAIN_PROFILE, and 'default' means no profile", () => {
  assert.equal(resolvePaths({ profile: "a", env: { ONEBRAIN_PROFILE: "b" }, home: "/h" }).profile, "a");
  assert.equal(resolvePaths({ env: { ONEBRAIN_PROFILE: "b" }, home: "/h" }).profile, "b");
  assert.equal(resolvePaths({ profile: "default", env: {}, home: "/h" }).profile, undefined);
});

test("profile names are letters, digits, - and _, at most 64", () => {
  assert.equal(validateProfileName("bot_2-x"), "bot_2-x");
  for (const bad of ["", "a b", "../x", "é", "x".repeat(65)]) {
    assert.throws(
      () => validateProfileName(bad),
      (e) => hasCode(e, "PROFILE_INVALID"),
      bad,
    );
  }
});

test("base port precedence is flag, then env, then config, then profile, then 18789", () => {
  assert.deepEqual(resolveBasePort({ flag: "1001", env: { ONEBRAIN_GATEWAY_PORT: "1002" }, configPort: 1003, profile: "p" }), { port: 1001, source: "flag" });
  assert.deepEqual(resolveBasePort({ env: { ONEBRAIN_GATEWAY_PORT: "1002" }, configPort: 1003, profile: "p" }), { port: 1002, source: "env" });
  assert.deepEqual(resolveBasePort({ env: {}, configPort: 1003, profile: "p" }), { port: 1003, source: "config" });
  assert.deepEqual(resolveBasePort({ env: {}, profile: "p" }), { port: profilePort("p"), source: "profile" });
  assert.deepEqual(resolveBasePort({ env: {} }), { port: DEFAULT_PORT, source: "default" });
});

test("a bad port from a flag or env is a usage error that names its source", () => {
  assert.throws(
    () => resolveBasePort({ flag: "abc", env: {} }),
    (e) => hasCode(e, "USAGE") && /--port/.test((e as Error).message),
  );
  assert.throws(
    () => resolveBasePort({ env: { ONEBRAIN_GATEWAY_PORT: "70000" } }),
    (e) => hasCode(e, "USAGE") && /ONEBRAIN_GATEWAY_PORT/.test((e as Error).message),
  );
});

test("derived ports follow the base: browser control +2, canvas +4, CDP control+9..+108", () => {
  const plan = portPlan({ env: {}, configPort: 18789 });
  assert.equal(plan.browserControl, 18791);
  assert.equal(plan.canvas, 18793);
  assert.deepEqual(plan.cdp, { first: 18800, last: 18899 });
  const overridden = portPlan({ env: {}, configPort: 18789, browserControlPort: 25000, canvasPort: 26000 });
  assert.deepEqual([overridden.browserControl, overridden.canvas, overridden.cdp.first], [25000, 26000, 25009]);
});

test("profile ports are deterministic, far from 18789, and never overlap the default plan", () => {
  const def = portPlan({ env: {} });
  for (const name of ["work", "home", "bot", "a", "zz-top", "x_1"]) {
    const port = profilePort(name);
    assert.equal(port, profilePort(name));
    assert.ok(port >= 20000 && port + 110 < 65536, `${name} -> ${port}`);
    assert.equal(plansOverlap(def, portPlan({ env: {}, profile: name })).overlap, false, name);
  }
});

test("two profile plans in different slots never overlap, and overlap names the clashing ranges", () => {
  const a = portPlan({ env: {}, configPort: 20000 });
  const b = portPlan({ env: {}, configPort: 20128 });
  assert.equal(plansOverlap(a, b).overlap, false);
  const c = portPlan({ env: {}, configPort: 20050 });
  const o = plansOverlap(a, c);
  assert.equal(o.overlap, true);
  assert.ok(o.clashes.some((x) => x.a === "cdp" && x.b === "gateway"));
});
