/**
 * kill -9 while messages flow, then restart at once, many times: every message is answered
 * exactly once (no loss, no duplicate), a run cut by a kill is resumed by the next process (no
 * "please send it again"), and a message reaches the model again only when its run was resumed.
 * The client behaves as a real one must: it retries every chat.send that was not acknowledged,
 * with the same idempotency key.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { openStore } from "../../src/store/db.ts";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { startGateway } from "../helpers/gateway.ts";
import { flowWithKills } from "../helpers/kill-flow.ts";
import { prng } from "../helpers/prng.ts";

const MESSAGES = 500;
const SESSIONS = 20;
// Three seeds in the normal run; ONEBRAIN_CRASH_SEEDS=N runs seeds 1..N (a longer soak).
const SEEDS = Array.from({ length: Number(process.env.ONEBRAIN_CRASH_SEEDS ?? 3) }, (_, i) => i + 1);

const fake = new FakeModelServer();
before(() => fake.start());
after(() => fake.close());

for (const seed of SEEDS) {
  test(
    `seed ${seed}: kill -9 at random points while ${MESSAGES} messages flow; each is answered exactly once, and a run cut by a kill is resumed`,
    { timeout: 120_000 },
    async (t) => {
      const random = prng(seed);
      fake.reset();
      fake.behaviour = { kind: "reply", delayMs: 2 }; // runs stay in flight long enough to be interrupted
      const config = {
        models: { primary: "fake/echo-1", providers: { fake: { kind: "openai", baseUrl: fake.openaiUrl } } },
        agents: { defaults: { maxConcurrentRuns: 8 } },
      };
      const first = await startGateway({ config });
      const { stateDir } = first;
      const kills = await flowWithKills({
        first,
        random,
        clientId: `crash-${seed}`,
        messages: MESSAGES,
        sessionKey: (i) => `agent:main:crash:${i % SESSIONS}`,
        window: 32,
        kills: 4,
        killAfterMs: () => 150 + random() * 500,
        sendGapMs: () => random() * 8,
        quiescentPolls: 600,
      });
      assert.equal(kills, 4);

      let resumes = new Map<string, number>();
      const store = openStore(path.join(stateDir, "brain.db"));
      try {
        const one = (sql: string) => store.db.prepare(sql).get() as { n: number };
        assert.equal(one("SELECT count(*) AS n FROM inbound").n, MESSAGES, "every message stored exactly once");
        assert.equal(one("SELECT count(*) AS n FROM inbound WHERE state NOT IN ('answered', 'failed')").n, 0, "every message answered");
        assert.equal(one("SELECT count(*) AS n FROM runs WHERE state = 'running'").n, 0);
        const replies = store.db
          .prepare(
            "SELECT i.message_id AS id, sum(m.role IN ('assistant', 'notice')) AS replies, sum(m.role = 'user') AS users FROM inbound i LEFT JOIN messages m ON m.inbound_id = i.id GROUP BY i.id",
          )
          .all() as Array<{ id: string; replies: number; users: number }>;
        const wrong = replies.filter((r) => r.replies !== 1 || r.users !== 1);
        assert.deepEqual(wrong, [], "each message has exactly one user entry and exactly one reply");
        assert.equal(one("SELECT count(*) AS n FROM outbox").n, MESSAGES, "one outbox row per message");
        assert.equal(one("SELECT count(*) AS n FROM outbox WHERE state <> 'delivered'").n, 0, "every reply delivered");
        assert.equal(one("SELECT count(*) AS n FROM messages WHERE role = 'notice'").n, 0, "no run was answered with a notice: each was resumed");
        assert.equal(one("SELECT count(*) AS n FROM messages WHERE role = 'assistant'").n, MESSAGES, "every message answered by the model");
        resumes = new Map(
          (
            store.db.prepare("SELECT i.text, r.resumes FROM runs r JOIN inbound i ON i.id = r.inbound_id").all() as Array<{ text: string; resumes: number }>
          ).map((r) => [r.text, r.resumes]),
        );
      } finally {
        store.close();
      }

      // A message reached the model once, and again only for each restart that resumed its run.
      const seen = new Map<string, number>();
      for (const r of fake.requests) {
        const last = r.body.messages.at(-1)?.content as string;
        seen.set(last, (seen.get(last) ?? 0) + 1);
      }
      const extra = [...seen].filter(([text, n]) => n > 1 + (resumes.get(text) ?? 0));
      assert.deepEqual(extra, [], "no message was run more often than its run was resumed");
      const resumed = [...resumes.values()].filter((n) => n > 0).length;
      t.diagnostic(`seed ${seed}: ${MESSAGES} answered by the model; ${resumed} run(s) cut by a kill and resumed by the next process`);
    },
  );
}
