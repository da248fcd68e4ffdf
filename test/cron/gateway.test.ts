/**
 * Cron in a real gateway with a fake model: jobs added from the CLI fire on schedule, each
 * occurrence runs once in the job's own session and ends `done` (no delivery) or `delivered`
 * (announced through the outbox); a gateway down for three occurrences applies each job's missed
 * policy and lists what did not run as missed; a stopped brain fires nothing; bad jobs are refused
 * with the reason named.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { startGateway, tmpDir, type RunningGateway } from "../helpers/gateway.ts";
import { reapAll, track } from "../gateway/support.ts";
import { cli, rows, sleep, until } from "./support.ts";

const fake = new FakeModelServer();
const config = () => ({ models: { primary: "fake/cron-1", providers: { fake: { kind: "openai", baseUrl: fake.openaiUrl } } } });

before(() => fake.start());
after(async () => {
  await fake.close();
  reapAll();
});

test(
  "a job added from the CLI fires every 2 s, once per occurrence, in its own session; announce is delivered through the outbox",
  { timeout: 90_000 },
  async () => {
    const gw = track(await startGateway({ config: config() }));
    try {
      const added = await cli(gw, "add", "pulse", "--every", "2s", "--message", "pulse check");
      assert.equal(added.code, 0, added.stderr);
      assert.equal(added.body.via, "gateway");
      assert.equal(added.body.job.scheduleText, "every 2s");
      const told = await cli(gw, "add", "told", "--every", "3s", "--message", "tell the operator", "--deliver", "webchat:operator", "--missed", "skip");
      assert.equal(told.code, 0, told.stderr);
      await until(
        "3 done occurrences of pulse",
        () => rows(gw.stateDir, "SELECT 1 FROM cron_runs r JOIN cron_jobs j ON j.id = r.job_id WHERE j.name = 'pulse' AND r.state = 'done'").length >= 3,
      );
      await until(
        "a delivered occurrence of told",
        () => rows(gw.stateDir, "SELECT 1 FROM cron_runs r JOIN cron_jobs j ON j.id = r.job_id WHERE j.name = 'told' AND r.state = 'delivered'").length >= 1,
      );
      const pulse = added.body.job.id as string;
      const fired = rows(gw.stateDir, "SELECT scheduled_for AS t, inbound_id AS i FROM cron_runs WHERE job_id = ? AND state <> 'missed' ORDER BY t", pulse);
      assert.equal(new Set(fired.map((r) => r.t)).size, fired.length, "each occurrence once");
      for (let k = 1; k < fired.length; k++) assert.equal((fired[k]!.t as number) - (fired[k - 1]!.t as number), 2000, "on the 2 s grid");
      const sessions = rows(gw.stateDir, "SELECT DISTINCT i.session_key AS k FROM inbound i WHERE i.channel = 'cron' AND i.account = ?", pulse);
      assert.deepEqual(sessions, [{ k: `agent:main:cron:${pulse}` }]);
      assert.equal(
        rows(gw.stateDir, "SELECT 1 FROM outbox o JOIN cron_runs r ON r.inbound_id = o.inbound_id WHERE r.job_id = ?", pulse).length,
        0,
        "no delivery: no outbox row",
      );
      const announced = rows(
        gw.stateDir,
        "SELECT o.channel, o.target, o.state, o.text FROM outbox o JOIN cron_runs r ON r.inbound_id = o.inbound_id WHERE r.job_id = ?",
        told.body.job.id,
      );
      assert.ok(announced.length >= 1);
      assert.deepEqual({ ...announced[0], text: undefined }, { channel: "webchat", target: "operator", state: "delivered", text: undefined });
      assert.equal(announced[0]!.text, "echo: tell the operator");

      const listed = await cli(gw, "list");
      const row = listed.body.jobs.find((j: { name: string }) => j.name === "pulse");
      assert.ok(row.next > Date.now() - 1000, "the next occurrence is ahead");
      assert.ok(["done", "running"].includes(row.last.state));
      const runs = await cli(gw, "runs", "pulse", "--limit", "2");
      assert.equal(runs.body.runs.length, 2);

      // Runs of one job never overlap: while an occurrence is still going, run-now is CRON_BUSY.
      assert.equal((await cli(gw, "pause", "told")).code, 0);
      const now = await until("run-now accepted", async () => {
        const r = await cli(gw, "run-now", "told");
        if (r.code === 82) return assert.equal(r.body.error.code, "CRON_BUSY");
        assert.equal(r.code, 0, r.stderr);
        return r;
      });
      await until(
        "the manual occurrence delivered",
        () => rows(gw.stateDir, "SELECT state FROM cron_runs WHERE id = ?", now.body.occurrenceId)[0]?.state === "delivered",
      );
      assert.equal(rows(gw.stateDir, "SELECT manual FROM cron_runs WHERE id = ?", now.body.occurrenceId)[0]!.manual, 1);

      const paused = await cli(gw, "pause", "pulse");
      assert.equal(paused.body.job.paused, true);
      await sleep(500);
      const before = rows(gw.stateDir, "SELECT count(*) AS n FROM cron_runs WHERE job_id = ?", pulse)[0]!.n;
      await sleep(4500);
      assert.equal(rows(gw.stateDir, "SELECT count(*) AS n FROM cron_runs WHERE job_id = ?", pulse)[0]!.n, before, "a paused job fires nothing");
      assert.equal((await cli(gw, "remove", "pulse")).code, 0);
      assert.equal((await cli(gw, "show", "pulse")).body.error.code, "CRON_NOT_FOUND");
    } finally {
      await gw.stop();
    }
  },
);

test("bad jobs are refused with what was wrong: schedule, zone, target, session, a taken name", { timeout: 60_000 }, async () => {
  const gw = track(await startGateway({ config: config() }));
  try {
    const refused = async (args: string[], re: RegExp) => {
      const r = await cli(gw, "add", ...args);
      assert.equal(r.code, 80, `${args.join(" ")}: ${r.stderr}`);
      assert.equal(r.body.error.code, "CRON_INVALID");
      assert.match(r.body.error.message, re);
    };
    await refused(["a", "--cron", "61 * * * *", "--message", "x"], /Invalid value for minute: 61/);
    await refused(["a", "--cron", "0 9 * * *", "--tz", "Mars/Olympus", "--message", "x"], /Unknown time zone/);
    await refused(["a", "--every", "5m", "--message", "x", "--deliver", "telegram:42"], /No channel "telegram" in this brain/);
    await refused(["a", "--every", "5m", "--message", "x", "--session", "agent:main:nobody"], /No session "agent:main:nobody"/);
    await refused(["a", "--at", "2020-01-01T00:00:00Z", "--message", "x"], /already past/);
    await refused(["Bad Name", "--every", "5m", "--message", "x"], /not usable/);
    assert.equal((await cli(gw, "add", "a", "--every", "5m", "--message", "x")).code, 0);
    await refused(["a", "--every", "5m", "--message", "x"], /exists already/);
  } finally {
    await gw.stop();
  }
});

test("down for three occurrences: skip runs none, latest the newest, all each one, and what did not run is listed as missed", { timeout: 90_000 }, async () => {
  const stateDir = path.join(tmpDir(), "state");
  let gw: RunningGateway = track(await startGateway({ stateDir, config: config() }));
  const ids: Record<string, string> = {};
  for (const policy of ["skip", "latest", "all"]) {
    const r = await cli(gw, "add", `p-${policy}`, "--every", "2s", "--message", `policy ${policy}`, "--missed", policy);
    assert.equal(r.code, 0, r.stderr);
    ids[policy] = r.body.job.id;
  }
  await until("each job fired once", () =>
    Object.values(ids).every((id) => rows(stateDir, "SELECT 1 FROM cron_runs WHERE job_id = ? AND state = 'done'", id).length >= 1),
  );
  await gw.stop();
  const downAt = Date.now();
  await sleep(7000); // three occurrences of each job pass
  const offline = await cli({ env: gw.env }, "list");
  assert.equal(offline.body.via, "store", "listed from the store while the gateway is down");
  gw = track(await startGateway({ stateDir, config: config() }));
  const upAt = Date.now();
  try {
    await until("the jobs decided past the outage", () =>
      Object.values(ids).every((id) => rows(stateDir, "SELECT 1 FROM cron_jobs WHERE id = ? AND cursor >= ?", id, upAt).length),
    );
    await until("nothing running", () => rows(stateDir, "SELECT 1 FROM cron_runs WHERE state = 'running'").length === 0);
    const during = (id: string) => {
      const out: Array<{ t: number; state: string; fired: number | null }> = [];
      for (const r of rows(
        stateDir,
        "SELECT scheduled_for AS t, last_for AS l, count AS n, state, fired_at AS f FROM cron_runs WHERE job_id = ? ORDER BY t",
        id,
      )) {
        const t = r.t as number;
        const n = r.n as number;
        for (let k = 0; k < n; k++) out.push({ t: t + k * 2000, state: r.state as string, fired: r.f as number | null });
      }
      return out.filter((o) => o.t > downAt && o.t < upAt);
    };
    const skip = during(ids.skip!);
    const latest = during(ids.latest!);
    const all = during(ids.all!);
    for (const list of [skip, latest, all]) assert.ok(list.length >= 3, `three occurrences passed while down: ${JSON.stringify(list)}`);
    // skip: none runs, except the newest when it was still within its grace (1 s) at the restart.
    for (const [k, o] of skip.entries()) {
      if (o.state === "missed") continue;
      assert.equal(k, skip.length - 1, "only the newest may have been on time");
      assert.ok(o.fired! - o.t <= 1000, "and only within its grace");
    }
    assert.ok(skip.filter((o) => o.state === "missed").length >= skip.length - 1);
    assert.deepEqual(
      latest.map((o) => o.state),
      [...latest.slice(0, -1).map(() => "missed"), "done"],
      "latest: the newest ran, the others are missed",
    );
    assert.deepEqual(
      all.map((o) => o.state),
      all.map(() => "done"),
      "all: every one ran",
    );
    const runs = await cli(gw, "runs", "p-skip");
    assert.ok(runs.body.runs.some((r: { state: string; note: string }) => r.state === "missed" && /while the gateway was down/.test(r.note)));
  } finally {
    await gw.stop();
  }
  // A stopped brain fires nothing.
  const count = rows(stateDir, "SELECT count(*) AS n FROM cron_runs WHERE state <> 'missed'")[0]!.n;
  await sleep(4500);
  assert.equal(rows(stateDir, "SELECT count(*) AS n FROM cron_runs WHERE state <> 'missed'")[0]!.n, count);
});

test("two brains with the same job (a copied state dir): each fires only its own, from its own workspace", { timeout: 90_000 }, async () => {
  const dirA = path.join(tmpDir(), "state");
  let gw: RunningGateway = track(await startGateway({ stateDir: dirA, config: config() }));
  const added = await cli(gw, "add", "who", "--every", "2s", "--message", "who are you?");
  assert.equal(added.code, 0, added.stderr);
  await gw.stop();
  const dirB = path.join(tmpDir(), "state");
  fs.cpSync(dirA, dirB, { recursive: true });
  for (const [dir, name] of [
    [dirA, "A"],
    [dirB, "B"],
  ] as const) {
    fs.mkdirSync(path.join(dir, "workspace"), { recursive: true });
    fs.writeFileSync(path.join(dir, "workspace", "AGENTS.md"), `You are brain ${name}.`);
  }
  // The model answers with the system prompt it was given: the workspace the run came from.
  fake.respond = (req) => {
    const system = (req.body.messages as Array<{ role: string; content: unknown }>).find((m) => m.role === "system");
    const text = typeof system?.content === "string" ? system.content : JSON.stringify(system?.content ?? "");
    return { kind: "reply", text: /brain [AB]/.exec(text)?.[0] ?? "no workspace" };
  };
  const a = track(await startGateway({ stateDir: dirA, config: config() }));
  const b = track(await startGateway({ stateDir: dirB, config: config() }));
  gw = a;
  try {
    const done = (dir: string) => rows(dir, "SELECT count(*) AS n FROM cron_runs WHERE state = 'done'")[0]!.n as number;
    await until("both brains fired twice since the copy", () => done(dirA) >= 3 && done(dirB) >= 3);
    const answers = (dir: string) =>
      rows(dir, "SELECT DISTINCT m.content FROM messages m JOIN cron_runs r ON r.inbound_id = m.inbound_id WHERE m.role = 'assistant'").map((r) => r.content);
    assert.deepEqual(answers(dirA), ["brain A"]);
    assert.deepEqual(answers(dirB), ["brain B"], "the copy runs in its own workspace, never the other's");
    await b.stop();
    const frozen = rows(dirB, "SELECT count(*) AS n FROM cron_runs")[0]!.n;
    const before = done(dirA);
    await sleep(4500);
    assert.equal(rows(dirB, "SELECT count(*) AS n FROM cron_runs")[0]!.n, frozen, "the stopped brain fires nothing");
    assert.ok(done(dirA) > before, "the running one goes on");
  } finally {
    fake.respond = undefined;
    await a.stop();
    await b.stop();
  }
});
