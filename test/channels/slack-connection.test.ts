/**
 * The Slack channel's connection and delivery under trouble (in process, against the fake Slack):
 * 50 forced reconnects with never more than one socket, a deaf socket replaced, a second brain on
 * the same app seen through `num_connections` (a split brain) and kept off, lost post answers
 * settled by metadata, rate limits, refused tokens, an outage that degrades and recovers.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { FakeSlack } from "../helpers/fake-slack.ts";
import { slackBrain, untilState, type SlackBrain } from "./slack-support.ts";
import { eventually, sleep } from "./telegram-support.ts";

const fakes: FakeSlack[] = [];
const brains: SlackBrain[] = [];
after(async () => {
  for (const b of brains) await b.stop();
  for (const f of fakes) await f.close();
});

async function fake(o: ConstructorParameters<typeof FakeSlack>[0] = {}): Promise<FakeSlack> {
  const f = new FakeSlack({ ackTimeoutMs: 1000, maxRetries: 10, ...o });
  await f.start();
  fakes.push(f);
  return f;
}

async function brain(f: FakeSlack, o: Parameters<typeof slackBrain>[1] = {}): Promise<SlackBrain> {
  const b = await slackBrain(f, { ...o, settings: { allowFrom: ["*"], ...o.settings } });
  brains.push(b);
  return b;
}

const answered = (f: FakeSlack, dm: string, text: string) => f.botMessages(dm).filter((m) => m.text === `echo: ${text}`).length;

test("50 forced reconnects (refresh, warning, reset) during 100 messages: never two sockets, nothing lost, nothing twice", async () => {
  const f = await fake();
  const b = await brain(f);
  await untilState(b, "connected");
  const user = f.user("ann");
  const dm = f.im(user);
  const said: string[] = [];
  for (let i = 0; i < 50; i++) {
    for (let j = 0; j < 2; j++) {
      const t = `r${i}-${j}`;
      said.push(t);
      f.userSays(dm, user, t);
    }
    const opened = f.calls.filter((c) => c.method === "apps.connections.open").length;
    if (i % 3 === 0) f.socket.disconnectAll("refresh_requested", 50);
    else if (i % 3 === 1) f.socket.disconnectAll("warning");
    else f.socket.dropSockets();
    await eventually(
      () => f.calls.filter((c) => c.method === "apps.connections.open").length > opened && f.socket.sockets.size === 1,
      10_000,
      `reconnect ${i}`,
    );
  }
  await eventually(() => said.every((t) => answered(f, dm, t) >= 1) && f.socket.unacked === 0, 30_000, "all answered");
  await sleep(500);
  assert.equal(f.socket.maxOpen, 1, "never more than one open socket");
  assert.deepEqual(
    said.filter((t) => answered(f, dm, t) !== 1),
    [],
    "each answered exactly once",
  );
  assert.equal(f.socket.dropped.length, 0, "no envelope given up on");
  assert.equal(b.agent.calls.length, 100, "each message ran once");
  assert.ok((b.slack.health().refreshes as number) >= 30);
});

test("a socket Slack has forgotten (open, answering pings, sent nothing) is replaced, and what waited is answered", async () => {
  const f = await fake({ pingIntervalMs: 200 });
  const b = await brain(f);
  b.slackSettings.deafAfterSeconds = 1;
  await untilState(b, "connected");
  const user = f.user("bea");
  const dm = f.im(user);
  f.socket.deafen();
  f.userSays(dm, user, "anyone there?");
  await eventually(() => answered(f, dm, "anyone there?") === 1, 10_000, "answered after the replacement");
  assert.equal(b.slack.health().deafReplaced, 1);
  assert.equal(f.socket.maxOpen, 1);
});

test("pings alone keep a quiet socket: no replacement while Slack pings", async () => {
  const f = await fake({ pingIntervalMs: 200 });
  const b = await brain(f);
  b.slackSettings.deafAfterSeconds = 1;
  await untilState(b, "connected");
  await sleep(2500);
  assert.equal(b.slack.health().deafReplaced, 0);
  assert.equal(f.calls.filter((c) => c.method === "apps.connections.open").length, 1);
});

test("a second brain on the same app from another host sees num_connections 2: it reports the split brain and stays off; it takes over when the first stops", async () => {
  const f = await fake();
  const first = await brain(f);
  await untilState(first, "connected");
  const second = await brain(f);
  const s = await untilState(second, "conflict");
  assert.match((s as { detail: string }).detail, /Slack counts 2 open Socket Mode connections for app A0FAKE0001/);
  assert.match((s as { detail: string }).detail, /another host or program/);
  await eventually(() => f.socket.sockets.size === 1, 5000, "the second closed its socket");
  const user = f.user("cal");
  const dm = f.im(user);
  for (let i = 0; i < 10; i++) f.userSays(dm, user, `c${i}`);
  await eventually(() => Array.from({ length: 10 }, (_, i) => answered(f, dm, `c${i}`)).every((n) => n === 1), 10_000, "answered by the first");
  assert.equal(second.agent.calls.length, 0, "the second ran nothing");
  await first.stop();
  await untilState(second, "connected", 10_000);
  f.userSays(dm, user, "after the hand-over");
  await eventually(() => answered(f, dm, "after the hand-over") === 1, 10_000, "answered by the second");
});

test("a post whose answer is lost is found by its metadata and not posted again", async () => {
  const f = await fake();
  const b = await brain(f);
  await untilState(b, "connected");
  const user = f.user("dan");
  const dm = f.im(user);
  f.loseAnswers("chat.postMessage", 1);
  f.userSays(dm, user, "lost answer");
  await eventually(() => f.calls.some((c) => c.method === "conversations.history"), 10_000, "looked up");
  await eventually(() => (b.store.prepare("SELECT count(*) AS n FROM outbox WHERE state = 'delivered'").get() as { n: number }).n === 1, 10_000, "delivered");
  assert.equal(answered(f, dm, "lost answer"), 1);
  assert.equal(f.calls.filter((c) => c.method === "chat.postMessage").length, 1, "one post only");
  const look = f.calls.find((c) => c.method === "conversations.history")!;
  assert.equal(String(look.params.include_all_metadata), "true");
});

test("a post refused with internal_error (not carried out) is looked for, not found, then posted once", async () => {
  const f = await fake();
  const b = await brain(f);
  await untilState(b, "connected");
  const user = f.user("eli");
  const dm = f.im(user);
  f.failNext("chat.postMessage", "internal_error");
  f.userSays(dm, user, "try again");
  await eventually(() => answered(f, dm, "try again") === 1, 15_000, "posted after the check");
  await sleep(300);
  assert.equal(answered(f, dm, "try again"), 1);
  assert.ok(
    f.calls.some((c) => c.method === "conversations.history"),
    "looked before posting again",
  );
});

test("a thread reply whose answer is lost is looked for in the thread (conversations.replies)", async () => {
  const f = await fake();
  const b = await brain(f);
  await untilState(b, "connected");
  const user = f.user("fox");
  const general = f.channel("general");
  const asked = f.userSays(general, user, "in a thread please", { mention: true });
  f.loseAnswers("chat.postMessage", 1);
  await eventually(() => f.calls.some((c) => c.method === "conversations.replies" && c.params.ts === asked.ts), 10_000, "looked up in the thread");
  await eventually(() => (b.store.prepare("SELECT count(*) AS n FROM outbox WHERE state = 'delivered'").get() as { n: number }).n === 1, 10_000, "delivered");
  assert.equal(f.botMessages(general).length, 1);
  assert.equal(f.botMessages(general)[0]!.thread_ts, asked.ts);
});

test("429 with Retry-After: the reply waits that long and arrives once", async () => {
  const f = await fake();
  const b = await brain(f);
  await untilState(b, "connected");
  const user = f.user("gil");
  const dm = f.im(user);
  f.rateLimit("chat.postMessage", 1, 2);
  const t0 = Date.now();
  f.userSays(dm, user, "slow down");
  await eventually(() => answered(f, dm, "slow down") === 1, 10_000, "answered");
  assert.ok(Date.now() - t0 >= 1000, "waited Retry-After");
  await sleep(300);
  assert.equal(answered(f, dm, "slow down"), 1);
});

test("the status reaction is on the message while its run goes, and taken off after", async () => {
  const f = await fake();
  const b = await brain(f, { settings: { statusReaction: "eyes" } });
  await untilState(b, "connected");
  let open = () => {};
  const opened = new Promise<void>((r) => (open = r));
  b.agent.script = async (h, signal, onDelta) => {
    await Promise.race([opened, new Promise((r) => signal.addEventListener("abort", r, { once: true }))]);
    const t = `echo: ${h.at(-1)!.content}`;
    onDelta(t);
    return t;
  };
  const user = f.user("hex");
  const dm = f.im(user);
  const m = f.userSays(dm, user, "think hard");
  after(open);
  await eventually(() => f.calls.some((c) => c.method === "reactions.add"), 5000, "reaction added");
  const add = f.calls.find((c) => c.method === "reactions.add")!;
  assert.deepEqual([add.params.channel, add.params.timestamp, add.params.name], [dm, m.ts, "eyes"]);
  open();
  await eventually(() => f.calls.some((c) => c.method === "reactions.remove"), 5000, "reaction removed");
  assert.equal(answered(f, dm, "think hard"), 1);
});

test("a refused app token or bot token stops the channel with what to do, and no retry loop", async () => {
  const f = await fake();
  const badApp = await brain(f, { appToken: "xapp-1-A0FAKE0002-1-wrongwrongwrong" });
  const s = await untilState(badApp, "failed");
  assert.match((s as { reason: string }).reason, /app-level token was refused \(invalid_auth\)/);
  const opens = f.calls.filter((c) => c.method === "apps.connections.open").length;
  await sleep(500);
  assert.equal(f.calls.filter((c) => c.method === "apps.connections.open").length, opens, "no retries");
  const badBot = await brain(f, { botToken: "xoxb-wrong", leaseDir: undefined });
  const t = await untilState(badBot, "failed");
  assert.match((t as { reason: string }).reason, /bot token was refused by auth.test \(invalid_auth\)/);
  const swapped = await brain(f, { appToken: f.botToken, botToken: f.appToken });
  const u = await untilState(swapped, "failed");
  assert.match((u as { reason: string }).reason, /must be an app-level token \(xapp-/);
  assert.ok(!JSON.stringify([s, t, u]).includes(f.botToken.slice(5)), "no token in the states");
});

test("apps.connections.open failing: reconnecting, then degraded from the third failure, then connected again", async () => {
  const f = await fake();
  f.failNext("apps.connections.open", "internal_error", 4);
  const b = await brain(f);
  await untilState(b, "connected", 15_000);
  const seen = b.states.map((s) => s.state);
  assert.ok(seen.includes("reconnecting"), seen.join(","));
  const degraded = b.states.find((s) => s.state === "degraded") as { detail: string } | undefined;
  assert.ok(degraded, seen.join(","));
  assert.match(degraded.detail, /failed 3 times in a row .*internal_error/);
});
