/**
 * Doctor on browsers: a brain's own running browser is its own (its CDP port is "this brain"), a
 * Chromium of a brain whose gateway is gone is an orphan named with its pid (and left running:
 * doctor never kills), and two brains pinning one CDP port fail by name.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { chromiumPath } from "../helpers/browser.ts";
import { brainEnv, startGateway, tmpDir, writeConfig } from "../helpers/gateway.ts";
import { bounded, reapAll, track } from "../gateway/support.ts";
import { control, groupPids } from "../browser/support.ts";
import { brainOnDisk, check, doctorCli, quietPort } from "./support.ts";

after(reapAll);

test("a running browser of this brain is owned: no orphan, and its CDP port counts as this brain's", bounded, async () => {
  const port = await quietPort();
  const gw = track(await startGateway({ port, config: { browser: { executablePath: chromiumPath() } } }));
  const started = await control(port + 2, "POST", "/start", { body: {} });
  assert.equal(started.status, 200, JSON.stringify(started.body));
  const { report } = await doctorCli([], gw.env);
  const orphans = check(report, "browsers.orphans");
  assert.equal(orphans.status, "ok", orphans.finding);
  assert.match(orphans.finding, /each owned by its brain/);
  assert.equal(check(report, "ports").status, "ok", check(report, "ports").finding);
  await gw.stop();
});

test("a Chromium left with a brain's profile while its gateway is down is an orphan, named and not killed", bounded, async () => {
  const home = tmpDir();
  const stateDir = path.join(home, ".onebrain");
  writeConfig(stateDir, {});
  const dir = path.join(stateDir, "browser", "onebrain", "user-data");
  fs.mkdirSync(dir, { recursive: true });
  const child = spawn(chromiumPath(), ["--headless=new", "--no-sandbox", `--user-data-dir=${dir}`, "--remote-debugging-port=0", "about:blank"], {
    detached: true,
    stdio: "ignore",
  });
  try {
    await new Promise((r) => setTimeout(r, 500));
    const { report } = await doctorCli([], brainEnv(stateDir));
    const orphans = check(report, "browsers.orphans");
    assert.equal(orphans.status, "warn");
    assert.match(orphans.finding, new RegExp(`orphan Chromium pid ${child.pid} \\(profile onebrain of ${stateDir}`));
    assert.match(orphans.finding, /has no running gateway/);
    assert.match(orphans.fix!, new RegExp(`kill -TERM -${child.pid}`));
    assert.ok(groupPids(child.pid!).length > 0, "doctor killed nothing");
  } finally {
    process.kill(-child.pid!, "SIGKILL");
  }
});

test("two brains with a profile pinned to one CDP port fail the pins check, naming the other brain", bounded, async () => {
  const home = tmpDir();
  const stateDir = path.join(home, ".onebrain");
  writeConfig(stateDir, { browser: { profiles: { work: { cdpPort: 9333 } } } });
  const other = brainOnDisk(path.join(home, ".onebrain-rescue"), { browser: { profiles: { shared: { cdpUrl: "http://localhost:9333" } } } });
  const { report } = await doctorCli([], brainEnv(stateDir));
  const pins = check(report, "browsers.pins");
  assert.equal(pins.status, "fail");
  assert.match(pins.finding, new RegExp(`profile work is pinned to cdpPort 9333, as is profile shared of brain ${other}`));
  assert.ok(pins.fix);
});

test("a cdpUrl without a port is refused by the config check, with the fix", bounded, async () => {
  const home = tmpDir();
  const stateDir = path.join(home, ".onebrain");
  writeConfig(stateDir, { browser: { profiles: { far: { cdpUrl: "https://browser.example.com" } } } });
  const { report } = await doctorCli([], brainEnv(stateDir));
  const config = check(report, "config");
  assert.equal(config.status, "fail");
  assert.match(config.finding, /browser\.profiles\.far\.cdpUrl/);
  assert.match(config.finding, /explicit port/);
});
