/**
 * Which occurrences fire and which are missed, as pure decisions: each missed policy after an
 * outage of three occurrences, the grace of an on-time one, the catch-up window, long outages as
 * one span, and schedules read strictly (durations, ISO times with offsets, cron fields, zones).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { decide, GRACE_MS, MAX_SCAN } from "../../src/cron/occurrences.ts";
import { nextAfter, parseDuration, parseSchedule, type Schedule } from "../../src/cron/schedule.ts";

const T0 = Date.parse("2026-12-01T00:00:00Z");
const every = (ms: number): Schedule => ({ kind: "every", everyMs: ms, anchor: T0 });

test("on time: the occurrence that just came due fires, under every policy", () => {
  for (const missed of ["skip", "latest", "all"] as const) {
    const d = decide(every(60_000), T0, T0 + 60_050, { missed, catchupWindowMs: 3_600_000 });
    assert.deepEqual(d, { fire: [T0 + 60_000], missed: [], cursor: T0 + 60_000 }, missed);
  }
  assert.deepEqual(decide(every(60_000), T0, T0 + 59_999, { missed: "skip", catchupWindowMs: 0 }), { fire: [], missed: [], cursor: T0 }, "nothing due yet");
});

test("down for 3 occurrences: skip runs none, latest the newest, all every one; the rest are missed", () => {
  // Occurrences at +1m, +2m, +3m passed while down; back at +3m35s (past the newest one's grace of 30 s, half its period).
  const now = T0 + 215_000;
  const at = (k: number) => T0 + k * 60_000;
  const policy = (missed: "skip" | "latest" | "all") => decide(every(60_000), T0, now, { missed, catchupWindowMs: 3_600_000 });
  assert.deepEqual(policy("skip"), { fire: [], missed: [{ from: at(1), to: at(3), count: 3 }], cursor: at(3) });
  assert.deepEqual(policy("latest"), { fire: [at(3)], missed: [{ from: at(1), to: at(2), count: 2 }], cursor: at(3) });
  assert.deepEqual(policy("all"), { fire: [at(1), at(2), at(3)], missed: [], cursor: at(3) });
});

test("the catch-up window bounds latest and all; an on-time occurrence is never outside it", () => {
  const at = (k: number) => T0 + k * 60_000;
  const now = at(10) + 45_000; // the newest (+10m) is 45 s late: past its grace (30 s, half the period)
  assert.deepEqual(decide(every(60_000), T0, now, { missed: "all", catchupWindowMs: 150_000 }), {
    fire: [at(9), at(10)],
    missed: [{ from: at(1), to: at(8), count: 8 }],
    cursor: at(10),
  });
  assert.deepEqual(decide(every(60_000), T0, now, { missed: "latest", catchupWindowMs: 30_000 }).fire, [], "latest, but outside the window");
  const onTime = decide(every(3_600_000), T0, T0 + 3_600_000 + GRACE_MS, { missed: "skip", catchupWindowMs: 0 });
  assert.deepEqual(onTime.fire, [T0 + 3_600_000], "a minute of grace for an hourly job");
});

test("a long outage of a frequent job is one missed span, decided in bounded steps", () => {
  const day = 86_400_000;
  const first = decide(every(1000), T0, T0 + day, { missed: "latest", catchupWindowMs: 60_000 });
  assert.equal(first.fire.length, 0, "cut short by the scan limit: nothing is on time yet");
  assert.deepEqual(first.missed, [{ from: T0 + 1000, to: T0 + MAX_SCAN * 1000, count: MAX_SCAN }]);
  let cursor = first.cursor;
  let missed = MAX_SCAN;
  let fired: number[] = [];
  for (let i = 0; i < 20 && cursor < T0 + day; i++) {
    const d = decide(every(1000), cursor, T0 + day, { missed: "latest", catchupWindowMs: 60_000 });
    missed += d.missed.reduce((n, s) => n + s.count, 0);
    fired = d.fire;
    cursor = d.cursor;
  }
  assert.equal(cursor, T0 + day);
  assert.deepEqual(fired, [T0 + day]);
  assert.equal(missed + 1, 86_400, "every occurrence is either fired or counted as missed");
});

test("a one-shot fires once; after it nothing is due", () => {
  const s: Schedule = { kind: "at", at: T0 + 5000 };
  assert.deepEqual(decide(s, T0, T0 + 5100, { missed: "skip", catchupWindowMs: 0 }).fire, [T0 + 5000]);
  assert.equal(nextAfter(s, T0 + 5000), null);
  assert.deepEqual(decide(s, T0 + 5000, T0 + 999_999, { missed: "all", catchupWindowMs: 1e9 }), { fire: [], missed: [], cursor: T0 + 5000 });
});

test("cron expressions fire in their time zone, across a daylight-saving change", () => {
  const s = parseSchedule({ cron: "0 9 * * *", tz: "Europe/Berlin" }, T0);
  const before = nextAfter(s, Date.parse("2026-03-28T00:00:00Z"));
  const after = nextAfter(s, Date.parse("2026-03-29T00:00:00Z"));
  assert.equal(new Date(before!).toISOString(), "2026-03-28T08:00:00.000Z", "09:00 CET");
  assert.equal(new Date(after!).toISOString(), "2026-03-29T07:00:00.000Z", "09:00 CEST");
  const seconds = parseSchedule({ cron: "*/5 * * * * *" }, T0);
  assert.equal(nextAfter(seconds, T0 + 1), T0 + 5000, "six fields: seconds first");
});

test("schedules are read strictly, each refusal naming what was wrong", () => {
  assert.equal(parseDuration("1h30m"), 5_400_000);
  assert.equal(parseDuration("500ms"), 500);
  assert.equal(parseDuration("5 minutes"), null);
  assert.deepEqual(parseSchedule({ at: "+20m" }, T0), { kind: "at", at: T0 + 1_200_000 });
  assert.deepEqual(parseSchedule({ at: "2026-12-24T18:00:00+01:00" }, T0), { kind: "at", at: Date.parse("2026-12-24T17:00:00Z") });
  const bad = (input: Parameters<typeof parseSchedule>[0], re: RegExp) => assert.throws(() => parseSchedule(input, T0), re);
  bad({}, /exactly one schedule.*got none/);
  bad({ every: "5m", cron: "* * * * *" }, /exactly one schedule.*every and cron/);
  bad({ at: "2026-12-24T18:00:00" }, /no offset/);
  bad({ at: "tomorrow" }, /Cannot read "tomorrow" as a time/);
  bad({ every: "5" }, /Cannot read "5" as an interval/);
  bad({ every: "200ms" }, /shorter than 1 s/);
  bad({ every: "367d" }, /longer than 366 days/);
  bad({ every: "9".repeat(400) + "d" }, /^Error: Cannot read "9{40}…\[361 more chars\]" as an interval/);
  bad({ at: "+3700d" }, /more than 10 years ahead/);
  bad({ at: `+${"9".repeat(400)}d` }, /Cannot read .* as a time/);
  bad({ at: "+275760-09-13T00:00:00Z" }, /more than 10 years ahead/);
  bad({ cron: "61 * * * *" }, /Cannot read the cron expression "61 \* \* \* \*": Invalid value for minute: 61/);
  bad({ cron: "* * *" }, /has 3 fields: expected 5/);
  bad({ cron: "0 9 * * *", tz: "Mars/Olympus" }, /Unknown time zone "Mars\/Olympus"/);
  bad({ every: "5m", tz: "UTC" }, /time zone applies to a cron expression only/);
  bad({ cron: "0 0 30 2 *" }, /never fires/);
});
