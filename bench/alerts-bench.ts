/**
 * The watchdog's cost (issue 16): one check (`Watchdog.check()`: every condition read, decided,
 * nothing to send) on a brain grown large: 200,000 outbox rows, 200,000 runs, 50 cron jobs with
 * 2,000 occurrences each, and 6 channel accounts, with a condition open so the ledger is read too.
 * At the default interval (5 s) a check of N ms is N/5000 of one core.
 */
import path from "node:path";
import pino from "pino";
import { Watchdog } from "../src/alerts/watchdog.ts";
import { alertsSchema } from "../src/config/schema-alerts.ts";
import { openStore } from "../src/store/db.ts";
import { tmpDir } from "../test/helpers/gateway.ts";
import { progress } from "./cli-runs.ts";

export interface AlertsBench {
  checkMs: number[];
  rows: { outbox: number; runs: number; cronRuns: number };
}

/** Fills a store, then times `checks` checks one after another. */
export async function alertsBench(checks: number): Promise<AlertsBench> {
  const store = openStore(path.join(tmpDir("onebrain-alerts-bench-"), "brain.db"));
  progress("alerts check: filling a store (200k replies, 200k runs, 100k cron occurrences)");
  store.transaction(() => {
    store
      .prepare(
        "INSERT INTO inbound (channel, account, message_id, session_key, peer, text, received_at, state) VALUES ('telegram', '1', 'm', 'k', 'p', 't', 0, 'answered')",
      )
      .run();
    store.prepare("INSERT INTO sessions (session_key, agent_id, started_at, last_activity_at) VALUES ('k', 'main', 0, 0)").run();
    const out = store.prepare(
      "INSERT INTO outbox (idempotency_key, channel, account, target, text, state, created_at, epoch) VALUES (?, ?, '1', 't', 'x', ?, 0, 1)",
    );
    const run = store.prepare("INSERT INTO runs (inbound_id, session_id, state, started_at, epoch) VALUES (1, 1, ?, 0, 1)");
    for (let i = 0; i < 200_000; i++) {
      out.run(`k${i}`, ["telegram", "discord", "slack"][i % 3]!, i % 50 === 0 ? "failed" : "delivered");
      run.run(i % 40 === 0 ? "failed" : "done");
    }
    const job = store.prepare(
      `INSERT INTO cron_jobs (id, name, schedule, agent_id, message, delivery, missed, catchup_window_ms, timeout_seconds, cursor, created_at, updated_at)
       VALUES (?, ?, '{"kind":"every","everyMs":60000}', 'main', 'hi', '{"mode":"none"}', 'latest', 0, 60, 0, 0, 0)`,
    );
    const occ = store.prepare("INSERT INTO cron_runs (job_id, scheduled_for, state) VALUES (?, ?, ?)");
    for (let j = 0; j < 50; j++) {
      job.run(`j${j}`, `job-${j}`);
      for (let k = 0; k < 2000; k++) occ.run(`j${j}`, k * 60_000, j === 7 && k === 1999 ? "missed" : "done");
    }
  });
  const channels = ["telegram", "discord", "slack"].flatMap((id) => [
    { id, account: "1", state: "connected" as const, since: 0 },
    { id, account: "2", state: "connected" as const, since: 0 },
  ]);
  channels[1] = { id: "telegram", account: "2", state: "conflict", detail: "token in use by pid 1" } as never;
  const config = alertsSchema.parse({ targets: [{ channel: "slack", target: "C1" }], afterMs: 1000 });
  let now = 1_000_000;
  const dog = new Watchdog({
    store,
    epoch: 1,
    config: () => config,
    env: {},
    channels: () => channels,
    readiness: () => [
      { name: "lock", ok: true },
      { name: "store", ok: true },
    ],
    ready: () => true,
    deliver: () => {},
    logger: pino({ level: "silent" }),
    version: "bench",
    now: () => now,
  });
  dog.check();
  now += 2000;
  dog.check();
  const checkMs: number[] = [];
  for (let i = 0; i < checks; i++) {
    now += 5000;
    const t0 = performance.now();
    dog.check();
    checkMs.push(performance.now() - t0);
  }
  dog.stop();
  store.close();
  return { checkMs, rows: { outbox: 200_000, runs: 200_000, cronRuns: 100_000 } };
}
