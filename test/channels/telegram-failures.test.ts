/**
 * How the Telegram channel lives through trouble: a revoked token stops it without a retry
 * storm; another poller (409) is a conflict retried slowly; network errors, 5xx, 429 and stalls
 * reconnect with backoff and recover by themselves, and nothing is lost on the way.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { FakeTelegram } from "../helpers/fake-telegram.ts";
import { eventually, sleep, telegramBrain } from "./telegram-support.ts";

const fake = new FakeTelegram();
before(() => fake.start());
after(() => fake.close());

const ADA = 4242;
const settings = { allowFrom: [String(ADA)] };
let bots = 0;
/** A bot of its own for each test: a revoked token or a conflict must not leak into the next test. */
function newBot(): string {
  const token = `${7100000 + ++bots}:AAFailureTestToken${String(bots).padStart(20, "0")}`;
  fake.addBot(token, `failure${bots}_bot`);
  return token;
}

test("a token revoked while polling: state failed with the reason, and no further polls", async () => {
  const token = newBot();
  const b = await telegramBrain(fake, { settings, token });
  try {
    await eventually(() => b.state().state === "connected", 5000, "connected");
    fake.revoke(token);
    await eventually(() => b.state().state === "failed", 5000, "failed");
    assert.deepEqual(b.state(), { state: "failed", reason: "the bot token was rejected (revoked?): set a new one and restart the channel" });
    const polls = fake.polls(token);
    await sleep(1500);
    assert.equal(fake.polls(token), polls, "no poll after the 401");
    assert.equal(fake.pollsInFlight(token), 0);
    assert.equal(b.states.filter((s) => s.state === "reconnecting").length, 0, "a 401 is not retried");
  } finally {
    await b.stop();
  }
});

test("an unknown token fails at getMe with the same clear state, having never polled", async () => {
  const other = new FakeTelegram({ token: "7000002:AAOtherTokenxxxxxxxxxxxxxxxxxxxxxxxxx", username: "other_bot" });
  await other.start();
  try {
    const b = await telegramBrain(other, { token: "7000009:AAWrongTokenxxxxxxxxxxxxxxxxxxxxxxxxx" });
    try {
      await eventually(() => b.state().state === "failed", 5000, "failed");
      assert.match((b.state() as { reason: string }).reason, /token was rejected/);
      assert.deepEqual(
        other.calls.map((c) => c.method),
        [],
        "the fake never saw a call of a token it does not know",
      );
      assert.equal(other.polls(), 0);
    } finally {
      await b.stop();
    }
  } finally {
    await other.close();
  }
});

test("409 from another poller (another host): state conflict, retried slowly, never in a tight loop", async () => {
  const token = newBot();
  const b = await telegramBrain(fake, { token, timing: { conflictRetryMs: 1000 } });
  // The intruder polls in a tight loop, as a badly written bot on another host would.
  let intruderPolls = 0;
  let stop = false;
  try {
    await eventually(() => b.state().state === "connected", 5000, "connected");
    await eventually(() => fake.pollsInFlight(token) === 1, 5000, "our long poll");
    const intruder = (async () => {
      while (!stop) {
        intruderPolls++;
        await fetch(`${fake.apiRoot}/bot${token}/getUpdates?timeout=1`)
          .then((r) => r.json())
          .catch(() => {});
      }
    })();
    await eventually(() => b.state().state === "conflict", 3000, "conflict");
    assert.deepEqual(b.state(), { state: "conflict", detail: "another poller uses this token (another host?): stop it" });
    const before = fake.polls(token) - intruderPolls;
    await sleep(3000);
    const ours = fake.polls(token) - intruderPolls - before;
    assert.ok(ours >= 1 && ours <= 5, `retried about once a second (1 s ± 20 % here, 60 s by default), got ${ours} polls in 3 s`);
    stop = true;
    await intruder;
    await eventually(() => b.state().state === "connected", 5000, "connected again once the other poller stopped");
  } finally {
    stop = true;
    await b.stop();
  }
});

test("5xx and network errors: reconnecting with growing, jittered delays, then connected, and the waiting message is answered", async () => {
  const token = newBot();
  const b = await telegramBrain(fake, { settings: { ...settings, pollTimeoutSeconds: 1 }, token, timing: { backoffBaseMs: 100, backoffMaxMs: 2000 } });
  try {
    await eventually(() => b.state().state === "connected", 5000, "connected");
    fake.failNext("getUpdates", { code: 502, raw: "<html><body>502 Bad Gateway</body></html>" });
    fake.failNext("getUpdates", { reset: true });
    fake.failNext("getUpdates", { code: 500, description: "Internal Server Error" });
    fake.failNext("getUpdates", { code: 503, description: "Service Unavailable" });
    // The long poll in flight ends within its timeout; the failures hit the polls after it.
    await eventually(() => b.states.some((s) => s.state === "reconnecting" && s.attempt === 4), 10_000, "four failures in a row");
    fake.userSays(ADA, "are you there?", { token });
    await eventually(() => fake.sentTo(ADA, token).length === 1, 10_000, "answered after recovery");
    const reconnecting = b.states.filter((s) => s.state === "reconnecting") as Array<{ attempt: number; nextAttemptAt: number; lastError: string }>;
    assert.deepEqual(
      reconnecting.map((s) => s.attempt),
      [1, 2, 3, 4],
    );
    assert.match(reconnecting[1]!.lastError, /getUpdates: network error: ECONNRESET/, "a reset connection");
    assert.match(reconnecting[0]!.lastError, /getUpdates/);
    assert.match(reconnecting[2]!.lastError, /500 Internal Server Error/);
    assert.equal(b.state().state, "connected");
    assert.equal(fake.sentTo(ADA, token)[0]!.plain, "echo: are you there?");
    assert.equal(b.agent.calls.length, 1);
  } finally {
    await b.stop();
  }
});

test("429 waits the retry_after Telegram asks for", async () => {
  const token = newBot();
  const b = await telegramBrain(fake, { settings, token });
  try {
    await eventually(() => b.state().state === "connected", 5000, "connected");
    fake.failNext("getUpdates", { code: 429, description: "Too Many Requests: retry after 1", retryAfter: 1 });
    await eventually(() => b.state().state === "reconnecting", 5000, "reconnecting");
    const s = b.state() as { nextAttemptAt: number };
    const at = Date.now();
    assert.ok(s.nextAttemptAt - at > 700, "about a second away");
    const polls = fake.polls(token);
    await sleep(600);
    assert.equal(fake.polls(token), polls, "no poll before retry_after");
    await eventually(() => b.state().state === "connected", 3000, "connected again");
  } finally {
    await b.stop();
  }
});

test("a getUpdates that stalls past its deadline is abandoned and retried", async () => {
  const token = newBot();
  const b = await telegramBrain(fake, { settings: { ...settings, pollTimeoutSeconds: 1 }, token, timing: { callSlackMs: 500 } });
  try {
    await eventually(() => b.state().state === "connected", 5000, "connected");
    fake.stall("getUpdates", 5000);
    await eventually(() => b.state().state === "reconnecting", 5000, "reconnecting");
    assert.match((b.state() as { lastError: string }).lastError, /getUpdates: no answer within/);
    fake.userSays(ADA, "still there?", { token });
    await eventually(() => fake.sentTo(ADA, token).some((m) => m.plain === "echo: still there?"), 8000, "answered");
  } finally {
    await b.stop();
  }
});

test("stop aborts the long poll at once and releases the lease", async () => {
  const token = newBot();
  const b = await telegramBrain(fake, { settings: { ...settings, pollTimeoutSeconds: 30 }, token });
  await eventually(() => fake.pollsInFlight(token) === 1 && b.state().state === "connected", 5000, "long poll in flight");
  await sleep(100); // the connected state's first poll is short; wait for a long one
  const t0 = Date.now();
  await b.stop();
  assert.ok(Date.now() - t0 < 1000, `stopped in ${Date.now() - t0} ms`);
  await eventually(() => fake.pollsInFlight(token) === 0, 2000, "the fake sees the poll go away");
  assert.equal(b.state().state, "stopped");
  const again = await telegramBrain(fake, { leaseDir: b.leaseDir, token });
  try {
    await eventually(() => again.state().state === "connected", 5000, "the lease was free for the next one");
  } finally {
    await again.stop();
  }
});

test("a 429 without JSON (a proxy in front of the Bot API) waits its Retry-After header, and says so in the state", async () => {
  const token = newBot();
  const b = await telegramBrain(fake, { settings, token });
  try {
    await eventually(() => b.state().state === "connected", 5000, "connected");
    fake.failNext("getUpdates", { code: 429, raw: "<html><body>429 Too Many Requests</body></html>", headers: { "retry-after": "3" } });
    await eventually(() => b.state().state === "reconnecting", 5000, "reconnecting");
    const s = b.state() as { nextAttemptAt: number; lastError: string };
    assert.ok(s.nextAttemptAt - Date.now() > 2000, `about 3 s away, not a backoff's 50 ms: ${s.nextAttemptAt - Date.now()} ms`);
    assert.match(s.lastError, /getUpdates: Telegram asked to wait 3 s/);
    await eventually(() => b.state().state === "connected", 8000, "connected again");
  } finally {
    await b.stop();
  }
});

test("answers that are not the Bot API's (an empty 503, a 429 page without Retry-After, a proxy's 401 page) back off and recover: no spin, no stop", async () => {
  const token = newBot();
  const b = await telegramBrain(fake, { settings: { ...settings, pollTimeoutSeconds: 1 }, token, timing: { backoffBaseMs: 100, backoffMaxMs: 400 } });
  try {
    await eventually(() => b.state().state === "connected", 5000, "connected");
    fake.failNext("getUpdates", { code: 503, raw: "" });
    fake.failNext("getUpdates", { code: 429, raw: "Too Many Requests" });
    fake.failNext("getUpdates", { code: 401, raw: "<html>401 Authorization Required</html>" });
    await eventually(() => b.states.some((s) => s.state === "reconnecting" && s.attempt === 3), 20_000, "three failures in a row").catch((err: Error) => {
      throw new Error(
        `${err.message}; states: ${JSON.stringify(b.states.slice(-8))}; getUpdates calls: ${fake.calls.filter((c) => c.method === "getUpdates" && c.token === token).length}`,
      );
    });
    await eventually(() => b.state().state === "connected", 5000, "connected again");
    assert.equal(b.states.filter((s) => s.state === "failed").length, 0, "a 401 page from something in front of Telegram says nothing about the token");
    const reconnecting = b.states.filter((s) => s.state === "reconnecting") as Array<{ lastError: string }>;
    assert.match(reconnecting.at(-3)!.lastError, /getUpdates: 503 not a Bot API answer/);
  } finally {
    await b.stop();
  }
});
