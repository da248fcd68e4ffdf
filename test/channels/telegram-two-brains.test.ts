/**
 * Two brains, one bot token: two real gateways with different state dirs and the same
 * TELEGRAM token (the same host-wide lease dir), against the fake Bot API. Exactly one polls;
 * the other says who does (channels.status, /readyz, doctor, `channels status`), and 1,000
 * messages are each answered exactly once. When the poller stops, the other takes over.
 *
 * Each gateway reaches the fake through its own counting proxy, so the test knows which process
 * made every getUpdates call.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { connectGateway } from "../../src/client/gateway-client.ts";
import { channelsCheck } from "../../src/diagnostics/doctor/channels.ts";
import { runDoctor } from "../../src/diagnostics/doctor/index.ts";
import { resolvePaths } from "../../src/paths/paths.ts";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { FakeTelegram } from "../helpers/fake-telegram.ts";
import { httpGet, runCli, spawnCli, startGateway, tmpDir, type RunningGateway } from "../helpers/gateway.ts";
import { reapAll, track } from "../gateway/support.ts";

const MESSAGES = 1000;
const USERS = 50;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An HTTP proxy in front of the fake that counts the Bot API methods one gateway calls. */
class CountingProxy {
  readonly calls = new Map<string, number>();
  inFlightPolls = 0;
  readonly #server: http.Server;
  constructor(target: string) {
    const t = new URL(target);
    this.#server = http.createServer((req, res) => {
      const method = /\/([A-Za-z]+)$/.exec(req.url ?? "")?.[1] ?? "?";
      this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
      const poll = method === "getUpdates";
      if (poll) this.inFlightPolls++;
      let done = false;
      const finish = () => {
        if (poll && !done) this.inFlightPolls--;
        done = true;
      };
      const up = http.request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
        r.on("end", finish);
      });
      up.on("error", () => (finish(), res.destroy()));
      // The gateway gave up (stop, abort, kill -9): the fake must see the poll end too.
      res.on("close", () => (finish(), up.destroy()));
      req.pipe(up);
    });
  }
  async start(): Promise<this> {
    await new Promise<void>((r) => this.#server.listen(0, "127.0.0.1", r));
    return this;
  }
  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }
  count(method: string): number {
    return this.calls.get(method) ?? 0;
  }
  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((r) => this.#server.close(r));
  }
}

const model = new FakeModelServer();
const tg = new FakeTelegram();
const proxies: CountingProxy[] = [];
before(async () => {
  await model.start();
  await tg.start();
});
after(async () => {
  reapAll();
  await Promise.all(proxies.map((p) => p.close()));
  await tg.close();
  await model.close();
});

type Report = {
  id: string;
  state: string;
  detail?: string;
  lastInboundAt: number | null;
  lastOutboundAt: number | null;
  lease: { holder: { pid: number; user: string | null; stateDir: string | null } | null; mine: boolean } | null;
};

/** The telegram entry of a gateway's `channels.status`. */
async function telegramStatus(gw: RunningGateway): Promise<Report> {
  const conn = await connectGateway({ url: `ws://127.0.0.1:${gw.port}`, timeoutMs: 5000 });
  try {
    const r = await conn.request<{ channels: Report[] }>("channels.status", {});
    return r.channels.find((c) => c.id === "telegram")!;
  } finally {
    await conn.closeWithin(200);
  }
}

async function waitState(gw: RunningGateway, state: string, timeoutMs: number): Promise<Report> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await telegramStatus(gw);
    if (s?.state === state) return s;
    assert.ok(Date.now() < deadline, `telegram of pid ${gw.pid} did not reach ${state} within ${timeoutMs} ms: ${JSON.stringify(s)}`);
    await sleep(100);
  }
}

/** Waits until every message (by its chat and message id) got at least one reply, then a little longer for strays. */
async function waitAnswered(sent: Array<{ chat: number; id: number }>, timeoutMs: number): Promise<Map<string, number>> {
  const deadline = Date.now() + timeoutMs;
  const count = () => {
    const m = new Map<string, number>();
    for (const s of tg.sent) if (s.replyTo !== undefined) m.set(`${s.chatId}:${s.replyTo}`, (m.get(`${s.chatId}:${s.replyTo}`) ?? 0) + 1);
    return m;
  };
  for (;;) {
    const m = count();
    const missing = sent.filter((s) => !m.has(`${s.chat}:${s.id}`));
    if (missing.length === 0) break;
    assert.ok(Date.now() < deadline, `${missing.length} message(s) never answered, e.g. ${JSON.stringify(missing.slice(0, 5))}`);
    await sleep(100);
  }
  await sleep(1500); // a duplicate would arrive within this
  return count();
}

test(
  "two gateways with one bot token: one polls, the other names it; 1,000 messages answered exactly once; the other takes over when the poller stops",
  { timeout: 240_000 },
  async (t) => {
    const leaseDir = path.join(tmpDir(), "leases");
    const users = Array.from({ length: USERS }, (_, i) => 20_001 + i);
    const config = (apiRoot: string) => ({
      models: { primary: "fake/echo-1", providers: { fake: { kind: "openai", baseUrl: model.openaiUrl } } },
      agents: { defaults: { maxConcurrentRuns: 8 } },
      session: { dmScope: "per-channel-peer" },
      channels: { telegram: { apiRoot, allowFrom: users.map(String), pollTimeoutSeconds: 5 } },
    });
    // The token comes from the environment, not the config files: doctor's host-wide scan reads
    // every running brain's config, and other tests' doctor runs must not see this pair's clash.
    const env = { ONEBRAIN_LEASE_DIR: leaseDir, TELEGRAM_BOT_TOKEN: tg.token };
    const pa = await new CountingProxy(tg.apiRoot).start();
    const pb = await new CountingProxy(tg.apiRoot).start();
    proxies.push(pa, pb);

    const a = track(await startGateway({ config: config(pa.url), env }));
    await waitState(a, "connected", 20_000);
    const b = track(await startGateway({ config: config(pb.url), env }));
    const user = os.userInfo().username;

    // The loser: conflict, naming the holder, everywhere an operator looks.
    const conflict = await waitState(b, "conflict", 20_000);
    assert.match(conflict.detail ?? "", new RegExp(`token in use by pid ${a.pid} \\(user ${user}, state dir ${a.stateDir.replace(/[.]/g, "\\.")}\\)`));
    assert.deepEqual(conflict.lease?.holder && [conflict.lease.holder.pid, conflict.lease.holder.stateDir, conflict.lease.mine], [a.pid, a.stateDir, false]);
    const winner = await telegramStatus(a);
    assert.equal(winner.lease?.mine, true);
    const ready = await httpGet(b.port, "/readyz");
    assert.equal(ready.status, 503, JSON.stringify(ready.body));
    assert.deepEqual(ready.body.failing, ["channels"]);
    const component = ready.body.components.find((c: { name: string }) => c.name === "channels");
    assert.match(
      component.detail,
      new RegExp(`^telegram: .*token in use by pid ${a.pid}\\b`),
      `readiness names the channel and the holder: ${JSON.stringify(component)}`,
    );
    assert.equal((await httpGet(a.port, "/readyz")).status, 200);
    const doctorB = await runDoctor({
      paths: resolvePaths({ env: { ONEBRAIN_STATE_DIR: b.stateDir } }),
      env: { ONEBRAIN_STATE_DIR: b.stateDir, ONEBRAIN_LEASE_DIR: leaseDir, TELEGRAM_BOT_TOKEN: tg.token },
      checks: [channelsCheck],
    });
    assert.equal(doctorB.checks[0]!.status, "fail");
    assert.match(doctorB.checks[0]!.finding, new RegExp(`token in use by pid ${a.pid} \\(user ${user}, state dir`));
    const doctorA = await runDoctor({
      paths: resolvePaths({ env: { ONEBRAIN_STATE_DIR: a.stateDir } }),
      env: { ONEBRAIN_STATE_DIR: a.stateDir, ONEBRAIN_LEASE_DIR: leaseDir, TELEGRAM_BOT_TOKEN: tg.token },
      checks: [channelsCheck],
    });
    assert.equal(doctorA.checks[0]!.status, "ok", doctorA.checks[0]!.finding);
    const cli = await runCli(["channels", "status"], b.env);
    assert.equal(cli.code, 3, cli.stdout + cli.stderr);
    assert.match(cli.stdout, /telegram\s+CONFLICT/);
    assert.match(cli.stdout, new RegExp(`lease\\s+held by pid ${a.pid} \\(user ${user}, state dir`));
    assert.ok(!(cli.stdout + cli.stderr).includes(tg.token.split(":")[1]!));

    // 1,000 messages from 50 users, in bursts.
    const t0 = Date.now();
    const sent: Array<{ chat: number; id: number }> = [];
    let maxPolls = 0;
    const sampler = setInterval(() => (maxPolls = Math.max(maxPolls, tg.pollsInFlight())), 5);
    for (let i = 0; i < MESSAGES; i++) {
      const chat = users[i % USERS]!;
      const u = tg.userSays(chat, `m-${String(i).padStart(4, "0")}`);
      sent.push({ chat, id: u.message!.message_id });
      if (i % 50 === 49) await sleep(20);
    }
    const replies = await waitAnswered(sent, 90_000);
    clearInterval(sampler);
    const twice = [...replies].filter(([, n]) => n > 1);
    assert.deepEqual(twice, [], "no message answered twice");
    assert.equal(sent.filter((s) => replies.get(`${s.chat}:${s.id}`) === 1).length, MESSAGES, "every message answered once");
    assert.equal(pb.count("getUpdates"), 0, "the loser never polled");
    assert.ok(pa.count("getUpdates") > 0);
    assert.ok(maxPolls <= 1, `at most one poll in flight at the fake (saw ${maxPolls})`);
    t.diagnostic(`1,000 messages answered in ${Date.now() - t0} ms; the holder polled ${pa.count("getUpdates")} times, the other 0`);
    const active = await telegramStatus(a);
    assert.ok(active.lastInboundAt && active.lastOutboundAt && active.lastOutboundAt >= t0, "traffic times come from the store");

    // The holder stops: the other takes the lease at its next re-check (every ~30 s) and answers.
    const stopAt = Date.now();
    assert.equal((await a.stop()).code, 0);
    await waitState(b, "connected", 60_000);
    t.diagnostic(`the other gateway took over ${Date.now() - stopAt} ms after the holder stopped`);
    assert.equal((await telegramStatus(b)).lease?.mine, true);
    assert.equal((await httpGet(b.port, "/readyz")).status, 200);
    const more: Array<{ chat: number; id: number }> = [];
    for (let i = 0; i < 20; i++) {
      const chat = users[i]!;
      more.push({ chat, id: tg.userSays(chat, `after-${i}`).message!.message_id });
    }
    const after = await waitAnswered(more, 30_000);
    assert.deepEqual(
      more.map((s) => after.get(`${s.chat}:${s.id}`)),
      more.map(() => 1),
    );
    assert.ok(pb.count("getUpdates") > 0, "now the other polls");
    assert.deepEqual(
      [...after].filter(([, n]) => n > 1),
      [],
      "still nothing answered twice",
    );
    assert.equal((await b.stop()).code, 0);
  },
);

test(
  "the poller is killed after storing a batch and before confirming it; the standby takes the token over and starts from the handed-over offset: the message is answered once",
  { timeout: 180_000 },
  async (t) => {
    const token = "7000077:AAHandOverTokenxxxxxxxxxxxxxxxxxxxxxxxx";
    tg.addBot(token, "handover_bot");
    const ada = 40_001;
    const leaseDir = path.join(tmpDir(), "leases");
    const env = { ONEBRAIN_LEASE_DIR: leaseDir, TELEGRAM_BOT_TOKEN: token };
    const pa = await new CountingProxy(tg.apiRoot).start();
    const pb = await new CountingProxy(tg.apiRoot).start();
    proxies.push(pa, pb);
    const config = (apiRoot: string) => ({
      models: { primary: "fake/echo-1", providers: { fake: { kind: "openai", baseUrl: model.openaiUrl } } },
      channels: { telegram: { apiRoot, allowFrom: [String(ada)], pollTimeoutSeconds: 5 } },
    });
    const a = track(await startGateway({ config: config(pa.url), env }));
    await waitState(a, "connected", 20_000);
    const b = track(await startGateway({ config: config(pb.url), env }));
    await waitState(b, "conflict", 20_000);
    // A few messages first, so that the standby's own offset (none) is behind the holder's.
    for (let i = 0; i < 3; i++) tg.userSays(ada, `before-${i}`, { token });
    const start = Date.now();
    while (tg.sentTo(ada, token).length < 3) {
      assert.ok(Date.now() - start < 20_000, "the first three answered");
      await sleep(50);
    }
    // The window: the batch is stored, the poll that would confirm it hangs at Telegram, the run is slow.
    model.behaviour = { kind: "reply", delayMs: 3000 };
    while (tg.pollsInFlight(token) !== 1) await sleep(20);
    tg.stall("getUpdates", 600_000);
    const polls = pa.count("getUpdates");
    const u = tg.userSays(ada, "answer me once", { token });
    const msg = u.message!;
    while (pa.count("getUpdates") < polls + 1) await sleep(5);
    a.kill("SIGKILL");
    await a.exited;
    model.behaviour = { kind: "reply" };
    assert.equal(tg.unconfirmed(token), 1, "Telegram still has the update");

    // The standby takes the token at its next lease check (~30 s) and polls from the handed-over offset.
    const killedAt = Date.now();
    await waitState(b, "connected", 60_000);
    t.diagnostic(`the standby took over ${Date.now() - killedAt} ms after the kill`);
    const deadline = Date.now() + 10_000;
    while (tg.unconfirmed(token) !== 0) {
      assert.ok(Date.now() < deadline, "the standby's first poll confirmed the batch the killed holder stored");
      await sleep(50);
    }
    const first = tg.calls.find((c) => c.token === token && c.method === "getUpdates" && c.at >= killedAt)!;
    assert.equal(first.params.offset, u.update_id + 1, "the standby's first poll starts from the offset the killed holder handed over");
    // The killed brain comes back (now the standby) and answers what it had stored.
    const again = track(spawnCli(["gateway", "--port", String(a.port)], a.env));
    await again.waitFor("gateway listening", 20_000);
    await waitAnswered([{ chat: ada, id: msg.message_id }], 30_000);
    for (const gw of [a.port, b.port]) {
      const conn = await connectGateway({ url: `ws://127.0.0.1:${gw}`, timeoutMs: 5000 });
      for (let i = 0; ; i++) {
        const p = (await conn.request<{ pipeline: { pendingInbound: number; pendingOutbox: number; activeRuns: number } }>("status")).pipeline;
        if (p.pendingInbound + p.pendingOutbox + p.activeRuns === 0) break;
        assert.ok(i < 150, `gateway on port ${gw} did not become idle`);
        await sleep(200);
      }
      await conn.closeWithin(200);
    }
    await sleep(500);
    assert.deepEqual(
      tg.sentTo(ada, token).filter((m) => m.replyTo === msg.message_id).length,
      1,
      "answered once, not by the standby and the restarted brain both",
    );
    assert.equal(tg.sentTo(ada, token).length, 4);
    again.kill("SIGTERM");
    await again.exited;
    assert.equal((await b.stop()).code, 0);
  },
);
