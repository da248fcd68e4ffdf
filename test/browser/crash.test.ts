/**
 * Nothing is orphaned: a gateway killed with SIGKILL while its browser runs leaves no chromium
 * behind (its lifeline kills the group at once; the next start reaps whatever a record still
 * names), and the profile starts again every time, whatever SingletonLock the kill left.
 * BROWSER_CYCLES sets the number of kill -9 cycles (default 20).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { chromiumPath } from "../helpers/browser.ts";
import { freePlanPort, startGateway, tmpDir } from "../helpers/gateway.ts";
import { browsersUnder, control, groupPids } from "./support.ts";

const CYCLES = Number(process.env.BROWSER_CYCLES ?? 20);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await sleep(20);
  }
  return check();
}

test(`${CYCLES} cycles of kill -9 of the gateway while its browser runs: 0 chromium processes left, and the profile starts again each time`, async () => {
  const stateDir = path.join(tmpDir(), "state");
  const port = await freePlanPort();
  const config = { browser: { executablePath: chromiumPath() } };
  for (let i = 0; i < CYCLES; i++) {
    const gw = await startGateway({ port, stateDir, config });
    const started = await control(port + 2, "POST", "/start", { body: {} });
    assert.equal(started.status, 200, `cycle ${i}: ${JSON.stringify(started.body)}`);
    assert.equal(started.body.running, true);
    assert.ok(browsersUnder(stateDir).length > 1, "the browser runs");
    gw.kill("SIGKILL");
    await gw.exited;
    assert.ok(await until(() => browsersUnder(stateDir).length === 0, 5000), `cycle ${i}: chromium left after kill -9: ${browsersUnder(stateDir).join(", ")}`);
  }
  const last = await startGateway({ port, stateDir, config });
  assert.equal((await control(port + 2, "POST", "/start", { body: {} })).status, 200);
  await last.stop();
  assert.deepEqual(browsersUnder(stateDir), []);
});

/** A chromium the test starts itself, in a session of its own (as if its lifeline had failed). */
async function looseChromium(userDataDir: string, cdpPort: number): Promise<number> {
  fs.mkdirSync(userDataDir, { recursive: true });
  const child = spawn(
    chromiumPath(),
    ["--headless=new", "--no-sandbox", `--user-data-dir=${userDataDir}`, `--remote-debugging-port=${cdpPort}`, "about:blank"],
    {
      detached: true,
      stdio: "ignore",
    },
  );
  child.unref();
  const end = Date.now() + 15_000;
  while (Date.now() < end) {
    const ok = await fetch(`http://127.0.0.1:${cdpPort}/json/version`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return child.pid!;
    await sleep(50);
  }
  throw new Error("the loose chromium did not start");
}

const startTicks = (pid: number) => Number(fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[19]);

test("a browser recorded by a dead gateway is reaped at the next start (pid and start time match); an unrecorded one is never killed", async () => {
  const stateDir = path.join(tmpDir(), "state");
  const port = await freePlanPort();
  const config = { browser: { executablePath: chromiumPath() } };
  // A first start creates the brain's database; its browser record table is where the dead gateway's browser goes.
  await (await startGateway({ port, stateDir, config })).stop();
  const recorded = await looseChromium(path.join(stateDir, "browser", "onebrain", "user-data"), port + 20);
  const stranger = await looseChromium(path.join(tmpDir(), "someone-else"), port + 21);
  try {
    const db = new DatabaseSync(path.join(stateDir, "brain.db"));
    db.prepare(
      "INSERT INTO browsers (profile, pid, pgid, proc_start, cdp_port, user_data_dir, executable, epoch, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ).run(
      "onebrain",
      recorded,
      recorded,
      startTicks(recorded),
      port + 20,
      path.join(stateDir, "browser", "onebrain", "user-data"),
      chromiumPath(),
      1,
      Date.now(),
    );
    db.close();
    const gw = await startGateway({ port, stateDir, config });
    try {
      assert.ok(await until(() => groupPids(recorded).length === 0, 3000), "the recorded group was killed");
      assert.ok(groupPids(stranger).length > 0, "the stranger lives");
      await gw.waitFor("killed browsers that a dead gateway of this brain left running");
      // The profile starts although the killed browser left its SingletonLock.
      assert.equal((await control(port + 2, "POST", "/start", { body: {} })).status, 200);
    } finally {
      await gw.stop();
    }
  } finally {
    process.kill(-stranger, "SIGKILL");
  }
});

test("a recycled pid is not a browser: a record whose start time does not match is forgotten, its process untouched", async () => {
  const stateDir = path.join(tmpDir(), "state");
  const port = await freePlanPort();
  await (await startGateway({ port, stateDir, config: { browser: { executablePath: chromiumPath() } } })).stop();
  const innocent = spawn("sleep", ["30"], { detached: true, stdio: "ignore" });
  try {
    const db = new DatabaseSync(path.join(stateDir, "brain.db"));
    db.prepare(
      "INSERT INTO browsers (profile, pid, pgid, proc_start, cdp_port, user_data_dir, executable, epoch, started_at) VALUES ('onebrain', ?, ?, ?, 1, '/x', '/x', 1, 0)",
    ).run(innocent.pid!, innocent.pid!, startTicks(innocent.pid!) + 1);
    db.close();
    const gw = await startGateway({ port, stateDir, config: { browser: { executablePath: chromiumPath() } } });
    await gw.stop();
    assert.equal(innocent.exitCode, null);
    assert.ok(groupPids(innocent.pid!).length === 1, "the process with the recycled pid lives");
    const db2 = new DatabaseSync(path.join(stateDir, "brain.db"), { readOnly: true });
    assert.equal((db2.prepare("SELECT count(*) AS n FROM browsers").get() as { n: number }).n, 0);
    db2.close();
  } finally {
    innocent.kill("SIGKILL");
  }
});

test("SingletonLock: cleared when its owner is dead or is not a browser of this profile; a live browser of the profile or another host's lock refuses the start", async () => {
  const stateDir = path.join(tmpDir(), "state");
  const port = await freePlanPort();
  const dir = path.join(stateDir, "browser", "onebrain", "user-data");
  fs.mkdirSync(dir, { recursive: true });
  const gw = await startGateway({ port, stateDir, config: { browser: { executablePath: chromiumPath() } } });
  const cp = port + 2;
  try {
    // A pid that is alive but is not a browser of this directory (as after pid reuse).
    fs.symlinkSync(`${os.hostname()}-${process.pid}`, path.join(dir, "SingletonLock"));
    const first = await control(cp, "POST", "/start", { body: {} });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal((await control(cp, "POST", "/stop", { body: {} })).status, 200);

    fs.rmSync(path.join(dir, "SingletonLock"), { force: true });
    fs.symlinkSync("other-host-4242", path.join(dir, "SingletonLock"));
    const other = await control(cp, "POST", "/start", { body: {} });
    assert.equal(other.status, 502);
    assert.equal(other.body.error.code, "BROWSER_START_FAILED");
    assert.match(other.body.error.message, /other-host/);
    fs.rmSync(path.join(dir, "SingletonLock"), { force: true });

    const live = await looseChromium(dir, port + 30);
    try {
      const held = await control(cp, "POST", "/start", { body: {} });
      assert.equal(held.body.error.code, "BROWSER_START_FAILED");
      assert.match(held.body.error.message, new RegExp(`pid ${live}`));
      assert.ok(groupPids(live).length > 0, "the unrecorded browser was not killed");
    } finally {
      process.kill(-live, "SIGKILL");
    }
  } finally {
    await gw.stop();
  }
});
