/**
 * OpenClaw's own CLI against a onebrain gateway: the commands an OpenClaw user runs every day work
 * unchanged, with their exit codes, and what they print is onebrain's state (its brain, its
 * channels, its agent's replies). The gateway has a Telegram channel (the fake Bot API) and a model
 * (the fake model); every JSON answer is checked against OpenClaw's published protocol schemas.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { FakeTelegram } from "../helpers/fake-telegram.ts";
import { startGateway, tmpDir, type RunningGateway } from "../helpers/gateway.ts";
import { jsonOf, openclawClient, openclawMissing } from "../helpers/openclaw-cli.ts";
import { schemaErrors } from "../helpers/openclaw-schema.ts";
import { until } from "../helpers/wait.ts";

const missing = openclawMissing();
const model = new FakeModelServer();
const tg = new FakeTelegram();
const BOT = "7400002:AAOpenclawCliTestTokenxxxxxxxxxxxxxxxx";
const TOKEN = "oc-cli-gateway-token-0123456789";
const CHAT = 4711;
let gw: RunningGateway;
let oc: ReturnType<typeof openclawClient>;

before(async () => {
  if (missing) return;
  await model.start();
  await tg.start();
  tg.addBot(BOT, "oc_cli_bot");
  gw = await startGateway({
    config: {
      gateway: { auth: { token: TOKEN } },
      models: { primary: "fake/echo-1", providers: { fake: { kind: "openai", baseUrl: model.openaiUrl } } },
      channels: { telegram: { apiRoot: tg.apiRoot, pollTimeoutSeconds: 1, allowFrom: [String(CHAT)] } },
    },
    env: { TELEGRAM_BOT_TOKEN: BOT, ONEBRAIN_LEASE_DIR: tmpDir("onebrain-lease-") },
  });
  await until("telegram polling", () => tg.pollsInFlight(BOT) === 1, 10_000);
  oc = openclawClient({ port: gw.port, token: TOKEN });
});
after(async () => {
  await gw?.stop();
  await model.close();
  await tg.close();
});

test("openclaw health reports onebrain's agent and session store, exit 0", { skip: missing ?? false }, async () => {
  const r = await oc.run(["health"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Agents: main \(default\)/);
  assert.match(r.stdout, new RegExp(`Session store \\(main\\): ${gw.stateDir}/brain.db`));
  assert.match(r.stdout, /Telegram/);
});

test("openclaw status, status --deep and gateway probe reach the gateway", { skip: missing ?? false }, async () => {
  const status = await oc.run(["status"]);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, new RegExp(`ws://127\\.0\\.0\\.1:${gw.port} \\(local loopback\\) · reachable`));
  const probe = await oc.run(["gateway", "probe"]);
  assert.equal(probe.code, 0, probe.stderr);
  assert.match(probe.stdout, /Connect: ok/);
  // --deep adds channels.status, health {probe:true} and last-heartbeat: its Health table is onebrain's.
  const deep = await oc.run(["status", "--deep"]);
  assert.equal(deep.code, 0, deep.stderr);
  const health = deep.stdout.slice(deep.stdout.lastIndexOf("\nHealth\n"));
  assert.match(health, /│ Gateway\s+│ reachable\s+│/);
  assert.match(health, /│ Event loop\s+│ OK\s+│/);
  assert.match(health, /│ Telegram\s+│/);
});

test("openclaw gateway call status returns onebrain's status in OpenClaw's shape", { skip: missing ?? false }, async () => {
  const r = await oc.run(["gateway", "call", "status", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const s = jsonOf(r);
  assert.equal(typeof s.runtimeVersion, "string");
  assert.equal((s.onebrain as { stateDir: string }).stateDir, gw.stateDir);
  const unknown = await oc.run(["gateway", "call", "talk.catalog", "--json"]);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stdout + unknown.stderr, /unknown method: talk\.catalog/);
});

test("openclaw logs shows the gateway's own log lines", { skip: missing ?? false }, async () => {
  const r = await oc.run(["logs", "--limit", "200"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /info onebrain gateway listening port=/);
  assert.doesNotMatch(r.stdout, new RegExp(TOKEN), "no secret in the log");
});

test("openclaw channels status shows the Telegram channel connected, and --probe names the bot", { skip: missing ?? false }, async () => {
  const json = jsonOf(await oc.run(["channels", "status", "--probe", "--json"]));
  assert.deepEqual(schemaErrors("ChannelsStatusResultSchema", json), []);
  const accounts = (json.channelAccounts as Record<string, Array<Record<string, unknown>>>).telegram!;
  assert.equal(accounts[0]!.connected, true);
  assert.equal((accounts[0]!.probe as { bot: { username: string } }).bot.username, "oc_cli_bot");
});

test("openclaw message send delivers one Telegram message through the outbox", { skip: missing ?? false }, async () => {
  // A bot can only write to a chat that talked to it first (Telegram's own rule, kept by the fake).
  tg.userSays(CHAT, "hi bot", { token: BOT });
  await until("the greeting answered", () => tg.sentTo(CHAT, BOT).length === 1, 15_000);
  const before = tg.sentTo(CHAT, BOT).length;
  const r = await oc.run(["message", "send", "--channel", "telegram", "--target", String(CHAT), "--message", "from the openclaw cli", "--json"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  await until("the message on Telegram", () => tg.sentTo(CHAT, BOT).length === before + 1, 10_000);
  assert.equal(tg.sentTo(CHAT, BOT).at(-1)!.plain, "from the openclaw cli");
  // A channel this gateway does not run: refused with the reason, nothing queued.
  const refused = await oc.run([
    "gateway",
    "call",
    "message.action",
    "--json",
    "--params",
    JSON.stringify({ channel: "slack", action: "send", params: { target: "C1", message: "x" }, idempotencyKey: "k-slack-1" }),
  ]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stdout + refused.stderr, /slack\\?" is not running in this gateway/);
});

test("openclaw agent asks onebrain's agent and prints its reply", { skip: missing ?? false }, async () => {
  const r = await oc.run(["agent", "--agent", "main", "--message", "hello from openclaw"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /echo: hello from openclaw/);
  const json = jsonOf(await oc.run(["agent", "--agent", "main", "--message", "second turn", "--json"]));
  assert.equal(json.status, "ok");
  assert.equal((json.result as { payloads: Array<{ text: string }> }).payloads[0]!.text, "echo: second turn");
  // Both turns are in the owner's one session of onebrain's brain (after the Telegram greeting, the owner's too).
  const history = jsonOf(await oc.run(["gateway", "call", "chat.history", "--params", JSON.stringify({ sessionKey: "agent:main:main" }), "--json"]));
  const texts = (history.messages as Array<{ role: string; content: unknown }>).map((m) =>
    typeof m.content === "string" ? m.content : (m.content as Array<{ text: string }>)[0]!.text,
  );
  assert.deepEqual(texts.slice(-4), ["hello from openclaw", "echo: hello from openclaw", "second turn", "echo: second turn"]);
});

test("openclaw cron add, list and rm manage onebrain's cron jobs", { skip: missing ?? false }, async () => {
  const added = await oc.run(["cron", "add", "--name", "oc-every", "--every", "10m", "--message", "ping from cron", "--json"]);
  assert.equal(added.code, 0, added.stdout + added.stderr);
  const id = jsonOf(added).id as string;
  const { deliveryPreview: _preview, ...job } = jsonOf(added);
  assert.deepEqual(schemaErrors("CronJobSchema", job), []);
  const list = await oc.run(["cron", "list"]);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /oc-every\s+every 10m/);
  const rm = await oc.run(["cron", "rm", id, "--json"]);
  assert.equal(rm.code, 0, rm.stderr);
  assert.equal(jsonOf(rm).removed, true);
  assert.equal((await oc.run(["gateway", "call", "cron.list", "--json"])).stdout.includes("oc-every"), false);
});

test("a wrong token is refused as OpenClaw refuses it, with a non-zero exit", { skip: missing ?? false }, async () => {
  const wrong = openclawClient({ port: gw.port, token: "not-the-token-0000000000" });
  const r = await wrong.run(["gateway", "call", "status", "--json"]);
  assert.notEqual(r.code, 0);
  assert.match(r.stdout + r.stderr, /gateway token mismatch/);
});
