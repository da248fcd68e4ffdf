/**
 * A reply that ended failed is visible and can be sent again: `onebrain status` counts it with
 * its error and `onebrain outbox list --failed` names its id (with or without a gateway), and
 * `onebrain outbox retry ID` delivers it exactly once, through the running gateway or, with none,
 * at the next start. A delivered reply is never retried. Real gateway processes against the
 * fake Bot API; the failure itself is made by an in-process brain on the same state dir.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { FakeTelegram } from "../helpers/fake-telegram.ts";
import { brainEnv, runCli, startGateway, tmpDir, type RunningGateway } from "../helpers/gateway.ts";
import { brainWithFailedReply, eventually } from "./telegram-support.ts";

const model = new FakeModelServer();
const fake = new FakeTelegram();
const running: RunningGateway[] = [];
before(async () => {
  await model.start();
  await fake.start();
});
after(async () => {
  for (const g of running) await g.stop();
  await model.close();
  await fake.close();
});

async function gateway(stateDir: string): Promise<RunningGateway> {
  const config = {
    models: { primary: "fake/echo-1", providers: { fake: { kind: "openai", baseUrl: model.openaiUrl } } },
    channels: { telegram: { apiRoot: fake.apiRoot, pollTimeoutSeconds: 1 } },
  };
  const g = await startGateway({ stateDir, config, env: { TELEGRAM_BOT_TOKEN: fake.token, ONEBRAIN_LEASE_DIR: tmpDir("onebrain-lease-") } });
  running.push(g);
  return g;
}

test("a failed reply shows in status with its error; `outbox retry` through the gateway delivers it once and refuses a second retry", async () => {
  const chat = 4401;
  const stateDir = await brainWithFailedReply(fake, chat);
  const g = await gateway(stateDir);

  const status = await runCli(["status", "--json"], g.env);
  const pipeline = JSON.parse(status.stdout).gateway.rpc.status.pipeline;
  assert.deepEqual([JSON.parse(status.stdout).failedReplies.via, JSON.parse(status.stdout).failedReplies.count], ["gateway", 1]);
  assert.equal(pipeline.failedOutbox, 1);
  assert.match(pipeline.newestFailed.error, /403 Forbidden: bot was blocked by the user/);
  const text = await runCli(["status"], g.env);
  assert.match(
    text.stdout,
    /1 reply failed \(newest #(\d+) to telegram 4401: .*403 Forbidden.*\); `onebrain outbox list --failed` lists them, `onebrain outbox retry \1` sends it again/,
  );

  const list = JSON.parse((await runCli(["outbox", "list", "--failed", "--json"], g.env)).stdout);
  assert.equal(list.via, "gateway");
  const id = list.replies[0].id as number;
  assert.deepEqual([list.replies.length, list.replies[0].state, list.replies[0].target], [1, "failed", String(chat)]);

  const retried = await runCli(["outbox", "retry", String(id), "--json"], g.env);
  assert.equal(retried.code, 0, retried.stderr);
  assert.equal(JSON.parse(retried.stdout).via, "gateway");
  await eventually(() => fake.sentTo(chat).length === 1, 10_000, "delivered");
  assert.equal(fake.sentTo(chat)[0]!.plain, "echo: hello?");

  let again = await runCli(["outbox", "retry", String(id), "--json"], g.env);
  for (let i = 0; i < 50 && /still pending/.test(again.stdout); i++) again = await runCli(["outbox", "retry", String(id), "--json"], g.env);
  assert.equal(again.code, 63);
  assert.match(JSON.parse(again.stdout).error.message, new RegExp(`reply #${id} was delivered at .*: sending it again would send it twice`));
  const none = await runCli(["outbox", "retry", "99999"], g.env);
  assert.equal(none.code, 63);
  assert.match(none.stderr, /no reply #99999 in the outbox/);
  assert.equal(fake.sentTo(chat).length, 1, "never a second copy");
  assert.equal(JSON.parse((await runCli(["status", "--json"], g.env)).stdout).gateway.rpc.status.pipeline.failedOutbox, 0);
  // Stopped here, not after all tests: it polls the same bot, and would answer the next test's user first.
  await g.stop();
});

test("with no gateway running, status reads the failed reply from the store, `outbox retry` works there, and the next start delivers the reply once", async () => {
  const chat = 4402;
  const stateDir = await brainWithFailedReply(fake, chat);
  const env = brainEnv(stateDir);
  const status = JSON.parse((await runCli(["status", "--json"], env)).stdout).failedReplies;
  assert.deepEqual([status.via, status.count, status.newest.target], ["store", 1, String(chat)]);
  assert.match((await runCli(["status"], env)).stdout, /1 reply failed \(newest #\d+ to telegram 4402: .*403 Forbidden/);
  const list = JSON.parse((await runCli(["outbox", "list", "--failed", "--json"], env)).stdout);
  assert.equal(list.via, "store");
  const retried = await runCli(["outbox", "retry", String(list.replies[0].id)], env);
  assert.equal(retried.code, 0, retried.stderr);
  assert.match(retried.stdout, /is pending again \(attempts reset\)[\s\S]*delivered when the gateway starts/);
  assert.equal(fake.sentTo(chat).length, 0, "nothing sent without a gateway");
  await gateway(stateDir);
  await eventually(() => fake.sentTo(chat).length === 1, 10_000, "delivered at start");
  assert.equal(fake.sentTo(chat)[0]!.plain, "echo: hello?");
});
