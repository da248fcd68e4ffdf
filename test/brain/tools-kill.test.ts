/**
 * The agent acts, and kill -9 lands anywhere: 200 messages flow while the gateway is killed and
 * restarted at random moments, and every run calls tools (a fake model with a deterministic
 * script: write a file and append to a log with exec, then read the file back, then answer).
 * Every message is answered exactly once; every side effect happens at most once, counted by the
 * side effect itself (the lines exec appended); no run whose interruption left nothing in doubt
 * ends with "please send it again" — interrupted runs resume from their journal.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { openStore } from "../../src/store/db.ts";
import { FakeModelServer, type Behaviour, type RecordedRequest } from "../helpers/fake-model.ts";
import { startGateway } from "../helpers/gateway.ts";
import { flowWithKills } from "../helpers/kill-flow.ts";
import { prng } from "../helpers/prng.ts";

const MESSAGES = 200;
const SESSIONS = 16;
const KILLS = 4;
// One seed in the normal run; ONEBRAIN_CRASH_SEEDS=N runs seeds 1..N (a longer soak).
const SEEDS = Array.from({ length: Number(process.env.ONEBRAIN_CRASH_SEEDS ?? 1) }, (_, i) => i + 1);

const fake = new FakeModelServer();
before(() => fake.start());
after(() => fake.close());

/**
 * The model's script, read from what it is sent (OpenAI format): the last plain user message is
 * "msg N"; the number of assistant turns after it says which step this is.
 */
export function script(req: RecordedRequest): Behaviour {
  const messages = req.body.messages as Array<{ role: string; content: unknown; tool_calls?: unknown[] }>;
  const last = messages.findLastIndex((m) => m.role === "user" && typeof m.content === "string");
  const n = /^msg (\d+)$/.exec(String(messages[last]?.content))?.[1] ?? "?";
  const after = messages.slice(last + 1);
  const step = after.filter((m) => m.role === "assistant").length;
  if (step === 0) {
    return {
      kind: "tools",
      calls: [
        { name: "write", input: { path: `w/${n}.txt`, content: `written ${n}\n` } },
        // Slow enough that kills land while commands run; the line is the side effect counted.
        { name: "exec", input: { command: `sleep 0.02; echo ${n} >> counter.log` } },
      ],
    };
  }
  if (step === 1) return { kind: "tools", calls: [{ name: "read", input: { path: `w/${n}.txt` } }] };
  const results = after.filter((m) => m.role === "tool").map((m) => String(m.content));
  const unknown = results.some((r) => /outcome unknown/i.test(r));
  return { kind: "reply", text: `done ${n}${unknown ? " (one outcome unknown)" : ""}` };
}

for (const seed of SEEDS) {
  test(
    `seed ${seed}: kill -9 at random points while ${MESSAGES} tool-calling runs flow; each message is answered once and each side effect happens at most once`,
    { timeout: 180_000 },
    async (t) => {
      const random = prng(seed);
      fake.reset();
      fake.respond = script;
      const config = {
        models: { primary: "fake/tools-1", providers: { fake: { kind: "openai", baseUrl: fake.openaiUrl } } },
        agents: { defaults: { maxConcurrentRuns: 8 } },
        tools: { exec: { security: "full" } },
      };
      const first = await startGateway({ config });
      const workspace = path.join(first.stateDir, "workspace");
      const stateDir = first.stateDir;
      const kills = await flowWithKills({
        first,
        random,
        clientId: `tools-crash-${seed}`,
        messages: MESSAGES,
        sessionKey: (i) => `agent:main:tools:${i % SESSIONS}`,
        window: 16,
        kills: KILLS,
        killAfterMs: () => 200 + random() * 600,
        sendGapMs: () => random() * 10,
        quiescentPolls: 1200,
      });
      assert.equal(kills, KILLS);

      // The side effect itself: each message's line appended at most once.
      const lines = fs.existsSync(path.join(workspace, "counter.log"))
        ? fs.readFileSync(path.join(workspace, "counter.log"), "utf8").split("\n").filter(Boolean)
        : [];
      const perMessage = new Map<string, number>();
      for (const l of lines) perMessage.set(l, (perMessage.get(l) ?? 0) + 1);
      assert.deepEqual(
        [...perMessage].filter(([, n]) => n > 1),
        [],
        "no exec ran twice",
      );

      const store = openStore(path.join(stateDir, "brain.db"));
      try {
        const all = <T>(sql: string) => store.db.prepare(sql).all() as T[];
        const one = (sql: string) => (store.db.prepare(sql).get() as { n: number }).n;
        assert.equal(one("SELECT count(*) AS n FROM inbound"), MESSAGES, "every message stored exactly once");
        assert.equal(one("SELECT count(*) AS n FROM inbound WHERE state <> 'answered'"), 0, "every message answered");
        assert.equal(one("SELECT count(*) AS n FROM runs WHERE state = 'running'"), 0);
        assert.equal(one("SELECT count(*) AS n FROM outbox WHERE idempotency_key LIKE 'reply:%'"), MESSAGES, "one reply per message");
        assert.equal(one("SELECT count(*) AS n FROM outbox WHERE state <> 'delivered'"), 0, "every reply delivered");
        const replies = all<{ message_id: string; text: string }>(
          "SELECT i.message_id, o.text FROM inbound i JOIN outbox o ON o.idempotency_key = 'reply:' || i.id",
        );
        const wrong = replies.filter((r) => !r.text.startsWith(`done ${r.message_id.slice(2)}`));
        assert.deepEqual(wrong, [], "every message was answered by the model, none with a notice");

        // Journal against side effects: a finished exec appended exactly one line; an unknown one at most one.
        const execs = all<{ state: string; input: string }>("SELECT state, input FROM tool_calls WHERE name = 'exec'");
        for (const e of execs) {
          const n = /echo (\d+) >>/.exec(e.input)![1]!;
          const count = perMessage.get(n) ?? 0;
          if (e.state === "done") assert.equal(count, 1, `exec of message ${n} is done and appended once`);
          else assert.ok(count <= 1, `exec of message ${n} (${e.state}) appended at most once`);
        }
        assert.equal(new Set(execs.map((e) => e.input)).size, execs.length, "one exec call per message in the journal");
        for (let i = 0; i < MESSAGES; i++) {
          const w = all<{ state: string }>(`SELECT state FROM tool_calls WHERE name = 'write' AND input LIKE '%w/${i}.txt%'`);
          assert.equal(w.length, 1, `message ${i} has one write call`);
          if (w[0]!.state === "done") assert.ok(fs.existsSync(path.join(workspace, "w", `${i}.txt`)), `message ${i}'s file was written`);
        }
        const unknown = one("SELECT count(*) AS n FROM tool_calls WHERE state = 'unknown'");
        const resumed = one("SELECT count(*) AS n FROM runs WHERE resumes > 0");
        t.diagnostic(`seed ${seed}: ${resumed} runs resumed after a kill, ${unknown} side effects in doubt (told to the model), ${lines.length} exec lines`);
      } finally {
        store.close();
      }
    },
  );
}
