/**
 * The update offset and the credential lease: what Telegram has confirmed is never run again
 * (restart, commit-before-confirm, redelivery), and two brains with one token never both poll.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import os from "node:os";
import path from "node:path";
import { FakeTelegram } from "../helpers/fake-telegram.ts";
import { tmpDir } from "../helpers/gateway.ts";
import { eventually, sleep, telegramBrain } from "./telegram-support.ts";

const fake = new FakeTelegram();
before(() => fake.start());
after(() => fake.close());

let bots = 0;
function newBot(): string {
  const token = `${7200000 + ++bots}:AAOffsetTestToken${String(bots).padStart(21, "0")}`;
  fake.addBot(token, `offset${bots}_bot`);
  return token;
}
const ADA = 77;
const settings = { allowFrom: [String(ADA)] };
const count = (b: { store: { prepare(sql: string): { get(): unknown } } }, sql: string) => (b.store.prepare(sql).get() as { n: number }).n;

test("a restart does not replay confirmed updates; the next new message is answered once", async () => {
  const token = newBot();
  const dir = tmpDir("onebrain-tg-");
  const a = await telegramBrain(fake, { token, settings, stateDir: dir });
  for (let i = 0; i < 5; i++) fake.userSays(ADA, `m${i}`, { token });
  await eventually(() => fake.sentTo(ADA, token).length === 5, 5000, "five answers");
  await a.stop();
  const b = await telegramBrain(fake, { token, settings, stateDir: dir, leaseDir: a.leaseDir });
  try {
    await eventually(() => b.state().state === "connected", 5000, "connected");
    await eventually(() => fake.polls(token) >= 2 + 1, 5000, "polled");
    await sleep(300);
    assert.equal(b.agent.calls.length, 0, "nothing ran again");
    fake.userSays(ADA, "new", { token });
    await eventually(() => fake.sentTo(ADA, token).length === 6, 5000, "the new one");
    assert.equal(fake.sentTo(ADA, token)[5]!.plain, "echo: new");
    assert.equal(count(b, "SELECT count(*) AS n FROM inbound"), 6);
  } finally {
    await b.stop();
  }
});

test("updates committed but not yet confirmed to Telegram when the gateway stops are not run again", async () => {
  const token = newBot();
  const dir = tmpDir("onebrain-tg-");
  const a = await telegramBrain(fake, { token, settings, stateDir: dir });
  await eventually(() => a.state().state === "connected" && fake.pollsInFlight(token) === 1, 5000, "long poll in flight");
  await sleep(50);
  // The poll after the batch (the one that would confirm it) hangs at the fake, unanswered.
  fake.stall("getUpdates", 10_000);
  fake.userSays(ADA, "answer me once", { token });
  await eventually(() => fake.sentTo(ADA, token).length === 1, 5000, "answered");
  assert.equal(fake.unconfirmed(token), 1, "Telegram still has the update: its confirmation never arrived");
  await a.stop();
  const b = await telegramBrain(fake, { token, settings, stateDir: dir, leaseDir: a.leaseDir });
  try {
    await eventually(() => fake.unconfirmed(token) === 0, 5000, "confirmed by the restarted channel's first poll (the committed offset)");
    await sleep(300);
    assert.equal(b.agent.calls.length, 0);
    assert.equal(fake.sentTo(ADA, token).length, 1);
  } finally {
    await b.stop();
  }
});

test("updates redelivered by Telegram after confirmation do not run a second time", async () => {
  const token = newBot();
  const b = await telegramBrain(fake, { token, settings });
  try {
    for (let i = 0; i < 3; i++) fake.userSays(ADA, `r${i}`, { token });
    await eventually(() => fake.sentTo(ADA, token).length === 3, 5000, "three answers");
    await eventually(() => fake.unconfirmed(token) === 0, 5000, "confirmed");
    const returned = fake.updatesReturned(token);
    assert.equal(fake.redeliver(undefined, token), 3);
    await eventually(() => fake.updatesReturned(token) === returned + 3, 5000, "the channel received the three updates again");
    await sleep(300);
    assert.equal(b.agent.calls.length, 3);
    assert.equal(fake.sentTo(ADA, token).length, 3);
    assert.equal(count(b, "SELECT count(*) AS n FROM inbound"), 3);
  } finally {
    await b.stop();
  }
});

test("two brains with one token: one polls, the other reports the conflict naming pid, user and state dir; no message is answered twice; the second takes over when the first stops", async () => {
  const token = newBot();
  const leaseDir = tmpDir("onebrain-lease-");
  const a = await telegramBrain(fake, { token, settings, leaseDir, stateDir: path.join(tmpDir(), "brain-a") });
  const b = await telegramBrain(fake, { token, settings, leaseDir, stateDir: path.join(tmpDir(), "brain-b") });
  try {
    await eventually(() => a.state().state === "connected", 5000, "a connected");
    assert.deepEqual(b.state(), { state: "conflict", detail: `token in use by pid ${process.pid} (user ${os.userInfo().username}, state dir ${a.stateDir})` });
    let maxInFlight = 0;
    const sampler = setInterval(() => (maxInFlight = Math.max(maxInFlight, fake.pollsInFlight(token))), 2);
    const N = 200;
    for (let i = 0; i < N; i++) fake.userSays(ADA, `n${i}`, { token });
    await eventually(() => fake.sentTo(ADA, token).length >= N, 15_000, "all answered");
    await sleep(300);
    clearInterval(sampler);
    const texts = fake.sentTo(ADA, token).map((m) => m.plain);
    assert.equal(texts.length, N, "each once");
    assert.equal(new Set(texts).size, N);
    assert.equal(maxInFlight, 1, "never two polls at once");
    assert.equal(b.agent.calls.length, 0, "the loser never ran anything");
    assert.equal(b.states.filter((s) => s.state === "connected").length, 0);

    await a.stop();
    await eventually(() => b.state().state === "connected", 5000, "b takes over");
    fake.userSays(ADA, "after the hand-over", { token });
    await eventually(() => fake.sentTo(ADA, token).length === N + 1, 5000, "b answers");
    assert.equal(b.agent.calls.length, 1);
  } finally {
    await a.stop();
    await b.stop();
  }
});

test("update ids restarting below the saved offset: the next messages are answered once each, the channel does not poll in a tight loop, and its state says so", async (t) => {
  const token = newBot();
  const b = await telegramBrain(fake, { token, settings });
  try {
    for (let i = 0; i < 3; i++) fake.userSays(ADA, `old${i}`, { token });
    await eventually(() => fake.sentTo(ADA, token).length === 3, 5000, "three answers");
    await eventually(() => fake.unconfirmed(token) === 0, 5000, "confirmed");
    // Another Bot API server, or a week without updates: the sequence goes on far below our offset.
    fake.restartUpdateIds(1_000, token);
    await sleep(300);
    const polls = fake.polls(token);
    fake.userSays(ADA, "after the restart", { token });
    fake.userSays(ADA, "and again", { token });
    await eventually(() => fake.sentTo(ADA, token).length === 5, 8000, "both new messages answered");
    await eventually(() => fake.unconfirmed(token) === 0, 5000, "confirmed under the new sequence");
    await sleep(1000);
    assert.ok(fake.polls(token) - polls <= 8, `no tight loop: ${fake.polls(token) - polls} getUpdates since the restart`);
    t.diagnostic(`${fake.polls(token) - polls} getUpdates from the restart of the update ids until 1 s after both messages were answered`);
    const state = b.state();
    assert.equal(state.state, "connected");
    assert.match((state as { detail?: string }).detail ?? "", /update ids restarted below the saved offset.*re-based from \d+ to 1002/);
    // Random again, this time onto the ids of the first three messages: new messages all the same.
    fake.restartUpdateIds(500_000_001, token);
    fake.userSays(ADA, "reused update id", { token });
    await eventually(() => fake.sentTo(ADA, token).length === 6, 8000, "a message under a reused update id answered");
    await sleep(300);
    assert.deepEqual(
      fake.sentTo(ADA, token).map((m) => m.plain),
      ["old0", "old1", "old2", "after the restart", "and again", "reused update id"].map((t) => `echo: ${t}`),
      "each once",
    );
    assert.equal(count(b, "SELECT count(*) AS n FROM inbound"), 6);
  } finally {
    await b.stop();
  }
});
