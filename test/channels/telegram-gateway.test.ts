/**
 * Telegram through real gateway processes (the built binary) with the fake model and the fake
 * Bot API: the wiring of the channel into the gateway, pairing with the CLI, group gating,
 * Markdown fallback, status and readiness, and two gateways on one token.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { FakeTelegram } from "../helpers/fake-telegram.ts";
import { httpGet, runCli, startGateway, tmpDir, type RunningGateway } from "../helpers/gateway.ts";
import { eventually, sleep } from "./telegram-support.ts";

const model = new FakeModelServer();
const tg = new FakeTelegram();
before(async () => {
  await model.start();
  await tg.start();
});
after(async () => {
  for (const g of running) await g.stop();
  await model.close();
  await tg.close();
});

const running: RunningGateway[] = [];
const leaseDir = tmpDir("onebrain-lease-");

async function gateway(o: { token: string; telegram?: Record<string, unknown>; stateDir?: string }): Promise<RunningGateway> {
  const config = {
    models: { primary: "fake/echo-1", providers: { fake: { kind: "openai", baseUrl: model.openaiUrl } } },
    channels: { telegram: { apiRoot: tg.apiRoot, pollTimeoutSeconds: 1, ...o.telegram } },
  };
  // The token comes from the environment, as the docs recommend; the lease dir is this test's own.
  const g = await startGateway({ config, env: { TELEGRAM_BOT_TOKEN: o.token, ONEBRAIN_LEASE_DIR: leaseDir }, ...(o.stateDir ? { stateDir: o.stateDir } : {}) });
  running.push(g);
  return g;
}

const telegramStatus = async (g: RunningGateway) =>
  ((await httpGet(g.port, "/api/status")).body.channels as Array<Record<string, any>>).find((c) => c.id === "telegram");

test("a stranger gets a pairing code and the model sees nothing; after `onebrain pairing approve` the next message is answered; groups need a mention", async () => {
  const token = "7300001:AAGatewayTestTokenxxxxxxxxxxxxxxxxxxx";
  tg.addBot(token, "gw_test_bot");
  model.reset();
  const g = await gateway({ token });
  let status: Record<string, any> | undefined;
  for (let i = 0; i < 100 && status?.state !== "connected"; i++) {
    status = await telegramStatus(g);
    await sleep(50);
  }
  assert.deepEqual([status?.state, status?.account], ["connected", "7300001"]);

  const ada = 501;
  tg.userSays(ada, "hello, who are you?", { token, from: { id: ada, first_name: "Ada", username: "ada_l" } });
  await eventually(() => tg.sentTo(ada, token).length === 1, 10_000, "pairing code");
  const code = /approve telegram ([A-Z2-9]{8})/.exec(tg.sentTo(ada, token)[0]!.plain)![1]!;
  assert.equal(model.requests.length, 0, "nothing reached the model");

  const approved = await runCli(["pairing", "approve", "telegram", code, "--json"], g.env);
  assert.equal(approved.code, 0, approved.stderr);
  assert.equal(JSON.parse(approved.stdout).sender, String(ada));

  tg.userSays(ada, "**now** can we talk?", { token, from: { id: ada, first_name: "Ada", username: "ada_l" } });
  await eventually(() => tg.sentTo(ada, token).length === 2, 10_000, "answer");
  const reply = tg.sentTo(ada, token)[1]!;
  assert.equal(reply.plain, "echo: now can we talk?", "Markdown rendered (the echo repeats the user's **now**)");
  assert.equal(reply.parseMode, "HTML");
  assert.equal(model.requests.length, 1);

  // Groups: not addressed -> nothing; mentioned -> answered in the group.
  tg.userSays(-800, "talking among ourselves", { token, from: { id: 9, first_name: "G" } });
  tg.userSays(-800, "@gw_test_bot summarise please", { token, from: { id: 9, first_name: "G" } });
  await eventually(() => tg.sentTo(-800, token).length === 1, 10_000, "group answer");
  assert.equal(tg.sentTo(-800, token)[0]!.plain, "echo: G: summarise please", "the model hears who asks");
  assert.equal(model.requests.length, 2);
  const ready = await httpGet(g.port, "/readyz");
  assert.equal(ready.status, 200);
  assert.deepEqual(
    ready.body.components.find((c: { name: string }) => c.name === "channels"),
    { name: "channels", ok: true },
  );
});

test("a reply Telegram refuses for its entities arrives once, as plain text", async () => {
  const token = "7300002:AAGatewayTestTokenyyyyyyyyyyyyyyyyyyy";
  tg.addBot(token, "gw_fallback_bot");
  model.reset();
  await gateway({ token, telegram: { dmPolicy: "open" } });
  await eventually(() => tg.pollsInFlight(token) === 1, 10_000, "polling");
  tg.failNext("sendMessage", {
    code: 400,
    description: 'Bad Request: can\'t parse entities: Unsupported start tag "x" at byte offset 0',
    match: (p) => p.parse_mode === "HTML" && String(p.text).includes("fallback"),
  });
  tg.userSays(600, "fallback *please*", { token });
  await eventually(() => tg.sentTo(600, token).length === 1, 10_000, "reply");
  await sleep(300);
  const sent = tg.sentTo(600, token);
  assert.equal(sent.length, 1);
  assert.deepEqual([sent[0]!.parseMode, sent[0]!.text], [undefined, "echo: fallback *please*"]);
});

test("two gateways with one token: the second does not poll, its status names the holder, and its readiness fails on the channel", async () => {
  const token = "7300003:AAGatewayTestTokenzzzzzzzzzzzzzzzzzzz";
  tg.addBot(token, "gw_lease_bot");
  model.reset();
  const first = await gateway({ token, stateDir: path.join(tmpDir(), "first") });
  await eventually(() => tg.pollsInFlight(token) === 1, 10_000, "the first polls");
  const second = await gateway({ token, stateDir: path.join(tmpDir(), "second") });
  let status: Record<string, any> | undefined;
  for (let i = 0; i < 100 && status?.state !== "conflict"; i++) {
    status = await telegramStatus(second);
    await sleep(50);
  }
  assert.equal(status?.state, "conflict");
  assert.match(
    status!.detail,
    new RegExp(`^token in use by pid ${first.pid} \\(user \\S+, state dir ${first.stateDir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\)$`),
  );
  const ready = await httpGet(second.port, "/readyz");
  assert.equal(ready.status, 503);
  assert.deepEqual(ready.body.failing, ["channels"]);
  assert.match(ready.body.components.find((c: { name: string }) => c.name === "channels").detail, /^telegram: token in use by pid \d+/);
  assert.equal((await httpGet(first.port, "/readyz")).status, 200);

  tg.userSays(700, "only one of you answers", { token });
  await eventually(() => tg.sentTo(700, token).length === 1, 10_000, "answered");
  await sleep(1500);
  assert.equal(tg.sentTo(700, token).length, 1, "the pairing code went out once");
  assert.ok(tg.pollsInFlight(token) <= 1);
});

test("a stranger approved through pairing talks in a session of their own: the model never shows the owner's turns to them, nor theirs to the owner", async () => {
  const token = "7300004:AAGatewayTestTokenwwwwwwwwwwwwwwwwwww";
  tg.addBot(token, "gw_guest_bot");
  model.reset();
  const owner = 801;
  const stranger = 802;
  // The defaults otherwise: session.dmScope main (the owner's chats share one session).
  const g = await gateway({ token, telegram: { allowFrom: [String(owner)] } });
  await eventually(() => tg.pollsInFlight(token) === 1, 10_000, "polling");
  const say = async (chat: number, text: string, replies: number) => {
    tg.userSays(chat, text, { token });
    await eventually(() => tg.sentTo(chat, token).length === replies, 10_000, `answer to ${text}`);
  };
  await say(owner, "owner: my bank PIN is 4711", 1);
  await say(stranger, "stranger: hello?", 1);
  const code = /approve telegram ([A-Z2-9]{8})/.exec(tg.sentTo(stranger, token)[0]!.plain)![1]!;
  assert.equal((await runCli(["pairing", "approve", "telegram", code], g.env)).code, 0);
  await say(stranger, "stranger: what did the owner tell you?", 2);
  await say(owner, "owner: and my second turn", 2);
  await say(stranger, "stranger: anything else?", 3);

  const seen = model.requests.map((r) =>
    (r.body.messages as Array<{ role: string; content: unknown }>)
      .filter((m) => m.role !== "system")
      .map((m) => String(m.content))
      .join("\n"),
  );
  const asked = (who: string) => seen.filter((s) => s.split("\n").at(-1)!.startsWith(who));
  assert.equal(asked("stranger:").length, 2);
  assert.equal(asked("owner:").length, 2);
  for (const s of asked("stranger:")) assert.doesNotMatch(s, /owner:|4711/, "the stranger's conversation holds none of the owner's turns");
  for (const s of asked("owner:")) assert.doesNotMatch(s, /stranger:/, "the owner's conversation holds none of the stranger's turns");
  assert.match(asked("owner:")[1]!, /my bank PIN is 4711/, "the owner's own history is still there");
  assert.match(asked("stranger:")[1]!, /what did the owner tell you/, "and so is the stranger's");
});
