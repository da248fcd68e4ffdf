/**
 * The watchdog on a real store with an injected clock, its checks driven by hand: chat sends are
 * outbox rows written with the alert (skipping the channel the alert is about), webhook sends are
 * retried as the receiver asks (503 with Retry-After, a reset, a server that never answers) with
 * one Idempotency-Key, refused for good on a 404, and the cron and replies conditions open one alert
 * each however many jobs or replies went wrong.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import pino from "pino";
import { Watchdog } from "../../src/alerts/watchdog.ts";
import { enqueueReply } from "../../src/brain/runs.ts";
import type { ChannelState } from "../../src/channels/channel.ts";
import { alertsSchema } from "../../src/config/schema-alerts.ts";
import { openStore, type Store } from "../../src/store/db.ts";
import { tmpDir } from "../helpers/gateway.ts";

type Answer = (req: http.IncomingMessage, res: http.ServerResponse) => void;
let answer: Answer = (_req, res) => res.writeHead(200).end();
const got: Array<{ key: string; body: Record<string, any> }> = [];
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    got.push({ key: String(req.headers["idempotency-key"]), body: JSON.parse(Buffer.concat(chunks).toString()) });
    answer(req, res);
  });
});
let url = "";
before(async () => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

type Status = { id: string; account: string } & ChannelState;

function dog(o: { targets?: unknown[]; channels?: Status[]; config?: Record<string, unknown>; timeoutMs?: number } = {}) {
  const store: Store = openStore(path.join(tmpDir("onebrain-alerts-"), "brain.db"));
  const clock = { now: 1_000_000 };
  const channels: Status[] = o.channels ?? [
    { id: "telegram", account: "1", state: "connected", since: 0 },
    { id: "slack", account: "T1", state: "connected", since: 0 },
  ];
  const config = alertsSchema.parse({ targets: o.targets ?? [], afterMs: 1000, recoverAfterMs: 500, ...o.config });
  let delivered = 0;
  const w = new Watchdog({
    store,
    epoch: 1,
    config: () => config,
    env: { ALERT_URL: url },
    channels: () => channels,
    readiness: () => [{ name: "lock", ok: true }],
    ready: () => true,
    deliver: () => delivered++,
    logger: pino({ level: "silent" }),
    version: "test",
    host: "box1",
    now: () => clock.now,
    random: () => 0.5,
    webhookTimeoutMs: o.timeoutMs ?? 2000,
  });
  const rows = (sql: string, ...p: Array<string | number>) => (store.prepare(sql).all(...p) as Array<Record<string, any>>).map((r) => ({ ...r }));
  const close = () => {
    w.stop();
    store.close();
  };
  return { w, store, clock, channels, rows, close, deliveries: () => delivered };
}

test("a chat alert is an outbox row written with it; targets on the failing channel are skipped; the recovery goes where the alert went", () => {
  const t = dog({
    targets: [
      { channel: "telegram", target: "42" },
      { channel: "slack", target: "C1" },
    ],
  });
  t.channels[0] = { id: "telegram", account: "1", state: "conflict", detail: "token in use by pid 9" };
  t.w.check();
  t.clock.now += 1000;
  t.w.check();
  t.w.check();
  const out = t.rows("SELECT channel, target, text, idempotency_key AS k FROM outbox");
  assert.equal(out.length, 1);
  assert.deepEqual([out[0]!.channel, out[0]!.target], ["slack", "C1"]);
  assert.equal(
    out[0]!.text,
    "onebrain alert from box1: telegram@1 is in conflict: token in use by pid 9 (since 00:16 UTC). A recovery message follows when it clears.",
  );
  assert.ok(t.deliveries() >= 1, "delivery was started");
  t.channels[0] = { id: "telegram", account: "1", state: "connected", since: t.clock.now };
  t.w.check();
  t.clock.now += 500;
  t.w.check();
  t.w.check();
  const all = t.rows("SELECT channel, target, text FROM outbox ORDER BY id");
  assert.equal(all.length, 2);
  assert.deepEqual([all[1]!.channel, all[1]!.target, all[1]!.text], ["slack", "C1", "onebrain recovered on box1: channel telegram@1 is fine again after 1s."]);
  const s = t.w.status();
  assert.deepEqual(
    [s.open.length, s.recent[0]!.condition, s.recent[0]!.sends.map((x) => `${x.phase} ${x.target} ${x.state}`)],
    [0, "channel:telegram@1", ["recovery slack:C1 queued", "open slack:C1 queued"]],
  );
  t.close();
});

test("with no target outside the failing channel the alert is still recorded (and logged), with no send", () => {
  const t = dog({ targets: [{ channel: "telegram", target: "42" }] });
  t.channels[0] = { id: "telegram", account: "1", state: "failed", reason: "token revoked" };
  t.clock.now += 5000;
  t.w.check();
  t.w.check();
  t.clock.now += 5000;
  t.w.check();
  assert.deepEqual(t.rows("SELECT condition, detail, sends FROM alerts"), [
    { condition: "channel:telegram@1", detail: "telegram@1 failed: token revoked", sends: 0 },
  ]);
  assert.equal(t.rows("SELECT 1 FROM outbox").length, 0);
  t.close();
});

test("no targets, or alerts.enabled false: nothing is watched or recorded", () => {
  for (const o of [{ targets: [] }, { targets: [{ channel: "slack", target: "C1" }], config: { enabled: false } }]) {
    const t = dog(o);
    t.channels[0] = { id: "telegram", account: "1", state: "failed", reason: "token revoked" };
    t.w.check();
    t.clock.now += 10_000;
    t.w.check();
    assert.equal(t.rows("SELECT 1 FROM alerts").length, 0);
    assert.equal(t.w.status().enabled, false);
    t.close();
  }
});

test("a webhook that answers 503 with Retry-After is tried again after it, with the same Idempotency-Key, until a 2xx", async () => {
  got.length = 0;
  let n = 0;
  answer = (_req, res) => (++n === 1 ? res.writeHead(503, { "retry-after": "7" }).end() : res.writeHead(202).end());
  const t = dog({ targets: [{ urlEnv: "ALERT_URL" }], config: { watch: { readiness: true, channels: true, cron: false, replies: false } } });
  t.channels[1] = { id: "slack", account: "T1", state: "reconnecting", attempt: 3, nextAttemptAt: 0, lastError: "ECONNRESET" };
  t.w.check();
  t.clock.now += 1000;
  t.w.check();
  await t.w.pump();
  assert.equal(got.length, 1);
  assert.deepEqual(t.rows("SELECT state, attempts, next_at - ? AS wait, last_error FROM alert_sends", t.clock.now), [
    { state: "pending", attempts: 1, wait: 7000, last_error: "HTTP 503" },
  ]);
  t.clock.now += 6999;
  await t.w.pump();
  assert.equal(got.length, 1, "not before Retry-After");
  t.clock.now += 1;
  await t.w.pump();
  assert.equal(got.length, 2);
  assert.equal(got[0]!.key, got[1]!.key);
  assert.deepEqual([got[1]!.body.type, got[1]!.body.condition, got[1]!.body.host], ["alert", "channel:slack@T1", "box1"]);
  assert.deepEqual(t.rows("SELECT state, attempts, last_error FROM alert_sends"), [{ state: "sent", attempts: 2, last_error: null }]);
  await t.w.pump();
  assert.equal(got.length, 2, "a sent alert is not sent again");
  t.close();
});

test("a webhook that answers 404 is a refusal: failed at once, never tried again", async () => {
  got.length = 0;
  answer = (_req, res) => res.writeHead(404).end("no such hook");
  const t = dog({ targets: [{ url }] });
  t.channels[0] = { id: "telegram", account: "1", state: "conflict", detail: "x" };
  t.w.check();
  t.clock.now += 1000;
  t.w.check();
  await t.w.pump();
  t.clock.now += 3_600_000;
  await t.w.pump();
  assert.equal(got.length, 1);
  assert.deepEqual(t.rows("SELECT state, last_error FROM alert_sends"), [{ state: "failed", last_error: "refused: HTTP 404" }]);
  t.close();
});

test("a webhook that resets the connection, or never answers, is tried again with backoff", async () => {
  for (const misbehave of [(req: http.IncomingMessage) => req.socket.destroy(), () => {}] as Answer[]) {
    got.length = 0;
    answer = misbehave;
    const t = dog({ targets: [{ url }], timeoutMs: 300 });
    t.channels[0] = { id: "telegram", account: "1", state: "conflict", detail: "x" };
    t.w.check();
    t.clock.now += 1000;
    t.w.check();
    await t.w.pump();
    const [row] = t.rows("SELECT state, attempts, next_at - ? AS wait, last_error FROM alert_sends", t.clock.now);
    assert.equal(row!.state, "pending");
    assert.ok(row!.wait >= 2500 && row!.wait <= 5000, `first retry after ~5 s, got ${row!.wait}`);
    assert.match(row!.last_error, misbehave.length === 1 ? /ECONNRESET|socket hang up|Error/ : /no answer within 300 ms/);
    t.close();
  }
  answer = (_req, res) => res.writeHead(200).end();
});

test("missed occurrences of several jobs are one `cron` alert at once; the next good occurrence of each recovers it", () => {
  const t = dog({ targets: [{ channel: "slack", target: "C1" }] });
  const job = t.store.prepare(
    `INSERT INTO cron_jobs (id, name, schedule, agent_id, message, delivery, missed, catchup_window_ms, timeout_seconds, cursor, created_at, updated_at)
     VALUES (?, ?, '{"kind":"every","everyMs":60000}', 'main', 'hi', '{"mode":"none"}', 'skip', 0, 60, 0, 0, 0)`,
  );
  const occurrence = t.store.prepare("INSERT INTO cron_runs (job_id, scheduled_for, last_for, count, state, note) VALUES (?, ?, ?, ?, ?, ?)");
  job.run("j1", "daily");
  job.run("j2", "hourly");
  job.run("j3", "paused-one");
  t.store.prepare("UPDATE cron_jobs SET paused = 1 WHERE id = 'j3'").run();
  occurrence.run("j1", 0, 120_000, 3, "missed", "the gateway was down");
  occurrence.run("j2", 0, null, 1, "unknown", "the run was cut by a crash");
  occurrence.run("j3", 0, null, 1, "missed", "paused jobs are left out");
  t.w.check();
  const [alert] = t.rows("SELECT condition, detail FROM alerts");
  assert.equal(alert!.condition, "cron");
  assert.equal(
    alert!.detail,
    'cron: "daily" missed 3 runs (1970-01-01T00:00Z to 1970-01-01T00:02Z): the gateway was down; "hourly" ended unknown at 1970-01-01T00:00Z: the run was cut by a crash',
  );
  occurrence.run("j1", 180_000, null, 1, "done", null);
  t.w.check();
  t.clock.now += 1000;
  t.w.check();
  assert.equal(t.rows("SELECT 1 FROM alerts WHERE closed_at IS NOT NULL").length, 0, "hourly is still bad");
  occurrence.run("j2", 180_000, null, 1, "running", null);
  t.w.check();
  assert.equal(t.rows("SELECT 1 FROM alerts WHERE closed_at IS NOT NULL").length, 0, "a running occurrence is not an outcome");
  t.store.prepare("UPDATE cron_runs SET state = 'delivered' WHERE job_id = 'j2' AND state = 'running'").run();
  t.w.check();
  t.clock.now += 500;
  t.w.check();
  assert.equal(t.rows("SELECT 1 FROM alerts WHERE condition = 'cron' AND closed_at IS NOT NULL").length, 1);
  assert.equal(t.rows("SELECT 1 FROM outbox").length, 2, "one alert, one recovery");
  t.close();
});

test("three failed replies in a row on a channel open `replies` (not sent on that channel); one delivered reply recovers it", () => {
  const t = dog({
    targets: [
      { channel: "telegram", target: "42" },
      { channel: "slack", target: "C1" },
    ],
  });
  const reply = (i: number, state: string) => {
    const id = enqueueReply(t.store, {
      inboundId: null,
      key: `r${i}`,
      channel: "telegram",
      account: "1",
      target: "5",
      replyTo: null,
      text: "x",
      epoch: 1,
      now: 0,
    });
    t.store
      .prepare("UPDATE outbox SET state = ?, last_error = ? WHERE id = ?")
      .run(state, state === "failed" ? "Forbidden: bot was blocked by the user" : null, id);
  };
  reply(1, "delivered");
  reply(2, "failed");
  reply(3, "failed");
  t.w.check();
  assert.equal(t.rows("SELECT 1 FROM alerts").length, 0, "two failures are under the threshold of 3");
  reply(4, "failed");
  t.w.check();
  const [a] = t.rows("SELECT condition, detail FROM alerts");
  assert.deepEqual(a, { condition: "replies", detail: "replies: the last 3 replies on telegram@1 failed (Forbidden: bot was blocked by the user)" });
  assert.deepEqual(t.rows("SELECT channel FROM outbox WHERE idempotency_key LIKE 'alert:%'"), [{ channel: "slack" }]);
  reply(5, "delivered");
  t.w.check();
  t.clock.now += 500;
  t.w.check();
  assert.equal(t.rows("SELECT 1 FROM alerts WHERE closed_at IS NOT NULL").length, 1);
  t.close();
});

test("`test` sends to every target and says what became of each; with none usable it is ALERTS_NO_TARGET naming why", async () => {
  got.length = 0;
  answer = (_req, res) => res.writeHead(204).end();
  const t = dog({ targets: [{ url }, { channel: "slack", target: "C1" }] });
  const view = await t.w.test(300);
  assert.equal(view.condition, "test");
  assert.deepEqual(view.sends.map((s) => `${s.target} ${s.state}`).sort(), [`slack:C1 queued`, `webhook http://127.0.0.1:${new URL(url).port}/… sent`]);
  assert.equal(got[0]!.body.type, "test");
  t.close();
  const none = dog({ targets: [{ channel: "discord", target: "9" }, { urlEnv: "NOT_SET_ANYWHERE" }] });
  await assert.rejects(none.w.test(), (err: Error & { code?: string }) => {
    assert.equal(err.code, "ALERTS_NO_TARGET");
    assert.match(err.message, /discord:9: no channel discord@default runs in this gateway/);
    assert.match(err.message, /the environment variable NOT_SET_ANYWHERE is not set/);
    return true;
  });
  none.close();
});

test("hostile webhook answers: a redirect is a refusal, a 20 MB answer is not held, and a URL's secret never shows in a send, status or error", async () => {
  got.length = 0;
  const secretUrl = `${url}/T000/B000/SECRETPART`;
  answer = (_req, res) => res.writeHead(302, { location: "http://127.0.0.1:1/elsewhere" }).end();
  const t = dog({ targets: [{ url: secretUrl }] });
  t.channels[0] = { id: "telegram", account: "1", state: "failed", reason: "token revoked" };
  t.w.check();
  t.clock.now += 1000;
  t.w.check();
  await t.w.pump();
  assert.deepEqual(t.rows("SELECT state, last_error FROM alert_sends"), [{ state: "failed", last_error: "refused: HTTP 302" }]);
  answer = (_req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    const chunk = Buffer.alloc(1024 * 1024, 120);
    let n = 0;
    const more = () => {
      while (n < 20 && res.write(chunk)) n++;
      if (n >= 20) res.end();
      else res.once("drain", () => (n++, more()));
    };
    more();
  };
  const view = await t.w.test(5000);
  assert.deepEqual(
    view.sends.map((s) => s.state),
    ["sent"],
    "a 2xx is sent, whatever its body",
  );
  const everything = JSON.stringify([t.w.status(), t.rows("SELECT * FROM alert_sends"), t.rows("SELECT * FROM alerts")]);
  assert.ok(!everything.includes("SECRETPART"), "the URL's path is never stored or shown");
  t.close();
  answer = (_req, res) => res.writeHead(200).end();
});
