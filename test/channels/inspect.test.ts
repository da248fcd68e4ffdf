/** Channel facts from outside the channel: configured credentials (masked), traffic from the store, a live getMe probe. */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { channelActivity, configuredAccounts, configuredChannels } from "../../src/channels/inspect.ts";
import { authDir, openAuthStore } from "../../src/channels/whatsapp/auth-store.ts";
import { probeTelegram, telegramBotId } from "../../src/channels/telegram/credential.ts";
import { configSchema } from "../../src/config/schema.ts";
import { openStore } from "../../src/store/db.ts";
import { FakeBaileys } from "../helpers/fake-baileys.ts";
import { FakeTelegram } from "../helpers/fake-telegram.ts";
import { tmpDir } from "../helpers/gateway.ts";

const tg = new FakeTelegram();
before(() => tg.start());
after(() => tg.close());

test("getMe through the configured apiRoot names the bot and its latency; the token never appears", async () => {
  const p = await probeTelegram({ token: tg.token, apiRoot: tg.apiRoot });
  assert.equal(p.ok, true);
  if (p.ok) {
    assert.deepEqual(p.identity, { id: 7000001, username: "onebrain_test_bot", name: "onebrain_test" });
    assert.ok(p.latencyMs >= 0 && p.latencyMs < 5000);
  }
  assert.ok(!JSON.stringify(p).includes(tg.token.split(":")[1]!));
});

test("a revoked token, a 5xx, an unreachable server and a server that never answers are reported, not thrown, without the token", async () => {
  const secret = tg.token.split(":")[1]!;
  tg.failNext("getMe", { code: 401, description: "Unauthorized" });
  const revoked = await probeTelegram({ token: tg.token, apiRoot: tg.apiRoot });
  assert.deepEqual([revoked.ok, !revoked.ok && revoked.status], [false, 401]);
  assert.match(!revoked.ok ? revoked.error : "", /token was refused \(401 Unauthorized/);
  tg.failNext("getMe", { code: 502, description: "Bad Gateway" });
  const bad = await probeTelegram({ token: tg.token, apiRoot: tg.apiRoot });
  assert.match(!bad.ok ? bad.error : "", /502 Bad Gateway/);
  const refused = await probeTelegram({ token: tg.token, apiRoot: "http://127.0.0.1:1" });
  assert.match(!refused.ok ? refused.error : "", /could not reach http:\/\/127\.0\.0\.1:1/);
  const silent = http.createServer(() => {}).listen(0, "127.0.0.1");
  await new Promise((r) => silent.once("listening", r));
  try {
    const t0 = Date.now();
    const hung = await probeTelegram({ token: tg.token, apiRoot: `http://127.0.0.1:${(silent.address() as { port: number }).port}`, timeoutMs: 300 });
    assert.equal(hung.ok, false);
    assert.ok(Date.now() - t0 < 3000, "the timeout is honoured");
  } finally {
    silent.closeAllConnections();
    silent.close();
  }
  for (const r of [revoked, bad, refused]) assert.ok(!JSON.stringify(r).includes(secret));
});

test("the credential comes from the config before TELEGRAM_BOT_TOKEN and is only ever shown masked", () => {
  const cfg = (telegram: unknown) => configSchema.parse({ channels: { telegram } });
  const [fromConfig] = configuredChannels(cfg({ botToken: "123456:AAconfigTokenXYZ" }), { TELEGRAM_BOT_TOKEN: "999:AAenvToken12345" }, tmpDir());
  assert.deepEqual(
    { ...fromConfig, secret: undefined, companionSecret: undefined },
    {
      id: "telegram",
      enabled: true,
      account: "123456",
      tokenSource: "config",
      tokenMasked: "123…XYZ",
      tokenKey: "channels.telegram.botToken",
      tokenEnv: "TELEGRAM_BOT_TOKEN",
      setup: "set channels.telegram.botToken or TELEGRAM_BOT_TOKEN",
      problem: null,
      apiRoot: "https://api.telegram.org",
      secret: undefined,
      companion: null,
      companionSecret: undefined,
    },
  );
  assert.ok(!JSON.stringify(fromConfig).includes("AAconfig"), "no serialisation shows the token");
  const [fromEnv] = configuredChannels(cfg({}), { TELEGRAM_BOT_TOKEN: "999:AAenvToken12345" }, tmpDir());
  assert.deepEqual([fromEnv!.tokenSource, fromEnv!.account, fromEnv!.secret()], ["env", "999", "999:AAenvToken12345"]);
  const [none] = configuredChannels(cfg({ enabled: false }), {}, tmpDir());
  assert.deepEqual([none!.tokenSource, none!.account, none!.enabled, none!.secret()], [null, null, false, null]);
  assert.equal(telegramBotId("not-a-token"), null);
});

test("last inbound and last outbound come from the store, per channel account", () => {
  const store = openStore(path.join(tmpDir(), "brain.db"));
  try {
    assert.deepEqual(channelActivity(store, "telegram", "7"), { lastInboundAt: null, lastOutboundAt: null });
    const ins = store.prepare(
      "INSERT INTO inbound (channel, account, message_id, session_key, peer, text, received_at, state) VALUES (?, ?, ?, 'k', 'p', 't', ?, 'answered')",
    );
    ins.run("telegram", "7", "1", 1000);
    const id = Number(ins.run("telegram", "7", "2", 2000).lastInsertRowid);
    ins.run("telegram", "8", "3", 9000);
    const out = store.prepare(
      "INSERT INTO outbox (inbound_id, idempotency_key, channel, account, target, text, state, created_at, delivered_at, epoch) VALUES (?, ?, 'telegram', ?, 'p', 'r', ?, 0, ?, 0)",
    );
    out.run(id, "a", "7", "delivered", 2500);
    out.run(id, "b", "7", "pending", null);
    assert.deepEqual(channelActivity(store, "telegram", "7"), { lastInboundAt: 2000, lastOutboundAt: 2500 });
  } finally {
    store.close();
  }
});

test("Slack's two tokens: the app token names the account and is leased; the bot token is its companion, masked, from the config before SLACK_BOT_TOKEN", () => {
  const cfg = configSchema.parse({ channels: { slack: { botToken: "xoxb-1-configbottoken-ZZZ" } } });
  const slack = configuredChannels(cfg, { SLACK_APP_TOKEN: "xapp-1-A0TESTAPP1-123-abcdefabcdef", SLACK_BOT_TOKEN: "xoxb-env-token-YYY" }, tmpDir()).find(
    (c) => c.id === "slack",
  )!;
  assert.equal(slack.account, "A0TESTAPP1");
  assert.equal(slack.tokenSource, "env");
  assert.deepEqual(slack.companion, { key: "channels.slack.botToken", env: "SLACK_BOT_TOKEN", source: "config", masked: "xox…ZZZ" });
  assert.equal(slack.companionSecret(), "xoxb-1-configbottoken-ZZZ");
  assert.ok(!JSON.stringify(slack).includes("configbottoken") && !JSON.stringify(slack).includes("abcdefabcdef"), "no serialisation shows a token");
  const none = configuredChannels(configSchema.parse({}), { SLACK_APP_TOKEN: "xapp-1-A0TESTAPP1-123-abcdef" }, tmpDir()).find((c) => c.id === "slack")!;
  assert.deepEqual(none.companion, { key: "channels.slack.botToken", env: "SLACK_BOT_TOKEN", source: null, masked: null });
});

test("WhatsApp's credential is the device linked into the state dir: read without Baileys, the number masked, a damaged file named", () => {
  const stateDir = tmpDir();
  const wa = () => configuredChannels(configSchema.parse({}), {}, stateDir).find((c) => c.id === "whatsapp")!;
  assert.deepEqual([wa().tokenSource, wa().account, wa().secret(), wa().problem], [null, null, null, null], "no auth.db: not linked");
  assert.equal(wa().setup, "run onebrain channels login whatsapp");
  const auth = openAuthStore(authDir(stateDir), new FakeBaileys());
  assert.equal(wa().account, null, "fresh creds name no account");
  auth.state.creds.me = { id: "4915123456789:7@s.whatsapp.net", lid: "1234567890:7@lid", name: "Ana" };
  auth.saveCreds();
  assert.deepEqual([wa().tokenSource, wa().account, wa().tokenMasked, wa().secret()], ["linked", "4915123456789", "+491…789", "4915123456789"]);
  assert.deepEqual(configuredAccounts(configSchema.parse({}), {}, stateDir).at(-1), { id: "whatsapp", account: "4915123456789" });
  auth.close();
  fs.writeFileSync(path.join(authDir(stateDir), "auth.db"), "not a database at all, but long enough to look like a header ....");
  fs.rmSync(path.join(authDir(stateDir), "auth.db-wal"), { force: true });
  fs.rmSync(path.join(authDir(stateDir), "auth.db-shm"), { force: true });
  assert.deepEqual([wa().tokenSource, wa().account], [null, null]);
  assert.match(wa().problem ?? "", /cannot read .*auth\.db: /);
});
