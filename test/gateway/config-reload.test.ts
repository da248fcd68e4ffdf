/**
 * The last good config: a running gateway whose config file goes missing, unreadable or invalid
 * keeps the config it runs on (auth included), logs why, and says so in `status` (text and
 * --json) and `/api/status`. Only a valid file changes the running config.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { httpGet, runCli, startGateway, writeConfig, type RunningGateway } from "../helpers/gateway.ts";
import { bounded, reapAll, track } from "./support.ts";

after(reapAll);

const TOKEN = "tok-last-good-config-0123456789";

/** Waits until the gateway's log has logged `text` `count` times (reloads are debounced file events). */
async function logged(gw: RunningGateway, text: string, count: number): Promise<void> {
  const file = path.join(gw.stateDir, "logs", "gateway.log");
  const seen = () => (fs.existsSync(file) ? fs.readFileSync(file, "utf8").split(text).length - 1 : 0);
  for (let i = 0; i < 400 && seen() < count; i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(seen() >= count, `"${text}" logged ${seen()} time(s), expected ${count}`);
}

/** The token is still required: refused without it, served with it; returns the served status. */
async function assertTokenRequired(gw: RunningGateway): Promise<any> {
  const anonymous = await httpGet(gw.port, "/api/status");
  assert.equal(anonymous.status, 401, `served /api/status without the token: ${JSON.stringify(anonymous.body).slice(0, 200)}`);
  const authed = await httpGet(gw.port, "/api/status", { authorization: `Bearer ${TOKEN}` });
  assert.equal(authed.status, 200);
  return authed.body;
}

/** `status` as the operator runs it (without the token: the file that held it may be gone), text and JSON. */
async function statusOf(gw: RunningGateway): Promise<{ text: string; json: any }> {
  const text = await runCli(["status"], gw.env);
  const json = await runCli(["status", "--json"], gw.env);
  return { text: text.stdout + text.stderr, json: JSON.parse(json.stdout) };
}

async function assertRunsOnLastGood(gw: RunningGateway, kind: string, code: string): Promise<void> {
  const api = await assertTokenRequired(gw);
  assert.equal(api.configProblem?.kind, kind, JSON.stringify(api.configProblem));
  assert.equal(api.configProblem.code, code);
  assert.match(api.configProblem.summary, new RegExp(`^config file ${kind} since \\S+; running on the last good config$`));
  const s = await statusOf(gw);
  assert.equal(s.json.gateway.configProblem?.kind, kind, JSON.stringify(s.json.gateway));
  assert.match(s.text, new RegExp(`config file ${kind} since \\S+; running on the last good config`), s.text);
}

test(
  "a config file removed, made invalid or unreadable under a running gateway keeps its token, and status says so until a valid file is back",
  bounded,
  async (t) => {
    const gw = track(await startGateway({ config: { gateway: { auth: { token: TOKEN } } } }));
    const file = path.join(gw.stateDir, "onebrain.json");
    const good = fs.readFileSync(file, "utf8");
    try {
      await assertTokenRequired(gw);

      fs.renameSync(file, `${file}.moved`);
      await logged(gw, "config reload failed", 1);
      await assertRunsOnLastGood(gw, "missing", "CONFIG_MISSING");
      // A SIGHUP with the file still gone changes nothing either.
      process.kill(gw.pid, "SIGHUP");
      await logged(gw, "config reload failed", 2);
      await assertTokenRequired(gw);

      fs.writeFileSync(file, JSON.stringify({ gateway: { port: "not a port" } }));
      await logged(gw, "config reload failed", 3);
      await assertRunsOnLastGood(gw, "invalid", "CONFIG_INVALID");

      fs.writeFileSync(file, "{ gateway: ");
      await logged(gw, "config reload failed", 4);
      await assertRunsOnLastGood(gw, "invalid", "CONFIG_SYNTAX");

      // Unreadable: a directory at the path (EISDIR) is unreadable for root too.
      fs.rmSync(file);
      fs.mkdirSync(file);
      await logged(gw, "config reload failed", 5);
      await assertRunsOnLastGood(gw, "unreadable", "CONFIG_UNREADABLE");
      fs.rmdirSync(file);

      if (process.getuid?.() === 0) {
        t.diagnostic("chmod 000 does not stop root from reading a file: the permission case is not tried as root (the directory case above is)");
      } else {
        fs.writeFileSync(file, good, { mode: 0o600 });
        await logged(gw, "config file is usable again", 1);
        fs.chmodSync(file, 0o000);
        process.kill(gw.pid, "SIGHUP");
        await logged(gw, "config reload failed", 6);
        await assertRunsOnLastGood(gw, "unreadable", "CONFIG_UNREADABLE");
        fs.chmodSync(file, 0o600);
      }

      writeConfig(gw.stateDir, JSON.parse(good));
      await logged(gw, "config file is usable again", process.getuid?.() === 0 ? 1 : 2);
      const api = await assertTokenRequired(gw);
      assert.equal(api.configProblem, null);
      const s = await statusOf(gw);
      assert.equal(s.json.gateway.configProblem, null);
      assert.doesNotMatch(s.text, /last good config/);
      assert.equal(s.json.gateway.verdict, "running", s.json.gateway.problems.join("; "));
    } finally {
      await gw.stop();
    }
  },
);

test("a config file replaced by a FIFO or a 5 MiB file under a running gateway is refused without blocking, and the token stays", bounded, async () => {
  const gw = track(await startGateway({ config: { gateway: { auth: { token: TOKEN } } } }));
  const file = path.join(gw.stateDir, "onebrain.json");
  try {
    // No writer ever opens the FIFO: a blocking open would hang the gateway's event loop for good.
    fs.rmSync(file);
    execFileSync("mkfifo", [file]);
    await logged(gw, "config reload failed", 1);
    await logged(gw, "it is a FIFO (named pipe), not a regular file", 1);
    await assertRunsOnLastGood(gw, "unreadable", "CONFIG_UNREADABLE");

    fs.rmSync(file);
    fs.writeFileSync(file, "{}");
    fs.truncateSync(file, 5 * 1024 * 1024);
    await logged(gw, "a config file may be at most 4 MiB", 1);
    await assertRunsOnLastGood(gw, "unreadable", "CONFIG_UNREADABLE");
  } finally {
    await gw.stop();
  }
});

test("a gateway started without a config file still takes a new valid file, and a written {} returns it to the defaults", bounded, async () => {
  const gw = track(await startGateway());
  try {
    assert.equal((await httpGet(gw.port, "/api/status")).status, 200, "no auth: loopback is served");
    writeConfig(gw.stateDir, { gateway: { auth: { token: TOKEN } } });
    await logged(gw, "config reloaded", 1);
    await assertTokenRequired(gw);
    writeConfig(gw.stateDir, {});
    await logged(gw, "config reloaded", 2);
    assert.equal((await httpGet(gw.port, "/api/status")).status, 200, "an explicit {} is the defaults again");
  } finally {
    await gw.stop();
  }
});
