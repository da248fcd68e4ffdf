import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { runDoctor } from "../../src/diagnostics/doctor/index.ts";
import { serviceCheck } from "../../src/diagnostics/doctor/service.ts";
import { defaultProcFs } from "../../src/proc/process.ts";
import { resolvePaths } from "../../src/paths/paths.ts";
import { brainEnv, tmpDir, writeConfig } from "../helpers/gateway.ts";
import { bounded } from "../gateway/support.ts";
import { check, doctorCli, quietPort } from "./support.ts";

function unit(dir: string, name: string, lines: string[]): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.service`);
  fs.writeFileSync(file, ["[Unit]", "Description=onebrain", "", "[Service]", ...lines, "", "[Install]", "WantedBy=default.target", ""].join("\n"));
  return file;
}

test("says 'you are editing one config while the service runs another' when the user unit runs another state dir", bounded, async () => {
  const stateDir = path.join(tmpDir(), "state");
  writeConfig(stateDir, { gateway: { port: await quietPort() } });
  const home = path.dirname(stateDir);
  const units = path.join(home, ".config", "systemd", "user");
  unit(units, "onebrain-gateway", ["Environment=ONEBRAIN_STATE_DIR=%h/.onebrain-old", "ExecStart=/usr/bin/onebrain gateway"]);
  const bad = check((await doctorCli([], brainEnv(stateDir))).report, "service");
  assert.equal(bad.status, "fail");
  assert.match(
    bad.finding,
    new RegExp(
      `^you are editing one config while the service runs another: user unit onebrain-gateway runs state dir ${home}/\\.onebrain-old, config ${home}/\\.onebrain-old/onebrain\\.json \\(HOME ${home}, user \\w+\\), this CLI uses ${stateDir}`,
    ),
  );
  assert.match(bad.fix!, /reinstall the service for this brain/);

  unit(units, "onebrain-gateway", ['Environment="ONEBRAIN_STATE_DIR=%h/state"', "ExecStart=/usr/bin/onebrain gateway"]);
  const good = check((await doctorCli([], brainEnv(stateDir))).report, "service");
  assert.equal(good.status, "ok");
  assert.match(good.finding, new RegExp(`^user unit onebrain-gateway runs this brain \\(${stateDir}, user \\w+\\)$`));
});

test("no unit installed is fine, and units of other profiles are mentioned", async () => {
  const home = tmpDir();
  const dir = path.join(home, "units");
  const paths = resolvePaths({ env: {}, home });
  const none = check(await runDoctor({ paths, homes: [], unitDirs: [{ dir, scope: "user" }], checks: [serviceCheck] }), "service");
  assert.deepEqual([none.status, none.finding], ["ok", "no onebrain-gateway service installed"]);
  unit(dir, "onebrain-gateway-work", ["ExecStart=/usr/bin/onebrain --profile work gateway"]);
  const other = check(await runDoctor({ paths, homes: [], unitDirs: [{ dir, scope: "user" }], checks: [serviceCheck] }), "service");
  assert.deepEqual([other.status, other.finding], ["ok", "no onebrain-gateway service installed; also installed: onebrain-gateway-work (user)"]);
});

test("a system unit runs as its User= with that user's home from the passwd file", async () => {
  const root = tmpDir();
  const adaHome = path.join(root, "home", "ada");
  const passwd = path.join(root, "passwd");
  fs.writeFileSync(passwd, `root:x:0:0:root:/root:/bin/bash\nada:x:1000:1000::${adaHome}:/bin/sh\n`);
  const system = path.join(root, "system");
  const envFile = path.join(root, "onebrain.env");
  fs.writeFileSync(envFile, `# path variables only are read\nONEBRAIN_GATEWAY_TOKEN=not-read\nexport ONEBRAIN_CONFIG_PATH="${adaHome}/work.json"\n`);
  unit(system, "onebrain-gateway-work", [
    "User=ada",
    `EnvironmentFile=-${envFile}`,
    "ExecStart=/usr/bin/node /opt/onebrain/bin/onebrain.js --profile=work gateway",
  ]);
  const procFs = { ...defaultProcFs, passwdFile: passwd };
  const ctx = { homes: [], unitDirs: [{ dir: system, scope: "system" as const }], procFs, checks: [serviceCheck] };

  const same = check(
    await runDoctor({ ...ctx, paths: resolvePaths({ profile: "work", env: { ONEBRAIN_CONFIG_PATH: `${adaHome}/work.json` }, home: adaHome }) }),
    "service",
  );
  assert.equal(same.status, "ok", same.finding);
  assert.match(same.finding, new RegExp(`system unit onebrain-gateway-work runs this brain \\(${adaHome}/\\.onebrain-work, user ada\\)`));

  const root2 = check(await runDoctor({ ...ctx, paths: resolvePaths({ profile: "work", env: {}, home: "/root" }) }), "service");
  assert.equal(root2.status, "fail");
  assert.match(
    root2.finding,
    new RegExp(`system unit onebrain-gateway-work runs state dir ${adaHome}/\\.onebrain-work, config ${adaHome}/work\\.json \\(HOME ${adaHome}, user ada\\)`),
  );
  assert.match(root2.fix!, /`sudo -u ada` with HOME=.* --profile work/);
  assert.ok(!JSON.stringify(root2).includes("not-read"), "nothing but path variables is read from an EnvironmentFile");
});
