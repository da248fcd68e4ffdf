/** The Discord reconnect policy as decisions (pure: injected clock and randomness, no socket). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Supervisor, type Outcome } from "../../src/channels/discord/supervisor.ts";
import { afterFailure, budgetWait, DEGRADED_AFTER } from "../../src/channels/discord/trouble.ts";

const dropped = (o: Partial<Outcome> = {}): Outcome => ({ code: 1006, resumed: false, established: false, healthy: false, sessionLost: false, ...o });

test("backoff doubles from 1 s to at most 2 min with jitter, and resets only after a healthy connection", () => {
  const s = new Supervisor({ random: () => 1 });
  const delays = Array.from({ length: 10 }, () => {
    const n = s.afterClose(dropped(), true);
    return n.kind === "connect" ? n.delayMs : -1;
  });
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 32000, 64000, 120000, 120000, 120000]);
  const established = s.afterClose(dropped({ established: true }), true);
  assert.equal(established.kind === "connect" && established.delayMs, 120000, "READY alone is not proof of a working link");
  const healthy = s.afterClose(dropped({ established: true, healthy: true }), true);
  assert.equal(healthy.kind === "connect" && healthy.delayMs, 1000);
  const low = new Supervisor({ random: () => 0 }).afterClose(dropped(), true);
  assert.equal(low.kind === "connect" && low.delayMs, 500, "half of the delay is random");
});

test("a held session is resumed; one that ended (op 9, 1000, 4007, 4009) or none at all means a fresh IDENTIFY", () => {
  const s = new Supervisor();
  const mode = (o: Partial<Outcome>, has = true) => {
    const n = s.afterClose(dropped(o), has);
    return n.kind === "connect" ? n.mode : n.kind;
  };
  assert.equal(mode({ code: 1006 }), "resume");
  assert.equal(mode({ code: 4200, established: true, healthy: true }), "resume", "op 7 and zombie closes resume");
  assert.equal(mode({ code: 1001 }), "resume");
  assert.equal(mode({ code: 1000 }), "identify");
  assert.equal(mode({ code: 4007 }), "identify");
  assert.equal(mode({ code: 4009 }), "identify");
  assert.equal(mode({ code: 1000, sessionLost: true }), "identify");
  assert.equal(mode({ code: 1006 }, false), "identify");
});

test("after 3 failed RESUMEs in a row the breaker falls back to IDENTIFY; a RESUMED resets it", () => {
  const s = new Supervisor();
  const mode = (o: Partial<Outcome>) => {
    const n = s.afterClose(dropped(o), true);
    return n.kind === "connect" ? n.mode : n.kind;
  };
  assert.deepEqual([mode({ resumed: true }), mode({ resumed: true })], ["resume", "resume"]);
  assert.equal(mode({ resumed: true, established: true }), "resume", "a RESUMED in between resets the count");
  assert.deepEqual([mode({ resumed: true }), mode({ resumed: true }), mode({ resumed: true })], ["resume", "resume", "identify"]);
  assert.equal(mode({ resumed: true }), "resume", "the count starts again after the fallback");
});

test("4004 stops with the token refused, 4013 stops, 4014 identifies again without the Message Content intent", () => {
  const s = new Supervisor();
  const refused = s.afterClose(dropped({ code: 4004 }), true);
  assert.equal(refused.kind, "stop");
  assert.match(refused.kind === "stop" ? refused.reason : "", /token/);
  assert.equal(s.afterClose(dropped({ code: 4013 }), true).kind, "stop");
  const intent = s.afterClose(dropped({ code: 4014 }), false);
  assert.deepEqual(intent.kind === "connect" && [intent.mode, intent.withoutMessageContent], ["identify", true]);
});

test("IDENTIFYs are 5 s apart, and a reconnect never spends the last 5 of the daily budget (the first start needs one)", () => {
  let now = 1_000_000;
  const s = new Supervisor({ now: () => now });
  assert.equal(s.identifyWaitMs({ remaining: 3, resetAfterMs: 60_000 }), 0, "the first start may use a low budget");
  assert.equal(s.identifyWaitMs({ remaining: 0, resetAfterMs: 60_000 }), 60_000, "but not an empty one");
  s.noteIdentify();
  now += 2000;
  assert.equal(s.identifyWaitMs(null), 3000);
  assert.equal(s.identifyWaitMs({ remaining: 900, resetAfterMs: 60_000 }), 3000);
  now += 10_000;
  assert.equal(s.identifyWaitMs({ remaining: 5, resetAfterMs: 3_600_000 }), 3_600_000, "the reserve is kept");
  assert.equal(s.identifyWaitMs({ remaining: 6, resetAfterMs: 3_600_000 }), 0);
});

test("the first failed connections are `reconnecting`; the third in a row is `degraded` with why and what comes next", () => {
  const next = { mode: "identify" as const, delayMs: 4200, why: "3 RESUMEs failed in a row" };
  const at = (attempt: number) => afterFailure({ attempt, since: 1000, lastError: "ECONNRESET", next, now: 5000 });
  assert.deepEqual(at(1), { state: "reconnecting", attempt: 1, nextAttemptAt: 9200, lastError: "ECONNRESET" });
  assert.equal(at(DEGRADED_AFTER - 1).state, "reconnecting");
  const d = at(DEGRADED_AFTER);
  assert.equal(d.state, "degraded");
  assert.equal(d.state === "degraded" && d.since, 1000, "since the trouble began");
  assert.match(d.state === "degraded" ? d.detail : "", /failed 3 times in a row \(last: ECONNRESET\); next IDENTIFY in 4 s \(3 RESUMEs failed in a row\)/);
});

test("a long wait for the daily session budget is `degraded`; the 5 s IDENTIFY spacing is not", () => {
  assert.equal(budgetWait(5000, 900, 0), null);
  const d = budgetWait(3_600_000, 5, 0);
  assert.equal(d?.state, "degraded");
  assert.match(d?.state === "degraded" ? d.detail : "", /\(5 left\): the next IDENTIFY waits 60 min/);
});
