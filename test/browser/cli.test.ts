/**
 * `onebrain browser ...` against a running gateway: status well under a second, start, open a
 * local page, snapshot, act by ref, screenshot to a file, stop, all with --json; `--profile` after
 * `browser` names the browser profile, before it the brain; a stopped gateway is said plainly.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { splitProfiles } from "../../src/cli/browser/argv.ts";
import { fastBrowserStatus } from "../../src/cli/browser/fast-status.ts";
import { chromiumPath } from "../helpers/browser.ts";
import { brainEnv, freePlanPort, runCli, startGateway, tmpDir, type RunningGateway } from "../helpers/gateway.ts";
import { FORM_PAGE, servePages } from "./support.ts";

let gw: RunningGateway;
let pages: Awaited<ReturnType<typeof servePages>>;

before(async () => {
  pages = await servePages({ "/form": FORM_PAGE });
  gw = await startGateway({
    port: await freePlanPort(),
    config: { gateway: { auth: { token: "cli-browser-token-0123456789abcdef" } }, browser: { executablePath: chromiumPath(), profiles: { work: {} } } },
  });
});
after(async () => {
  await gw?.stop();
  await pages?.close();
});

const cli = async (...args: string[]) => {
  const r = await runCli(["browser", ...args, "--json"], gw.env, 60_000);
  return { ...r, json: r.stdout.trim() ? JSON.parse(r.stdout) : null };
};

test("--profile after `browser` is the browser profile; before it, the brain", () => {
  assert.deepEqual(splitProfiles(["browser", "status", "--profile", "work"]), { brain: undefined, browser: "work" });
  assert.deepEqual(splitProfiles(["--profile", "rescue", "browser", "tabs", "--profile=work"]), { brain: "rescue", browser: "work" });
  assert.deepEqual(splitProfiles(["--profile", "browser", "browser", "status"]), { brain: "browser", browser: undefined });
  assert.deepEqual(splitProfiles(["status", "--profile", "x"]), { brain: "x", browser: undefined });
});

test("browser status answers from the running gateway with each profile", async () => {
  const r = await cli("status");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.controlPort, gw.port + 2);
  assert.deepEqual(
    r.json.profiles.map((p: { profile: string }) => p.profile),
    ["onebrain", "work"],
  );
  const text = await runCli(["browser", "status"], gw.env);
  assert.match(text.stdout, /onebrain\s+managed\s+stopped/);
  assert.ok(text.stdout.split("\n").length < 12, "fits a screen");
});

test("the fast path of browser status prints what the full CLI prints, text and JSON", async () => {
  const full = (args: string[]) =>
    new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [path.join(import.meta.dirname, "../../dist/onebrain.js"), ...args], { env: gw.env }, (err, stdout) =>
        err ? reject(err) : resolve(stdout),
      ),
    );
  for (const args of [
    ["browser", "status"],
    ["browser", "status", "--profile", "work", "--json"],
    ["browser", "status", "--json"],
  ]) {
    const fast = await runCli(args, gw.env);
    assert.equal(fast.code, 0, fast.stderr);
    assert.equal(fast.stdout, await full(args), args.join(" "));
  }
  // In process, to see that it is the fast path that answers (and that it declines what it cannot answer).
  const write = process.stdout.write.bind(process.stdout);
  let printed = "";
  process.stdout.write = ((chunk: string) => ((printed += chunk), true)) as typeof process.stdout.write;
  try {
    assert.equal(await fastBrowserStatus(["browser", "status", "--json"], gw.env), true);
    assert.equal(await fastBrowserStatus(["browser", "status", "--profile", "nope"], gw.env), false, "a 404 goes to the full CLI");
    assert.equal(await fastBrowserStatus(["browser", "status"], { ...gw.env, ONEBRAIN_GATEWAY_TOKEN: "wrong-token-0123456789abcdef" }), false);
    // A JSON5 file (a comment) is left to the full CLI, which reads it.
    const file = path.join(gw.stateDir, "onebrain.json");
    const good = fs.readFileSync(file, "utf8");
    try {
      fs.writeFileSync(file, `// edited by hand\n${good}`);
      assert.equal(await fastBrowserStatus(["browser", "status"], gw.env), false);
      const viaFull = await runCli(["browser", "status", "--json"], gw.env);
      assert.equal(viaFull.code, 0, viaFull.stderr);
      assert.equal(JSON.parse(viaFull.stdout).controlPort, gw.port + 2);
    } finally {
      fs.writeFileSync(file, good);
    }
  } finally {
    process.stdout.write = write;
  }
  assert.equal(JSON.parse(printed).controlPort, gw.port + 2);
});

test("start, open, snapshot, act by ref, screenshot and stop through the CLI, on a named profile", async () => {
  const started = await cli("start", "--profile", "work");
  assert.equal(started.code, 0, started.stderr + started.stdout);
  assert.equal(started.json.profile, "work");
  assert.equal(started.json.running, true);
  const opened = await cli("open", pages.url("/form"), "--profile", "work");
  assert.equal(opened.json.tab.title, "Form");
  const snap = await cli("snapshot", "--profile", "work");
  const button = /button "Greet" \[ref=(e\d+)\]/.exec(snap.json.snapshot)?.[1];
  assert.ok(button, snap.json.snapshot);
  const clicked = await cli("act", JSON.stringify({ kind: "click", ref: button }), "--profile", "work");
  assert.equal(clicked.code, 0, clicked.stdout);
  assert.match((await cli("snapshot", "--profile", "work")).json.snapshot, /Clicked:/);
  const out = path.join(tmpDir(), "shot.png");
  const shot = await cli("screenshot", "--out", out, "--profile", "work");
  assert.equal(shot.json.path, out);
  assert.equal(fs.readFileSync(out).subarray(1, 4).toString(), "PNG");
  const tabs = await cli("tabs", "--profile", "work");
  assert.ok(tabs.json.tabs.length >= 1);
  const def = await cli("tabs");
  assert.equal(def.json.ok, false, "the default profile's browser was never started");
  assert.equal(def.json.error.code, "BROWSER_NOT_RUNNING");
  assert.equal(def.code, 73);
  const stopped = await cli("stop", "--profile", "work");
  assert.equal(stopped.json.running, false);
});

test("bad input is named: an action that is not JSON, an unknown profile", async () => {
  const notJson = await cli("act", "click e3");
  assert.equal(notJson.code, 2);
  assert.match(notJson.json.error.message, /JSON/);
  const unknown = await cli("status", "--profile", "nope");
  assert.equal(unknown.json.error.code, "BROWSER_PROFILE_UNKNOWN");
  assert.equal(unknown.code, 71);
});

test("the secret comes from the config or ONEBRAIN_GATEWAY_TOKEN; a config that cannot be parsed is named with its line", async () => {
  const file = path.join(gw.stateDir, "onebrain.json");
  const good = fs.readFileSync(file, "utf8");
  const withEnv = await runCli(["browser", "status", "--json"], { ...gw.env, ONEBRAIN_GATEWAY_TOKEN: "not-the-token-0123456789abcdef" });
  assert.equal(withEnv.code, 5, "the environment's token wins over the file's, as for the gateway");
  try {
    fs.writeFileSync(file, "{ gateway: { auth: { token: ");
    const broken = await runCli(["browser", "status"], gw.env);
    assert.equal(broken.code, 21);
    assert.match(broken.stderr, /Cannot parse .*onebrain\.json at line 1/);
  } finally {
    fs.writeFileSync(file, good);
  }
});

test("with the gateway down, browser status says so and exits 4", async () => {
  const r = await runCli(["browser", "status"], brainEnv(path.join(tmpDir(), "state")));
  assert.equal(r.code, 4);
  assert.match(r.stderr, /not running/);
  assert.match(r.stderr, /onebrain gateway start/);
});
