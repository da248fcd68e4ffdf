/**
 * The channel contract suite: the exactly-once, crash and reconnect tests every channel to an
 * outside platform passes, each against real gateway processes and the platform's fake (through
 * its PlatformDriver, driver.ts). A platform's test file calls `channelContract` with its driver.
 *
 * What each test proves, whatever the platform:
 *   - kill -9 at random moments of a burst, restart: every message answered exactly once, run once;
 *   - the receiving connection breaks again and again during a burst: nothing lost, nothing twice;
 *   - send answers lost and sends refused with a rate limit: every reply arrives exactly once;
 *   - two gateways with one credential: exactly one serves it, the other says which process does.
 *
 * Seeds: ONEBRAIN_CONTRACT_SEEDS=N runs the kill test with seeds 1..N (default 2).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { connectGateway } from "../../../src/client/gateway-client.ts";
import { openStore } from "../../../src/store/db.ts";
import { FakeModelServer } from "../../helpers/fake-model.ts";
import { spawnCli, startGateway, tmpDir, type Proc, type RunningGateway } from "../../helpers/gateway.ts";
import { prng } from "../../helpers/prng.ts";
import { reapAll, track } from "../../gateway/support.ts";
import type { PlatformDriver, Said } from "./driver.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SEEDS = Array.from({ length: Number(process.env.ONEBRAIN_CONTRACT_SEEDS ?? 2) }, (_, i) => i + 1);

interface Pipeline {
  pendingInbound: number;
  pendingOutbox: number;
  activeRuns: number;
}

/** Registers the contract tests for one platform. */
export function channelContract(driver: PlatformDriver): void {
  const model = new FakeModelServer();
  before(async () => {
    await model.start();
    await driver.start();
  });
  after(async () => {
    reapAll();
    await driver.close();
    await model.close();
  });

  /** A gateway config serving `users` in direct messages, runs in parallel across them. */
  const config = (users: readonly string[]) => ({
    models: { primary: "fake/echo-1", providers: { fake: { kind: "openai", baseUrl: model.openaiUrl } } },
    agents: { defaults: { maxConcurrentRuns: 8 } },
    session: { dmScope: "per-channel-peer" },
    channels: { [driver.id]: driver.channelConfig(users) },
  });
  const env = (leases: string) => ({ ONEBRAIN_LEASE_DIR: leases, ...driver.env() });
  /** A gateway serving `users`, on a state dir the driver prepared first (a linked device, where the platform has one). */
  const gateway = async (users: readonly string[], leases: string) => {
    const stateDir = path.join(tmpDir(), "state");
    driver.prepare?.(stateDir);
    return track(await startGateway({ stateDir, config: config(users), env: env(leases) }));
  };

  /** Waits until every message has an answer and the gateway has nothing left to do (or stays idle with answers missing). */
  async function settle(port: number, said: readonly Said[], proc: Proc, limitMs = 90_000): Promise<void> {
    const conn = await connectGateway({ url: `ws://127.0.0.1:${port}`, timeoutMs: 5000 });
    try {
      let last: Pipeline | undefined;
      const idle = async () => {
        const s = await conn.request<{ pipeline: Pipeline }>("status");
        last = s.pipeline;
        return s.pipeline.pendingInbound === 0 && s.pipeline.pendingOutbox === 0 && s.pipeline.activeRuns === 0 && driver.settled();
      };
      const deadline = Date.now() + limitMs;
      for (let quiet = 0; ;) {
        const done = said.every((s) => driver.repliesTo(s) > 0);
        const isIdle = await idle();
        if (done && isIdle) break;
        quiet = isIdle ? quiet + 1 : 0;
        if (quiet >= 15) break; // idle for 3 s with answers missing: reported by the caller
        if (Date.now() >= deadline) {
          const missing = said.filter((s) => driver.repliesTo(s) === 0);
          const channel = ((await conn.request<{ channels: Array<{ id: string }> }>("channels.status", {})).channels ?? []).find((c) => c.id === driver.id);
          const log = `${proc.stdout()}\n${proc.stderr()}`
            .split("\n")
            .filter((l) => l.includes(driver.id))
            .slice(-15)
            .join("\n");
          assert.fail(
            `the gateway neither answered everything nor became idle within ${limitMs / 1000} s: ${missing.length} unanswered, ` +
              `pipeline ${JSON.stringify(last)}, platform settled ${driver.settled()}; channel ${JSON.stringify(channel)}; ` +
              `first unanswered: ${JSON.stringify(missing.slice(0, 3).map((m) => ({ ...m, platform: driver.describe(m) })))}\nits log lines:\n${log}`,
          );
        }
        await sleep(200);
      }
    } finally {
      await conn.close();
    }
  }

  /** Every message answered exactly once on the platform; stored, run and delivered once in the brain. */
  function assertExactlyOnce(said: readonly Said[], stateDir: string, note = ""): void {
    const wrong = said.filter((s) => driver.repliesTo(s) !== 1);
    const store = openStore(path.join(stateDir, "brain.db"));
    try {
      if (wrong.length) {
        const rows = wrong.slice(0, 5).map((w) => ({
          ...w,
          replies: driver.repliesTo(w),
          platform: driver.describe(w),
          inbound: store.db.prepare("SELECT id, state FROM inbound WHERE channel = ? AND message_id = ?").get(driver.id, w.key),
          outbox: store.db
            .prepare(
              "SELECT o.state, o.attempts, o.send_started_at, o.parts_sent, o.last_error FROM outbox o JOIN inbound i ON i.id = o.inbound_id WHERE i.message_id = ?",
            )
            .all(w.key),
        }));
        assert.fail(`${wrong.length} message(s) not answered exactly once${note}:\n${JSON.stringify(rows, null, 2)}`);
      }
      const one = (sql: string) => (store.db.prepare(sql).get(driver.id) as { n: number }).n;
      assert.equal(one("SELECT count(*) AS n FROM inbound WHERE channel = ?"), said.length, "every message stored exactly once");
      assert.equal(one("SELECT count(*) AS n FROM runs r JOIN inbound i ON i.id = r.inbound_id WHERE i.channel = ?"), said.length, "every message run once");
      assert.equal(one("SELECT count(*) AS n FROM outbox WHERE channel = ? AND state <> 'delivered'"), 0, "every reply delivered");
    } finally {
      store.close();
    }
  }

  /** `count` messages from `users` in random order, a short pause every 20. */
  async function burst(
    users: readonly string[],
    count: number,
    random: () => number,
    label: string,
    out: Said[],
    each?: (i: number) => Promise<void> | void,
  ): Promise<void> {
    for (let i = 0; i < count; i++) {
      out.push(await driver.userSays(users[Math.floor(random() * users.length)]!, `${label}-${i}`));
      await each?.(i);
      if (i % 20 === 19) await sleep(10);
    }
  }

  for (const seed of SEEDS) {
    test(
      `${driver.id} seed ${seed}: kill -9 at random moments of a burst of 300 messages, restarted each time: each is answered exactly once`,
      { timeout: 240_000 },
      async (t) => {
        const random = prng(seed);
        model.reset();
        model.behaviour = { kind: "reply", delayMs: 25 };
        const users = driver.users(30);
        const first = await gateway(users, path.join(tmpDir(), "leases"));
        const { port, stateDir } = first as RunningGateway;
        await driver.ready?.(stateDir);
        let gw: Proc = first;
        const kills: number[] = [];
        // The fake lives across tests: count this test's replies only.
        const before = driver.botMessages();
        try {
          const said: Said[] = [];
          const sending = burst(users, 300, random, `kill-${seed}`, said);
          for (let k = 0; k < 4; k++) {
            await sleep(100 + random() * 600);
            gw.kill("SIGKILL");
            await gw.exited;
            kills.push(driver.botMessages() - before);
            gw = track(spawnCli(["gateway", "--port", String(port)], first.env));
            await gw.waitFor("gateway listening", 20_000);
          }
          await sending;
          await settle(port, said, gw);
          gw.kill("SIGTERM");
          assert.equal((await gw.exited).code, 0);
          assertExactlyOnce(said, stateDir, ` (killed after ${kills.join(", ")} replies)`);
          driver.checkBrain?.(stateDir, said);
          assert.ok(kills.filter((n) => n > 0 && n < 300).length >= 2, `the kills landed mid-flow (after ${kills.join(", ")} replies)`);
          // A message reaches the model again only when a restart resumed its run.
          const store = openStore(path.join(stateDir, "brain.db"));
          try {
            const resumes = new Map(
              (
                store.db.prepare("SELECT i.text, r.resumes FROM runs r JOIN inbound i ON i.id = r.inbound_id").all() as Array<{ text: string; resumes: number }>
              ).map((r) => [r.text, r.resumes]),
            );
            const seen = new Map<string, number>();
            for (const r of model.requests) {
              const last = String(r.body.messages.at(-1)?.content ?? "");
              seen.set(last, (seen.get(last) ?? 0) + 1);
            }
            assert.deepEqual(
              [...seen].filter(([text, n]) => n > 1 + (resumes.get(text) ?? 0)),
              [],
              "no message reached the model twice without a resume",
            );
          } finally {
            store.close();
          }
          t.diagnostic(`${driver.id} seed ${seed}: 300 answered once each; killed after ${kills.join(", ")} replies`);
        } finally {
          gw.kill("SIGKILL");
        }
      },
    );
  }

  test(
    `${driver.id}: the receiving connection breaks 6 times during a burst of 120 messages: each is answered exactly once`,
    { timeout: 120_000 },
    async () => {
      model.reset();
      model.behaviour = { kind: "reply", delayMs: 5 };
      const users = driver.users(12);
      const gw = await gateway(users, path.join(tmpDir(), "leases"));
      try {
        await driver.ready?.(gw.stateDir);
        const said: Said[] = [];
        await burst(users, 120, prng(7), "drop", said, async (i) => {
          if (i % 20 !== 10) return;
          driver.disrupt();
          // Each break on its own: breaks in a row would only test the channel's backoff.
          await sleep(1500);
        });
        await settle(gw.port, said, gw);
        await gw.stop();
        assertExactlyOnce(said, gw.stateDir);
      } finally {
        gw.kill("SIGKILL");
      }
    },
  );

  test(`${driver.id}: sends whose answers are lost and sends refused with retry_after: each reply arrives exactly once`, { timeout: 120_000 }, async () => {
    model.reset();
    model.behaviour = { kind: "reply", delayMs: 5 };
    const users = driver.users(8);
    const gw = await gateway(users, path.join(tmpDir(), "leases"));
    try {
      await driver.ready?.(gw.stateDir);
      const said: Said[] = [];
      driver.loseSendAnswers(6);
      await burst(users, 20, prng(11), "lost", said);
      driver.rateLimitSends(4, 1);
      await burst(users, 20, prng(12), "limited", said);
      await settle(gw.port, said, gw);
      await gw.stop();
      assertExactlyOnce(said, gw.stateDir);
    } finally {
      gw.kill("SIGKILL");
    }
  });

  test(
    `${driver.id}: two gateways with one credential: exactly one serves it, the other names the holder, each message is answered once`,
    { timeout: 120_000 },
    async () => {
      model.reset();
      model.behaviour = { kind: "reply", delayMs: 5 };
      const users = driver.users(10);
      const leases = path.join(tmpDir(), "leases");
      const a = await gateway(users, leases);
      const b = await gateway(users, leases);
      try {
        type Entry = { id: string; state: string; detail?: string };
        const states = async (port: number) => {
          const conn = await connectGateway({ url: `ws://127.0.0.1:${port}`, timeoutMs: 5000 });
          try {
            const r = await conn.request<{ channels: Entry[] }>("channels.status", {});
            return r.channels.find((c) => c.id === driver.id);
          } finally {
            await conn.close();
          }
        };
        let pair: Array<Entry | undefined> = [];
        for (let i = 0; i < 100; i++) {
          pair = [await states(a.port), await states(b.port)];
          if (pair.some((e) => e?.state === "connected") && pair.some((e) => e?.state === "conflict")) break;
          await sleep(100);
        }
        const serving = pair.findIndex((e) => e?.state === "connected");
        assert.ok(serving >= 0 && pair[1 - serving]?.state === "conflict", `one connected and one in conflict: ${JSON.stringify(pair)}`);
        const holder = serving === 0 ? a : b;
        const other = serving === 0 ? b : a;
        assert.match(pair[1 - serving]!.detail ?? "", new RegExp(`pid ${holder.pid}\\b`), "the conflict names the process that holds the credential");
        await driver.ready?.(holder.stateDir);
        const said: Said[] = [];
        await burst(users, 60, prng(13), "two", said);
        await settle(holder.port, said, holder);
        await holder.stop();
        await other.stop();
        assertExactlyOnce(said, holder.stateDir);
        const store = openStore(path.join(other.stateDir, "brain.db"));
        try {
          assert.equal(
            (store.db.prepare("SELECT count(*) AS n FROM inbound WHERE channel = ?").get(driver.id) as { n: number }).n,
            0,
            "the other gateway took nothing",
          );
        } finally {
          store.close();
        }
      } finally {
        a.kill("SIGKILL");
        b.kill("SIGKILL");
      }
    },
  );
}
