/**
 * The watchdog's decision, pure: a condition opens once it has stayed bad past its delay (events at
 * once), an open alert recovers only after `recoverAfterMs` of good, a flap inside that keeps it one
 * alert, and an alert found open after a restart is neither sent again nor forgotten.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Signal } from "../../src/alerts/conditions.ts";
import { decide, openDelay, type OpenAlert, type Tracked } from "../../src/alerts/decide.ts";

const conflict: Signal = { condition: "channel:telegram@1", detail: "telegram@1 is in conflict", channels: ["telegram"] };

/** Runs checks at the given times with the given signals, keeping the open alerts as the ledger would. */
function run(steps: Array<[number, Signal[]]>, o: { afterMs?: number; recoverAfterMs?: number; open?: OpenAlert[] } = {}) {
  const tracked = new Map<string, Tracked>();
  let open = [...(o.open ?? [])];
  let id = 100;
  const log: string[] = [];
  for (const [now, signals] of steps) {
    const d = decide({ now, signals, open, tracked, recoverAfterMs: o.recoverAfterMs ?? 1000, delayOf: () => o.afterMs ?? 2000 });
    for (const s of d.open) {
      open.push({ id: ++id, condition: s.condition, openedAt: now });
      log.push(`${now} open ${s.condition} (bad since ${s.badSince})`);
    }
    for (const a of d.recover) {
      open = open.filter((x) => x.id !== a.id);
      log.push(`${now} recover ${a.condition}`);
    }
  }
  return { log, tracked, open };
}

test("a channel bad for less than afterMs opens nothing; past it one alert opens, and later checks open no second", () => {
  const { log } = run([
    [0, [conflict]],
    [1000, [conflict]],
    [1999, [conflict]],
    [2000, [conflict]],
    [5000, [conflict]],
    [60_000, [conflict]],
  ]);
  assert.deepEqual(log, ["2000 open channel:telegram@1 (bad since 0)"]);
});

test("a bad spell shorter than afterMs, even repeated, never alerts", () => {
  const { log, tracked } = run([
    [0, [conflict]],
    [1500, []],
    [1600, [conflict]],
    [3500, []],
  ]);
  assert.deepEqual(log, []);
  assert.equal(tracked.size, 0, "nothing is remembered about a condition that is good and has no alert");
});

test("a source's own `since` counts: a channel degraded for a while before the first check alerts at once", () => {
  const { log } = run([[10_000, [{ ...conflict, since: 5_000 }]]]);
  assert.deepEqual(log, ["10000 open channel:telegram@1 (bad since 5000)"]);
});

test("an event that already happened (missed cron occurrences) opens at once", () => {
  const cron: Signal = { condition: "cron", detail: 'cron: "daily" missed 3 runs', immediate: true, channels: [] };
  assert.deepEqual(run([[0, [cron]]]).log, ["0 open cron (bad since 0)"]);
});

test("recovery waits for recoverAfterMs of good; a flap inside it keeps the one alert open and sends nothing", () => {
  const { log } = run(
    [
      [0, [conflict]],
      [2000, [conflict]],
      [3000, []],
      [3500, [conflict]],
      [4000, []],
      [4900, []],
      [5000, []],
      [9000, []],
    ],
    { recoverAfterMs: 1000 },
  );
  assert.deepEqual(log, ["2000 open channel:telegram@1 (bad since 0)", "5000 recover channel:telegram@1"]);
});

test("an alert found open after a restart is not sent again while bad, and recovers once good long enough", () => {
  const open = [{ id: 7, condition: conflict.condition, openedAt: -50_000 }];
  const stillBad = run(
    [
      [0, [conflict]],
      [10_000, [conflict]],
    ],
    { open },
  );
  assert.deepEqual(stillBad.log, []);
  assert.equal(stillBad.tracked.get(conflict.condition)!.badSince, -50_000, "bad since the alert opened");
  const good = run(
    [
      [0, []],
      [999, []],
      [1000, []],
    ],
    { open },
  );
  assert.deepEqual(good.log, ["1000 recover channel:telegram@1"]);
});

test("the same condition twice in one check counts once", () => {
  assert.deepEqual(
    run([
      [
        0,
        [
          { ...conflict, immediate: true },
          { ...conflict, immediate: true },
        ],
      ],
    ]).log,
    ["0 open channel:telegram@1 (bad since 0)"],
  );
});

test("each recent alert of a condition doubles the wait before its next one, up to an hour", () => {
  assert.deepEqual(
    [0, 1, 2, 3].map((n) => openDelay(120_000, n)),
    [120_000, 240_000, 480_000, 960_000],
  );
  assert.equal(openDelay(120_000, 10), 3_600_000);
  assert.equal(openDelay(120_000, 10_000), 3_600_000, "no overflow");
  assert.equal(openDelay(7_200_000, 3), 7_200_000, "an afterMs above an hour is its own cap");
});
