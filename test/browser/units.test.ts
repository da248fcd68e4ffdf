/**
 * The browser's pure decisions, without a browser: actions and URLs checked, headless and sandbox
 * decided with their reasons, the executable found, profiles resolved, CDP ports chosen around
 * holders, CDP URLs validated and shown without secrets, browsers recognised in command lines.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { checkNavigable, parseAction } from "../../src/browser/actions.ts";
import { displayCdpUrl } from "../../src/browser/cdp.ts";
import { decideHeadless, decideNoSandbox, findExecutable, launchArgs } from "../../src/browser/executable.ts";
import { chooseCdpPort, type PortHolder } from "../../src/browser/holders.ts";
import { parseUserDataDir, pickProfile, resolveProfiles } from "../../src/browser/profiles.ts";
import { clearStaleSingleton } from "../../src/browser/singleton.ts";
import { validateConfig } from "../../src/config/load.ts";
import { configSchema } from "../../src/config/schema.ts";
import { parseBrowserArgv } from "../../src/diagnostics/doctor/host-browsers.ts";
import { hasCode } from "../../src/shared/errors.ts";
import { tmpDir } from "../helpers/gateway.ts";

const browserConfig = (b: unknown) => configSchema.parse({ browser: b }).browser;

test("actions are checked before any page is touched, each bad one named", () => {
  assert.deepEqual(parseAction({ kind: "click", ref: "e3" }), { kind: "click", ref: "e3", double: false, button: "left" });
  assert.deepEqual(parseAction({ kind: "select", ref: "f1e2", value: "blue" }), { kind: "select", ref: "f1e2", values: ["blue"] });
  assert.deepEqual(parseAction({ kind: "press", key: "Enter" }), { kind: "press", key: "Enter", ref: null });
  for (const [input, why] of [
    [null, /an action is an object/],
    [{ kind: "explode" }, /"kind" must be one of click, type, fill, press, select, hover, wait/],
    [{ kind: "click" }, /click needs "ref"/],
    [{ kind: "click", ref: "#submit" }, /"ref" must be a ref from a snapshot/],
    [{ kind: "type", ref: "e1" }, /type needs "text"/],
    [{ kind: "wait" }, /wait needs "ms", "text"/],
    [{ kind: "wait", ms: 60_000 }, /"ms" must be an integer 0-30000/],
    [{ kind: "click", ref: "e1", button: "back" }, /"button" must be left, right or middle/],
    [{ kind: "fill", ref: "e1", text: "x".repeat(100_001) }, /at most 100000/],
  ] as const) {
    assert.throws(
      () => parseAction(input),
      (err: unknown) => hasCode(err, "USAGE") && why.test((err as Error).message),
      String(why),
    );
  }
});

test("only http(s) and about:blank may be opened", () => {
  assert.equal(checkNavigable("https://example.com"), "https://example.com/");
  assert.equal(checkNavigable("about:blank"), "about:blank");
  for (const bad of ["file:///etc/passwd", "chrome://settings", "javascript:alert(1)", "data:text/html,x", "example.com", 42])
    assert.throws(
      () => checkNavigable(bad),
      (err: unknown) => hasCode(err, "USAGE"),
    );
});

test("headless without a display; --no-sandbox only as root or in a container, each with its reason", () => {
  assert.equal(decideHeadless(undefined, {}).value, true);
  assert.match(decideHeadless(undefined, {}).why, /no display/);
  assert.equal(decideHeadless(undefined, { DISPLAY: ":0" }).value, false);
  assert.equal(decideHeadless(true, { DISPLAY: ":0" }).value, true);
  const none = () => false;
  assert.deepEqual(decideNoSandbox(undefined, { uid: 1000, env: {}, exists: none }).value, false);
  assert.match(decideNoSandbox(undefined, { uid: 0, env: {}, exists: none }).why, /root/);
  assert.match(decideNoSandbox(undefined, { uid: 1000, env: {}, exists: (p) => p === "/.dockerenv" }).why, /container/);
  assert.equal(decideNoSandbox(undefined, { uid: 1000, env: { container: "podman" }, exists: none }).value, true);
  assert.equal(decideNoSandbox(false, { uid: 0 }).value, false);
  const args = launchArgs({ cdpPort: 9300, userDataDir: "/d", headless: true, noSandbox: false });
  assert.ok(args.includes("--remote-debugging-address=127.0.0.1") && args.includes("--headless=new") && !args.includes("--no-sandbox"));
  assert.ok(args.includes("--disable-background-networking") && args.includes("--no-first-run") && args.includes("--disable-sync"));
});

test("the executable: browser.executablePath must be runnable; else the known names on PATH in order", () => {
  const dir = tmpDir();
  const chrome = path.join(dir, "google-chrome");
  fs.writeFileSync(chrome, "#!/bin/sh\n", { mode: 0o755 });
  assert.deepEqual(findExecutable(undefined, { PATH: dir }), { path: chrome, source: "PATH" });
  fs.writeFileSync(path.join(dir, "chromium"), "#!/bin/sh\n", { mode: 0o755 });
  assert.equal(findExecutable(undefined, { PATH: dir }).path, path.join(dir, "chromium"), "chromium first");
  assert.match((findExecutable(path.join(dir, "nope"), {}) as { why: string }).why, /is not a runnable file/);
  assert.match((findExecutable(undefined, { PATH: tmpDir() }) as { why: string }).why, /apt-get install chromium/);
});

test("profiles: the default first, managed ones on consecutive ports, pinned and remote as configured", () => {
  const ps = resolveProfiles(
    browserConfig({ profiles: { zeta: {}, alpha: {}, pinned: { cdpPort: 9333 }, far: { cdpUrl: "http://10.0.0.5:9222" } } }),
    { first: 18800, last: 18899 },
    "/s",
  );
  assert.deepEqual(
    ps.map((p) => [p.name, p.kind, p.cdpPort]),
    [
      ["onebrain", "managed", 18800],
      ["alpha", "managed", 18801],
      ["far", "remote", null],
      ["pinned", "pinned", 9333],
      ["zeta", "managed", 18802],
    ],
  );
  assert.equal(ps[0]!.userDataDir, "/s/browser/onebrain/user-data");
  assert.deepEqual(parseUserDataDir("/home/ada/.onebrain/browser/work/user-data"), { stateDir: "/home/ada/.onebrain", profile: "work" });
  assert.equal(resolveProfiles(browserConfig({ cdpUrl: "ws://h:9222/devtools/browser/x" }), { first: 1, last: 2 }, "/s")[0]!.kind, "remote");
  assert.throws(
    () => pickProfile(ps, "nope"),
    (err: unknown) => hasCode(err, "BROWSER_PROFILE_UNKNOWN") && /alpha/.test((err as Error).message),
  );
});

test("CDP ports: strangers are skipped and named, a pinned port held is refused, a full range says so", () => {
  const profile = resolveProfiles(browserConfig({}), { first: 100, last: 103 }, "/s")[0]!;
  const held = (ports: number[]) => (asked: readonly number[]) =>
    new Map(asked.filter((p) => ports.includes(p)).map((p) => [p, { port: p, pid: 7, brain: null, who: `pid 7 on ${p}` } as PortHolder]));
  assert.deepEqual(chooseCdpPort(profile, { first: 100, last: 103 }, new Set(), held([])), { port: 100, skipped: [] });
  const r = chooseCdpPort(profile, { first: 100, last: 103 }, new Set([101]), held([100]));
  assert.equal(r.port, 102);
  assert.deepEqual(
    r.skipped.map((s) => s.who),
    ["pid 7 on 100"],
  );
  assert.throws(
    () => chooseCdpPort(profile, { first: 100, last: 103 }, new Set(), held([100, 101, 102, 103])),
    (err: unknown) => hasCode(err, "BROWSER_PORT_CONFLICT") && /pid 7 on 100/.test((err as Error).message),
  );
  const pinned = { ...profile, kind: "pinned" as const, cdpPort: 9333 };
  assert.throws(
    () => chooseCdpPort(pinned, { first: 100, last: 103 }, new Set(), held([9333])),
    (err: unknown) => hasCode(err, "BROWSER_PORT_CONFLICT") && /pinned to CDP port 9333, which pid 7 on 9333 holds/.test((err as Error).message),
  );
});

test("a cdpUrl must name its port; cdpPort and cdpUrl together are refused; profile names are a safe alphabet", () => {
  const bad = (browser: unknown, why: RegExp) =>
    assert.throws(
      () => validateConfig({ browser }, "onebrain.json"),
      (err: unknown) => hasCode(err, "CONFIG_INVALID") && why.test((err as Error).message),
      `${JSON.stringify(browser)} should fail with ${why}`,
    );
  bad({ profiles: { far: { cdpUrl: "https://browser.example.com" } } }, /browser\.profiles\.far\.cdpUrl.*explicit port.*443/s);
  bad({ cdpUrl: "ws://10.0.0.5/devtools" }, /browser\.cdpUrl.*explicit port/s);
  bad({ profiles: { far: { cdpUrl: "ftp://h:21" } } }, /http\(s\) or ws\(s\)/);
  bad({ profiles: { both: { cdpPort: 9222, cdpUrl: "http://h:9222" } } }, /not both/);
  bad({ profiles: { "Bad Name": {} } }, /profile name/);
  assert.equal(displayCdpUrl("wss://user:secret@browser.example.com:443/devtools/browser/x?token=abc"), "wss://browser.example.com/devtools/browser/x…");
});

test("a SingletonLock is cleared when its pid is dead or not a browser of the profile, kept for another host", () => {
  const dir = tmpDir();
  fs.symlinkSync(`${os.hostname()}-999999999`, path.join(dir, "SingletonLock"));
  fs.symlinkSync("cookie", path.join(dir, "SingletonCookie"));
  assert.deepEqual(clearStaleSingleton(dir), { state: "cleared", pid: 999999999 });
  assert.equal(fs.existsSync(path.join(dir, "SingletonCookie")), false);
  fs.symlinkSync(`${os.hostname()}-${process.pid}`, path.join(dir, "SingletonLock"));
  assert.equal(clearStaleSingleton(dir).state, "cleared", "this test process is not a browser of that directory");
  fs.symlinkSync("elsewhere-12", path.join(dir, "SingletonLock"));
  const other = clearStaleSingleton(dir);
  assert.equal(other.state, "held");
  assert.ok(fs.lstatSync(path.join(dir, "SingletonLock")).isSymbolicLink(), "left in place");
  assert.deepEqual(clearStaleSingleton(tmpDir()), { state: "none" });
});

test("doctor recognises a browser's main process, not its renderers, and a onebrain profile by its data dir", () => {
  const main = parseBrowserArgv(10, ["/usr/lib/chromium/chromium", "--remote-debugging-port=18800", "--user-data-dir=/h/.onebrain/browser/onebrain/user-data"]);
  assert.deepEqual(main, {
    pid: 10,
    userDataDir: "/h/.onebrain/browser/onebrain/user-data",
    cdpPort: 18800,
    brain: { stateDir: "/h/.onebrain", profile: "onebrain" },
  });
  assert.equal(parseBrowserArgv(11, ["/usr/lib/chromium/chromium", "--type=renderer", "--user-data-dir=/x"]), null);
  assert.equal(parseBrowserArgv(12, ["/usr/bin/node", "--user-data-dir=/x"]), null);
  assert.equal(parseBrowserArgv(13, ["/opt/google/chrome/chrome"])?.brain, null);
});
