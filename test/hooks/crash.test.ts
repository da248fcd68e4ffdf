/**
 * The durable idempotency of webhooks: 100 deliveries, each sent 3 times with its own key, and
 * the gateway killed with SIGKILL while the first sends are still arriving and runs are going.
 * After the restart each key is sent twice more. Every key ends as exactly one delivery, one
 * message and one run; a replay answers the first delivery's id (the one a 202 named before the
 * kill); nothing is lost (every delivery is answered).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { startGateway, type CliResult, type RunningGateway } from "../helpers/gateway.ts";
import { reapAll, track } from "../gateway/support.ts";
import { hookConfig, hookGateway, post, rows, until, type Answer } from "./support.ts";

const fake = new FakeModelServer();
before(() => fake.start());
after(async () => {
  await fake.close();
  reapAll();
});

const N = 100;
// Spread over the built-in endpoint and three mappings: four sessions whose runs go on at once.
const HOOKS = ["agent", "m0", "m1", "m2"];
const hookOf = (i: number) => HOOKS[i % HOOKS.length]!;
const bodyOf = (i: number) => (hookOf(i) === "agent" ? { message: `delivery ${i}` } : { n: i });

/** Runs `fn` over 0..n-1, `width` at a time. */
async function pool(n: number, width: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

test(
  "100 deliveries sent 3 times across a kill -9: one delivery, one message and one run each; replays answer the first id",
  { timeout: 240_000 },
  async () => {
    // Slow enough that runs are queued and going when the gateway is killed.
    fake.behaviour = { kind: "reply", delayMs: 15 };
    const mappings = Object.fromEntries(HOOKS.slice(1).map((h) => [h, { message: `delivery {{body.n}} via ${h}` }]));
    const config = hookConfig(fake, { hooks: { mappings } });
    const { gw: first, token, base } = await hookGateway(config);
    let gw: RunningGateway = first;
    const send = (i: number): Promise<Answer> => post(base, `/hooks/${hookOf(i)}`, bodyOf(i), { token, headers: { "idempotency-key": `key-${i}` } });

    // Send 1: the gateway is killed once 60 have been answered; the sends then in flight get no answer.
    const firstIds = new Map<number, string>();
    // A holder, not a variable: the pool's callbacks set it.
    const kill: { exited: Promise<CliResult> | null } = { exited: null };
    await pool(N, 8, async (i) => {
      try {
        const a = await send(i);
        if (a.status === 202) firstIds.set(i, a.body.runId);
        else assert.fail(`send 1 of ${i}: ${a.status} ${JSON.stringify(a.body)}`);
      } catch (err) {
        if (!kill.exited) throw err;
      }
      if (firstIds.size >= 60 && !kill.exited) {
        gw.kill("SIGKILL");
        kill.exited = gw.exited;
      }
    });
    assert.ok(kill.exited, "the gateway was killed during the first sends");
    assert.equal((await kill.exited).signal, "SIGKILL");
    assert.ok(firstIds.size >= 60 && firstIds.size < N, `answered before the kill: ${firstIds.size}`);
    const running = rows(gw.stateDir, "SELECT count(*) AS n FROM inbound WHERE channel = 'hook' AND state IN ('pending', 'running')")[0]!.n as number;
    assert.ok(running > 0, "some deliveries were still waiting or running at the kill");

    // Sends 2 and 3, after the restart.
    gw = track(await startGateway({ stateDir: first.stateDir, port: first.port, config }));
    try {
      const later = new Map<number, Answer[]>();
      await pool(N, 8, async (i) => {
        const a = await send(i);
        const b = await send(i);
        later.set(i, [a, b]);
      });
      for (let i = 0; i < N; i++) {
        const [a, b] = later.get(i)!;
        assert.deepEqual([b!.status, b!.body.duplicate], [200, true], `send 3 of ${i} is a replay`);
        assert.equal(b!.body.runId, a!.body.runId, `sends 2 and 3 of ${i} name one delivery`);
        const known = firstIds.get(i);
        if (known) assert.deepEqual([a!.status, a!.body], [200, { runId: known, duplicate: true }], `send 2 of ${i} answers the id of send 1`);
        else assert.ok(a!.status === 202 || a!.status === 200, `send 2 of ${i}: ${a!.status}`);
      }

      await until(
        "every delivery answered",
        () => rows(gw.stateDir, "SELECT count(*) AS n FROM inbound WHERE channel = 'hook' AND state <> 'answered'")[0]!.n === 0,
        120_000,
      );
      const deliveries = rows(gw.stateDir, "SELECT id, idempotency_key AS k, hook, inbound_id AS inbound FROM hook_deliveries");
      assert.equal(deliveries.length, N, "one delivery per key");
      assert.deepEqual(new Set(deliveries.map((d) => d.k)), new Set(Array.from({ length: N }, (_, i) => `${hookOf(i)}:key-${i}`)));
      for (let i = 0; i < N; i++) {
        const id = later.get(i)![0]!.body.runId as string;
        assert.equal(deliveries.find((d) => d.k === `${hookOf(i)}:key-${i}`)!.id, id, `the stored delivery of ${i} is the one answered`);
      }
      const inbound = rows(
        gw.stateDir,
        "SELECT i.id, i.message_id AS mid, i.text, (SELECT count(*) FROM runs r WHERE r.inbound_id = i.id) AS runs FROM inbound i WHERE i.channel = 'hook'",
      );
      assert.equal(inbound.length, N, "one message per delivery");
      assert.deepEqual(new Set(inbound.map((r) => r.mid)), new Set(deliveries.map((d) => d.id)));
      assert.deepEqual(
        inbound.filter((r) => r.runs !== 1),
        [],
        "exactly one run per message (a run cut by the kill resumed under its own id)",
      );
      assert.ok((rows(gw.stateDir, "SELECT count(*) AS n FROM runs WHERE resumes > 0")[0]!.n as number) >= 1, "a run the kill cut was resumed");
      const done = rows(gw.stateDir, "SELECT count(*) AS n FROM runs WHERE state = 'done'")[0]!.n;
      assert.equal(done, N, "every run answered");
      const texts = new Set(inbound.map((r) => r.text));
      for (let i = 0; i < N; i++) assert.ok(texts.has(hookOf(i) === "agent" ? `delivery ${i}` : `delivery ${i} via ${hookOf(i)}`), `message of ${i}`);
    } finally {
      await gw.stop();
      fake.behaviour = { kind: "reply" };
    }
  },
);
