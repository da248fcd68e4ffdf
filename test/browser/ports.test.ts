/**
 * CDP ports between brains and strangers: two brains each run a browser on their own control
 * and CDP ports; a profile pinned to the other brain's CDP port is refused by name; a stranger on
 * a port of the range is skipped and named, never killed; a remote profile is attached to, never
 * launched or killed.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import path from "node:path";
import { chromiumPath } from "../helpers/browser.ts";
import { freePlanPort, startGateway, tmpDir, type RunningGateway } from "../helpers/gateway.ts";
import { control, groupPids } from "./support.ts";

const running: RunningGateway[] = [];
after(async () => {
  for (const g of running) await g.stop();
});

async function brain(config: Record<string, unknown> = {}, stateDir = path.join(tmpDir(), "state")) {
  const port = await freePlanPort();
  const gw = await startGateway({ port, stateDir, config: { browser: { executablePath: chromiumPath(), ...config } } });
  running.push(gw);
  return { gw, port, cp: port + 2, stateDir };
}

test("two brains each run a browser on distinct control and CDP ports; a profile pinned to the other brain's CDP port is refused by name", async () => {
  const main = await brain();
  const rescue = await brain();
  const a = await control(main.cp, "POST", "/start", { body: {} });
  const b = await control(rescue.cp, "POST", "/start", { body: {} });
  assert.equal(a.status, 200, JSON.stringify(a.body));
  assert.equal(b.status, 200, JSON.stringify(b.body));
  assert.notEqual(main.cp, rescue.cp);
  assert.notEqual(a.body.cdpPort, b.body.cdpPort);
  assert.notEqual(a.body.pid, b.body.pid);

  // The rescue brain is told to pin a profile onto the main brain's browser port.
  const pinned = await brain({ profiles: { shared: { cdpPort: a.body.cdpPort } } });
  const refused = await control(pinned.cp, "POST", "/start?profile=shared", { body: {} });
  assert.equal(refused.status, 409);
  assert.equal(refused.body.error.code, "BROWSER_PORT_CONFLICT");
  assert.ok(refused.body.error.message.includes(`the browser of brain ${main.stateDir}`), refused.body.error.message);
  assert.ok(groupPids(a.body.pid).length > 0, "the main brain's browser was not touched");
});

test("a stranger holding the first CDP port of the range is skipped and named, never killed", async () => {
  const port = await freePlanPort();
  const stranger = net.createServer();
  await new Promise<void>((r) => stranger.listen(port + 11, "127.0.0.1", () => r()));
  try {
    const gw = await startGateway({ port, stateDir: path.join(tmpDir(), "state"), config: { browser: { executablePath: chromiumPath() } } });
    running.push(gw);
    const started = await control(port + 2, "POST", "/start", { body: {} });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    assert.equal(started.body.cdpPort, port + 12, "the next port of the range");
    await gw.waitFor("skipped CDP ports held by other processes");
    assert.match(gw.stdout() + gw.stderr(), new RegExp(`pid ${process.pid}`));
    assert.ok(stranger.listening, "the stranger still listens");
  } finally {
    stranger.close();
  }
});

test("a remote profile (cdpUrl over http discovery, or ws directly) is attached to and detached from, never launched or killed", async () => {
  const host = await brain();
  const started = await control(host.cp, "POST", "/start", { body: {} });
  const cdp = started.body.cdpPort as number;
  const ws = ((await (await fetch(`http://127.0.0.1:${cdp}/json/version`)).json()) as { webSocketDebuggerUrl: string }).webSocketDebuggerUrl;
  const remote = await brain({ profiles: { far: { cdpUrl: `http://127.0.0.1:${cdp}` }, direct: { cdpUrl: ws } } });
  for (const profile of ["far", "direct"]) {
    const attached = await control(remote.cp, "POST", `/start?profile=${profile}`, { body: {} });
    assert.equal(attached.status, 200, JSON.stringify(attached.body));
    assert.equal(attached.body.kind, "remote");
    assert.equal(attached.body.pid, null, "nothing was launched");
    const tabs = await control(remote.cp, "GET", `/tabs?profile=${profile}`);
    assert.ok(Array.isArray(tabs.body.tabs));
    const stopped = await control(remote.cp, "POST", `/stop?profile=${profile}`, { body: {} });
    assert.equal(stopped.body.running, false);
    assert.ok(groupPids(started.body.pid).length > 0, "the remote browser lives on");
  }
  const gone = await brain({ profiles: { gone: { cdpUrl: `http://127.0.0.1:${remote.port + 50}` } } });
  const unreachable = await control(gone.cp, "POST", "/start?profile=gone", { body: {} });
  assert.equal(unreachable.body.error.code, "BROWSER_CDP_UNREACHABLE");
});

test("a remote browser that never answers, or answers discovery and then hangs, fails the start within startTimeoutMs while status still answers", async () => {
  const held: net.Socket[] = [];
  const silent = net.createServer((s) => held.push(s)); // accepts, reads, never writes
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  const silentPort = (silent.address() as net.AddressInfo).port;
  // Discovery answers with a WebSocket URL whose upgrade never completes.
  const hanging = net.createServer((s) => {
    held.push(s);
    s.once("data", (d) => {
      if (!d.toString().startsWith("GET /json/version")) return; // the upgrade: left hanging
      const body = JSON.stringify({ Browser: "Chrome/1", webSocketDebuggerUrl: `ws://127.0.0.1:${hangingPort}/devtools/browser/x` });
      s.end(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    });
  });
  await new Promise<void>((r) => hanging.listen(0, "127.0.0.1", r));
  const hangingPort = (hanging.address() as net.AddressInfo).port;
  try {
    const b = await brain({
      startTimeoutMs: 1500,
      profiles: { silent: { cdpUrl: `http://127.0.0.1:${silentPort}` }, hanging: { cdpUrl: `http://127.0.0.1:${hangingPort}` } },
    });
    for (const profile of ["silent", "hanging"]) {
      const t0 = Date.now();
      const pending = control(b.cp, "POST", `/start?profile=${profile}`, { body: {} });
      const status = await control(b.cp, "GET", "/status");
      assert.equal(status.status, 200, "the control service answers while a start waits");
      const r = await pending;
      const ms = Date.now() - t0;
      assert.equal(r.status >= 400, true, JSON.stringify(r.body));
      assert.match(r.body.error.code, /^BROWSER_/, JSON.stringify(r.body));
      assert.ok(ms < 6000, `${profile}: gave up after ${ms} ms`);
      const after = await control(b.cp, "GET", `/status?profile=${profile}`);
      assert.equal(after.body.profiles.find((p: { profile: string }) => p.profile === profile).running, false);
    }
  } finally {
    held.forEach((s) => s.destroy());
    silent.close();
    hanging.close();
  }
});
