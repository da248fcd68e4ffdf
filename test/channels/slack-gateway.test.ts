/**
 * Slack through real gateway processes (the built binary) with the fake model and the fake Slack:
 * pairing approved from the CLI, `channels status` with both tokens masked, an envelope the
 * gateway died holding (never acked) sent again and answered once, and two gateways on one app
 * from two "hosts" (separate lease directories): one serves, the other reports the split brain in
 * /readyz, /metrics and doctor.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { channelStatesCheck } from "../../src/diagnostics/doctor/channel-states.ts";
import { runDoctor } from "../../src/diagnostics/doctor/index.ts";
import { resolvePaths } from "../../src/paths/paths.ts";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { FakeSlack } from "../helpers/fake-slack.ts";
import { httpGet, runCli, startGateway, tmpDir, type RunningGateway } from "../helpers/gateway.ts";
import { eventually, sleep } from "./telegram-support.ts";

const model = new FakeModelServer();
const f = new FakeSlack({ ackTimeoutMs: 1500, maxRetries: 10 });
const running: RunningGateway[] = [];
before(async () => {
  await model.start();
  await f.start();
});
after(async () => {
  for (const g of running) await g.stop();
  await f.close();
  await model.close();
});

async function gateway(o: { slack?: Record<string, unknown>; stateDir?: string; leaseDir?: string } = {}): Promise<RunningGateway> {
  const config = {
    models: { primary: "fake/echo-1", providers: { fake: { kind: "openai", baseUrl: model.openaiUrl } } },
    channels: { slack: { apiRoot: f.apiUrl, statusReaction: "", ...o.slack } },
  };
  const g = await startGateway({
    config,
    env: { SLACK_APP_TOKEN: f.appToken, SLACK_BOT_TOKEN: f.botToken, ONEBRAIN_LEASE_DIR: o.leaseDir ?? tmpDir("onebrain-lease-") },
    ...(o.stateDir ? { stateDir: o.stateDir } : {}),
  });
  running.push(g);
  return g;
}

async function slackState(g: RunningGateway): Promise<Record<string, any> | undefined> {
  return ((await httpGet(g.port, "/api/status")).body.channels as Array<Record<string, any>>).find((c) => c.id === "slack");
}

async function until(g: RunningGateway, state: string, ms = 10_000): Promise<Record<string, any>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = await slackState(g);
    if (s?.state === state) return s;
    if (Date.now() > deadline) throw new Error(`slack state ${state}: still ${JSON.stringify(s)}`);
    await sleep(50);
  }
}

test("a stranger's DM gets a pairing code; approved from the CLI, the next DM is answered; channels status shows both tokens masked", async () => {
  const g = await gateway();
  const s = await until(g, "connected");
  assert.equal(s.account, "A0FAKE0001");
  const ada = f.user("ada");
  const dm = f.im(ada);
  f.userSays(dm, ada, "hello?");
  await eventually(() => f.botMessages(dm).length === 1, 10_000, "pairing code");
  const code = /approve slack ([A-Z2-9]{8})/.exec(f.botMessages(dm)[0]!.text)![1]!;
  assert.match(f.botMessages(dm)[0]!.text, new RegExp(`Slack user id is ${ada}`));
  const approved = await runCli(["pairing", "approve", "slack", code, "--json"], g.env);
  assert.equal(approved.code, 0, approved.stderr);
  f.userSays(dm, ada, "now?");
  await eventually(() => f.botMessages(dm).some((m) => m.text === "echo: now?"), 10_000, "answered once approved");
  const cli = await runCli(["channels", "status", "--json"], g.env);
  assert.equal(cli.code, 0, cli.stderr);
  assert.ok(!cli.stdout.includes(f.appToken) && !cli.stdout.includes(f.botToken), "no token printed");
  const slack = (JSON.parse(cli.stdout).channels as Array<Record<string, any>>).find((c) => c.id === "slack")!;
  assert.equal(slack.state, "connected");
  assert.equal(slack.token.source, "env");
  assert.deepEqual([slack.companion.key, slack.companion.source], ["channels.slack.botToken", "env"]);
  assert.equal(slack.health.socketConnections, 1);
  const text = await runCli(["channels", "status"], g.env);
  assert.match(text.stdout, /botToken {2}env SLACK_BOT_TOKEN \(xox…/);
  await g.stop();
});

test("a gateway killed while it held an unacked envelope: Slack sends it again and it is answered once", async () => {
  const stateDir = tmpDir("onebrain-slack-kill-");
  const leaseDir = tmpDir("onebrain-lease-");
  const g = await gateway({ stateDir, leaseDir, slack: { allowFrom: ["*"] } });
  await until(g, "connected");
  const bo = f.user("bo");
  const dm = f.im(bo);
  g.kill("SIGSTOP");
  const m = f.userSays(dm, bo, "held when it died");
  const env = [...f.socket.envelopes.values()].find((e) => (e.payload.event as { ts?: string }).ts === m.ts)!;
  await eventually(() => f.socket.sent.some((s) => s.envelope_id === env.envelope_id), 5000, "sent to the stopped gateway");
  g.kill("SIGKILL");
  await g.exited;
  assert.equal(f.socket.acks.get(env.envelope_id) ?? 0, 0, "never acked");
  const again = await gateway({ stateDir, leaseDir, slack: { allowFrom: ["*"] } });
  await eventually(() => f.botMessages(dm).some((x) => x.text === "echo: held when it died"), 15_000, "answered after the restart");
  await sleep(1500);
  assert.equal(f.botMessages(dm).filter((x) => x.text === "echo: held when it died").length, 1);
  assert.ok(
    f.socket.sent.some((s) => s.envelope_id === env.envelope_id && s.retry_attempt > 0),
    "it came again with retry_attempt",
  );
  assert.equal(f.socket.acks.get(env.envelope_id), 1);
  await again.stop();
});

test("two gateways on one Slack app from two hosts: one serves; the other is in conflict in /readyz, /metrics and doctor", async () => {
  const a = await gateway({ slack: { allowFrom: ["*"] } });
  await until(a, "connected");
  const b = await gateway({ slack: { allowFrom: ["*"] } });
  const s = await until(b, "conflict");
  assert.match(s.detail, /Slack counts 2 open Socket Mode connections for app A0FAKE0001/);
  const ready = await httpGet(b.port, "/readyz");
  assert.equal(ready.status, 503);
  assert.match(JSON.stringify(ready.body), /another host or program uses this app token/);
  assert.equal((await httpGet(a.port, "/readyz")).status, 200);
  const metrics = await fetch(`http://127.0.0.1:${b.port}/metrics`).then((r) => r.text());
  assert.match(metrics, /onebrain_channel_state\{channel="slack",account="A0FAKE0001",state="conflict"\} 1/);
  const doctor = await runDoctor({
    paths: resolvePaths({ env: { ONEBRAIN_STATE_DIR: b.stateDir } }),
    env: { ONEBRAIN_STATE_DIR: b.stateDir },
    checks: [channelStatesCheck],
  });
  assert.equal(doctor.checks[0]!.status, "fail");
  assert.match(doctor.checks[0]!.finding, /Slack counts 2 open Socket Mode connections/);
  const cy = f.user("cy");
  const dm = f.im(cy);
  for (let i = 0; i < 5; i++) f.userSays(dm, cy, `both-${i}`);
  await eventually(
    () => Array.from({ length: 5 }, (_, i) => f.botMessages(dm).filter((m) => m.text === `echo: both-${i}`).length).every((n) => n === 1),
    10_000,
    "answered once each",
  );
  await a.stop();
  await b.stop();
});
