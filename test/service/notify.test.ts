import { after, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { keepAliveDecision, Notifier, notifySettings, type Health } from "../../src/service/notify.ts";
import { isAlive } from "../../src/proc/process.ts";
import { httpGet, startGateway, tmpDir } from "../helpers/gateway.ts";
import { acquireCredentialLease } from "../../src/lock/lease.ts";
import { accepts, bounded, reapAll, track } from "../gateway/support.ts";
import { notifySocket, python3, systemdNotify, type NotifySocket } from "./support.ts";

after(reapAll);

const cannot = !python3 ? "python3 is needed for the NOTIFY_SOCKET stand-in" : !systemdNotify ? "systemd-notify is not installed" : false;
const sockets: NotifySocket[] = [];
after(() => Promise.all(sockets.map((s) => s.close())));
async function socket(): Promise<NotifySocket> {
  const s = await notifySocket();
  sockets.push(s);
  return s;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const count = (s: NotifySocket, field: string, from = 0, to = Infinity) => s.messages.filter((m) => field in m.fields && m.at >= from && m.at < to).length;

test("notify settings follow sd_watchdog_enabled: WATCHDOG_USEC counts only for the pid in WATCHDOG_PID", () => {
  assert.equal(notifySettings({}, 42), null, "no NOTIFY_SOCKET: nothing to do");
  assert.deepEqual(notifySettings({ NOTIFY_SOCKET: "/run/x" }, 42), { socket: "/run/x", watchdogMs: null });
  assert.deepEqual(notifySettings({ NOTIFY_SOCKET: "/run/x", WATCHDOG_USEC: "30000000" }, 42), { socket: "/run/x", watchdogMs: 30_000 });
  assert.deepEqual(notifySettings({ NOTIFY_SOCKET: "/run/x", WATCHDOG_USEC: "30000000", WATCHDOG_PID: "42" }, 42), { socket: "/run/x", watchdogMs: 30_000 });
  assert.deepEqual(
    notifySettings({ NOTIFY_SOCKET: "/run/x", WATCHDOG_USEC: "30000000", WATCHDOG_PID: "41" }, 42),
    { socket: "/run/x", watchdogMs: null },
    "meant for another process",
  );
  assert.deepEqual(notifySettings({ NOTIFY_SOCKET: "@abstract", WATCHDOG_USEC: "soon" }, 42), { socket: "@abstract", watchdogMs: null });
});

test("a keep-alive goes only while the gateway is ready and the tick itself was not late", () => {
  const ready: Health = { ready: true, failing: [] };
  assert.deepEqual(keepAliveDecision(ready, 3, 1000), { send: true, reason: null });
  assert.deepEqual(keepAliveDecision(ready, 1500, 1000), { send: false, reason: "event loop stalled 1500 ms (limit 1000 ms)" });
  assert.deepEqual(keepAliveDecision({ ready: false, failing: ["eventLoop", "lock"] }, 0, 1000), { send: false, reason: "not ready: eventLoop, lock" });
});

test("without NOTIFY_SOCKET the notifier sends nothing and spawns nothing", async () => {
  const logs: string[] = [];
  const n = new Notifier({ env: {}, command: "/nonexistent/systemd-notify", log: (_l, m) => logs.push(m) });
  assert.equal(n.enabled, false);
  await n.ready({ health: () => ({ ready: true, failing: [] }), maxLagMs: () => 1000 }, "up");
  n.stopping("bye");
  await n.flush(100);
  assert.deepEqual(logs, []);
});

test("READY=1 waits for readiness; keep-alives stop while unhealthy and resume after; STOPPING=1 ends them", { skip: cannot, timeout: 30_000 }, async () => {
  const s = await socket();
  let health: Health = { ready: false, failing: ["store"] };
  const n = new Notifier({ env: { NOTIFY_SOCKET: s.path, WATCHDOG_USEC: "150000", PATH: process.env.PATH }, pid: 4242 });
  const readyCall = n.ready({ health: () => health, maxLagMs: () => 1000 }, "listening on port 1");
  await sleep(300);
  assert.equal(s.messages.length, 0, "nothing before the gateway is ready");
  health = { ready: true, failing: [] };
  await readyCall;
  const ready = await s.waitFor("READY", "1");
  assert.equal(ready.fields.MAINPID, "4242");
  assert.equal(ready.fields.STATUS, "listening on port 1");
  await s.waitFor("WATCHDOG", "1", 5000, ready.at);

  health = { ready: false, failing: ["eventLoop"] };
  const withheld = await s.waitFor("STATUS", "watchdog keep-alives withheld: not ready: eventLoop");
  await sleep(400); // a keep-alive already queued may still arrive; after that, none
  const quietFrom = Date.now();
  await sleep(600);
  assert.equal(count(s, "WATCHDOG", quietFrom), 0, "no keep-alive while unhealthy");
  assert.ok(withheld.at >= ready.at);

  health = { ready: true, failing: [] };
  const back = await s.waitFor("WATCHDOG", "1", 5000, quietFrom);
  assert.equal(back.fields.STATUS, "listening on port 1", "the status says healthy again with the first keep-alive");

  n.stopping("draining: received SIGTERM");
  await n.flush(5000);
  const stopping = await s.waitFor("STOPPING", "1");
  assert.equal(stopping.fields.STATUS, "draining: received SIGTERM");
  await sleep(500);
  assert.equal(count(s, "WATCHDOG", stopping.at + 1), 0, "no keep-alive after STOPPING=1");
});

test("a notify child that hangs is killed after its time limit and logged, and leaves no process behind", { skip: cannot, timeout: 30_000 }, async () => {
  const dir = tmpDir();
  const hang = path.join(dir, "hang.sh");
  fs.writeFileSync(hang, `#!/bin/sh\necho $$ > ${dir}/pid\nexec sleep 30\n`, { mode: 0o755 });
  const logs: Array<{ level: string; message: string }> = [];
  const n = new Notifier({
    env: { NOTIFY_SOCKET: "/nonexistent.sock", PATH: process.env.PATH },
    command: hang,
    timeoutMs: 300,
    log: (level, message) => logs.push({ level, message }),
  });
  const t0 = Date.now();
  await n.ready({ health: () => ({ ready: true, failing: [] }), maxLagMs: () => 1000 }, "up");
  await n.flush(5000);
  assert.ok(Date.now() - t0 < 3000, "bounded by the time limit");
  const pid = Number(fs.readFileSync(path.join(dir, "pid"), "utf8"));
  assert.equal(isAlive(pid), false, `pid ${pid} was left running`);
  assert.ok(
    logs.some((l) => l.level === "error" && /was killed \(SIGKILL\)/.test(l.message)),
    JSON.stringify(logs),
  );
});

test("a real gateway sends READY=1 once listening, WATCHDOG=1 periodically, and STOPPING=1 on SIGTERM", { ...bounded, skip: cannot }, async () => {
  const s = await socket();
  const gw = track(await startGateway({ env: { NOTIFY_SOCKET: s.path, WATCHDOG_USEC: "600000" } }));
  const ready = await s.waitFor("READY", "1");
  assert.equal(await accepts(gw.port), true, "READY=1 means the port already answers");
  assert.equal(ready.fields.MAINPID, String(gw.pid));
  assert.match(ready.fields.STATUS ?? "", new RegExp(`listening on port ${gw.port}`));
  await sleep(1200);
  assert.ok(count(s, "WATCHDOG") >= 3, `expected keep-alives every 200 ms, got ${count(s, "WATCHDOG")}`);

  gw.kill("SIGTERM");
  const stopping = await s.waitFor("STOPPING", "1");
  assert.match(stopping.fields.STATUS ?? "", /received SIGTERM/);
  const end = await gw.exited;
  assert.equal(end.code, 0, end.stderr);
  await sleep(300);
  assert.equal(count(s, "WATCHDOG", stopping.at + 1), 0, "no keep-alive after STOPPING=1");
});

test("a gateway told that the watchdog is for another pid sends READY=1 but no keep-alives", { ...bounded, skip: cannot }, async () => {
  const s = await socket();
  const gw = track(await startGateway({ env: { NOTIFY_SOCKET: s.path, WATCHDOG_USEC: "300000", WATCHDOG_PID: "1" } }));
  await s.waitFor("READY", "1");
  await sleep(800);
  assert.equal(count(s, "WATCHDOG"), 0);
  assert.equal((await gw.stop()).code, 0);
});

test("a stalled event loop stops the keep-alives until the lag window is clean again", { ...bounded, skip: cannot }, async () => {
  const s = await socket();
  // SIGSTOP freezes the whole process: to the gateway that is exactly a blocked event loop.
  const gw = track(await startGateway({ config: { gateway: { maxEventLoopLagMs: 300 } }, env: { NOTIFY_SOCKET: s.path, WATCHDOG_USEC: "600000" } }));
  await s.waitFor("READY", "1");
  await s.waitFor("WATCHDOG", "1");
  process.kill(gw.pid, "SIGSTOP");
  await sleep(1500);
  const resumed = Date.now();
  process.kill(gw.pid, "SIGCONT");
  const withheld = await s.waitFor("STATUS", undefined, 5000, resumed);
  assert.match(withheld.fields.STATUS ?? "", /^watchdog keep-alives withheld: (event loop stalled \d+ ms|not ready: eventLoop)/);
  await sleep(3000);
  assert.equal(count(s, "WATCHDOG", resumed, resumed + 3000), 0, "no keep-alive for the lag window after the stall");
  const back = await s.waitFor("WATCHDOG", "1", 10_000, resumed);
  assert.ok(back.at - resumed >= 3000, `keep-alives came back ${back.at - resumed} ms after the stall`);
  assert.equal((await gw.stop()).code, 0);
});

test(
  "a Telegram token held by another brain fails /readyz but neither holds back READY=1 nor stops the keep-alives",
  { ...bounded, skip: cannot },
  async () => {
    const s = await socket();
    const leaseDir = path.join(tmpDir(), "leases");
    // This test process plays the other brain that polls the same bot.
    const other = acquireCredentialLease({
      kind: "telegram",
      secret: "4242:held-elsewhere",
      holder: { user: "other", stateDir: "/home/other/.onebrain", profile: null, port: 1, startedAt: null },
      env: { ONEBRAIN_LEASE_DIR: leaseDir },
    });
    assert.equal(other.ok, true);
    try {
      const gw = track(
        await startGateway({
          env: { NOTIFY_SOCKET: s.path, WATCHDOG_USEC: "600000", TELEGRAM_BOT_TOKEN: "4242:held-elsewhere", ONEBRAIN_LEASE_DIR: leaseDir },
        }),
      );
      await s.waitFor("READY", "1");
      const ready = await httpGet(gw.port, "/readyz");
      assert.equal(ready.status, 503);
      assert.ok(ready.body.failing.includes("channels"), JSON.stringify(ready.body));
      await sleep(1200);
      assert.ok(count(s, "WATCHDOG") >= 3, `keep-alives continue: got ${count(s, "WATCHDOG")}`);
      assert.equal((await gw.stop()).code, 0);
    } finally {
      if (other.ok) other.release();
    }
  },
);
