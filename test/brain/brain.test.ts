import { test } from "node:test";
import assert from "node:assert/strict";
import { transcript } from "../../src/sessions/store.ts";
import { claimNext } from "../../src/brain/runs.ts";
import { harness, msg, until } from "./harness.ts";

test("the same inbound message delivered three times gives one run and one reply", async () => {
  const h = harness();
  h.brain.start();
  for (let i = 0; i < 3; i++) await h.brain.ingest("test", "a1", { messages: [msg("m1", "hello")] });
  await until(() => h.channel.delivered.length === 1);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(h.agent.calls.length, 1);
  assert.equal(h.channel.delivered.length, 1);
  assert.equal(h.channel.delivered[0]!.text, "echo: hello");
  assert.equal(h.channel.delivered[0]!.replyTo, "m1");
  assert.equal((h.store.db.prepare("SELECT count(*) AS n FROM inbound").get() as { n: number }).n, 1);
});

test("the cursor is committed with the messages it covers, and duplicates are reported", async () => {
  const h = harness();
  const first = await h.brain.ingest("test", "a1", { messages: [msg("1", "a"), msg("2", "b")], cursor: "3" });
  const again = await h.brain.ingest("test", "a1", { messages: [msg("2", "b"), msg("3", "c")], cursor: "4" });
  assert.deepEqual([first.accepted, first.duplicates, again.accepted, again.duplicates], [2, 0, 1, 1]);
  assert.equal((h.store.db.prepare("SELECT cursor FROM channel_cursors WHERE channel = 'test'").get() as { cursor: string }).cursor, "4");
});

test("one run at a time per session: later messages queue behind it and are answered in order", async () => {
  const h = harness();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  h.agent.script = async (history) => {
    if (history.length === 1) await gate;
    return `re: ${history[history.length - 1]!.content}`;
  };
  h.brain.start();
  await h.brain.ingest("test", "a1", { messages: [msg("1", "first"), msg("2", "second"), msg("3", "third")] });
  await until(() => h.agent.calls.length === 1);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(h.agent.calls.length, 1, "the second message waits for the first run");
  release();
  await until(() => h.channel.delivered.length === 3);
  assert.deepEqual(
    h.channel.delivered.map((d) => d.text),
    ["re: first", "re: second", "re: third"],
  );
  assert.deepEqual(
    h.agent.calls[2]!.map((t) => t.content),
    ["first", "re: first", "second", "re: second", "third"],
  );
});

test("a global limit caps parallel runs across sessions", async () => {
  const h = harness();
  h.settings.maxConcurrentRuns = 2;
  let inFlight = 0;
  let peak = 0;
  h.agent.script = async () => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((r) => setTimeout(r, 20));
    inFlight--;
    return "ok";
  };
  h.brain.start();
  await h.brain.ingest("test", "a1", { messages: ["p1", "p2", "p3", "p4", "p5"].map((p, i) => msg(`m${i}`, "hi", p)) });
  await until(() => h.channel.delivered.length === 5);
  assert.equal(peak, 2);
});

test("historyLimit bounds what the model receives", async () => {
  const h = harness();
  h.settings.historyLimit = 3;
  h.brain.start();
  for (let i = 1; i <= 4; i++) {
    await h.brain.ingest("test", "a1", { messages: [msg(`m${i}`, `q${i}`)] });
    await until(() => h.channel.delivered.length === i);
  }
  assert.deepEqual(
    h.agent.calls[3]!.map((t) => t.content),
    ["q3", "echo: q3", "q4"],
  );
});

test("/new starts a fresh session and keeps the old transcript; the model then sees only the new one", async () => {
  const h = harness();
  h.brain.start();
  await h.brain.ingest("test", "a1", { messages: [msg("1", "remember 42")] });
  await until(() => h.channel.delivered.length === 1);
  await h.brain.ingest("test", "a1", { messages: [msg("2", "/new")] });
  await until(() => h.channel.delivered.length === 2);
  assert.equal(h.channel.delivered[1]!.text, "Started a new session.");
  await h.brain.ingest("test", "a1", { messages: [msg("3", "what number?")] });
  await until(() => h.channel.delivered.length === 3);
  assert.deepEqual(
    h.agent.calls[1]!.map((t) => t.content),
    ["what number?"],
  );
  const sessions = h.store.db.prepare("SELECT ended_reason FROM sessions ORDER BY id").all() as Array<{ ended_reason: string | null }>;
  assert.deepEqual(
    sessions.map((s) => s.ended_reason),
    ["new", null],
  );
  assert.ok(
    transcript(h.store, "agent:main:test:a1:dm:ada", 50).some((m) => m.content === "remember 42"),
    "the old transcript is kept",
  );
});

test("/status answers from the store without the model: the session, its size and the model; the session goes on", async () => {
  const h = harness();
  h.brain.start();
  await h.brain.ingest("test", "a1", { messages: [msg("1", "remember 42")] });
  await until(() => h.channel.delivered.length === 1);
  await h.brain.ingest("test", "a1", { messages: [msg("2", "/status@onebrain_bot")] });
  await until(() => h.channel.delivered.length === 2);
  const answer = h.channel.delivered[1]!.text;
  assert.match(answer, /^Session agent:main:test:a1:dm:ada\n/);
  assert.match(answer, /2 messages/);
  assert.match(answer, /Model: scripted\/test-1\./);
  assert.equal(h.agent.calls.length, 1, "the model was not asked");
  await h.brain.ingest("test", "a1", { messages: [msg("3", "what number?")] });
  await until(() => h.channel.delivered.length === 3);
  assert.deepEqual(
    h.agent.calls[1]!.map((t) => t.content),
    ["remember 42", "echo: remember 42", "what number?"],
    "/status neither reset the session nor entered the model's history",
  );
});

test("a daily reset at the configured hour starts a new session (injected clock)", async () => {
  const h = harness();
  h.brain.start();
  await h.brain.ingest("test", "a1", { messages: [msg("1", "evening")] });
  await until(() => h.channel.delivered.length === 1);
  h.clock.now = new Date(2026, 10, 22, 4, 30).getTime(); // past 04:00 the next day
  await h.brain.ingest("test", "a1", { messages: [msg("2", "morning")] });
  await until(() => h.channel.delivered.length === 2);
  assert.deepEqual(
    h.agent.calls[1]!.map((t) => t.content),
    ["morning"],
  );
  assert.equal((h.store.db.prepare("SELECT ended_reason FROM sessions WHERE id = 1").get() as { ended_reason: string }).ended_reason, "daily");
});

test("an idle reset after idleMinutes starts a new session (injected clock)", async () => {
  const h = harness();
  h.settings.reset = { mode: "idle", atHour: 4, idleMinutes: 30 };
  h.brain.start();
  await h.brain.ingest("test", "a1", { messages: [msg("1", "a")] });
  await until(() => h.channel.delivered.length === 1);
  h.clock.now += 29 * 60_000;
  await h.brain.ingest("test", "a1", { messages: [msg("2", "b")] });
  await until(() => h.channel.delivered.length === 2);
  assert.equal(h.agent.calls[1]!.length, 3, "29 minutes: same session");
  h.clock.now += 31 * 60_000;
  await h.brain.ingest("test", "a1", { messages: [msg("3", "c")] });
  await until(() => h.channel.delivered.length === 3);
  assert.deepEqual(
    h.agent.calls[2]!.map((t) => t.content),
    ["c"],
  );
});

test("a run interrupted by a crash is resumed on restart under the same run id and answered once", async () => {
  const first = harness();
  await first.brain.ingest("test", "a1", { messages: [msg("1", "long question"), msg("2", "next")] });
  // The crash: a run was claimed (durably 'running') and the process died before it finished.
  const s = first.settings;
  const claimed = claimNext(first.store, {
    defaultAgentId: "main",
    historyLimit: s.historyLimit,
    policy: s.reset,
    epoch: first.store.epoch(),
    now: first.clock.now,
    busy: new Set(),
  });
  assert.ok(claimed);
  first.store.close();
  const second = harness({ file: first.file });
  assert.deepEqual(second.brain.start(), { interrupted: 0, resumed: 1 });
  await until(() => second.channel.delivered.length === 2);
  assert.deepEqual(
    second.channel.delivered.map((d) => d.text),
    ["echo: long question", "echo: next"],
  );
  assert.deepEqual(
    second.agent.calls.map((c) => c.map((t) => t.content)),
    [["long question"], ["long question", "echo: long question", "next"]],
    "the resumed run saw its question once, and the next message waited for it",
  );
  const runs = second.store.db.prepare("SELECT id, state, resumes, epoch FROM runs ORDER BY id").all() as Array<{
    id: number;
    state: string;
    resumes: number;
    epoch: number;
  }>;
  assert.deepEqual(
    runs.map((r) => [r.id, r.state, r.resumes]),
    [
      [claimed.runId, "done", 1],
      [claimed.runId + 1, "done", 0],
    ],
  );
  assert.equal(runs[0]!.epoch, second.store.epoch(), "the resumed run carries the new process's epoch");
});

test("a run cut by a graceful stop is resumed at the next start, not answered with 'send it again'", async () => {
  const first = harness();
  first.agent.script = (_h, signal) => new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
  first.brain.start();
  await first.brain.ingest("test", "a1", { messages: [msg("1", "slow question")] });
  await until(() => first.agent.calls.length === 1);
  await first.brain.stop(0);
  assert.equal(first.channel.delivered.length, 0);
  assert.equal((first.store.db.prepare("SELECT count(*) AS n FROM outbox").get() as { n: number }).n, 0, "the stop wrote no reply");
  first.store.close();
  const second = harness({ file: first.file });
  assert.deepEqual(second.brain.start(), { interrupted: 0, resumed: 1 });
  await until(() => second.channel.delivered.length === 1);
  assert.equal(second.channel.delivered[0]!.text, "echo: slow question");
  assert.equal(second.channel.delivered[0]!.idempotencyKey, "reply:1");
});

test("a run that restarts keep interrupting ends with a notice that says why, after three resumes", async () => {
  let file = "";
  for (let i = 0; i <= 4; i++) {
    const h = harness(file ? { file } : {});
    file = h.file;
    h.agent.script = (_h, signal) => new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
    h.brain.start();
    if (i === 0) await h.brain.ingest("test", "a1", { messages: [msg("1", "loop")] });
    if (i < 4) {
      await until(() => h.agent.calls.length === 1);
      h.store.close(); // a crash mid-run
      continue;
    }
    await until(() => h.channel.delivered.length === 1);
    assert.equal(h.agent.calls.length, 0, "not resumed a fourth time");
    assert.equal(
      h.channel.delivered[0]!.text,
      "This message was interrupted by 4 restarts in a row while I was working on it, so I stopped to avoid a loop (no tool had run yet). Send it again if you still want it.",
    );
    const run = h.store.db.prepare("SELECT state, resumes FROM runs").get() as { state: string; resumes: number };
    assert.deepEqual({ ...run }, { state: "interrupted", resumes: 4 });
  }
});

test("pending replies are delivered after a restart, not regenerated", async () => {
  const first = harness();
  first.channel.failNext = 100; // the platform is down: the reply stays in the outbox
  first.brain.start();
  await first.brain.ingest("test", "a1", { messages: [msg("1", "hi")] });
  await until(() => (first.store.db.prepare("SELECT attempts FROM outbox").get() as { attempts: number } | undefined)?.attempts === 1);
  await first.brain.stop(0);
  first.store.close();
  const second = harness({ file: first.file });
  second.brain.start();
  await until(() => second.channel.delivered.length === 1);
  assert.equal(second.channel.delivered[0]!.text, "echo: hi");
  assert.equal(second.agent.calls.length, 0);
  assert.equal(second.channel.delivered[0]!.idempotencyKey, "reply:1");
});

test("a brain whose epoch is stale (another process took the brain) cannot deliver", async () => {
  const h = harness();
  h.channel.failNext = 1;
  h.brain.start();
  await h.brain.ingest("test", "a1", { messages: [msg("1", "hi")] });
  await until(() => (h.store.db.prepare("SELECT attempts FROM outbox").get() as { attempts: number } | undefined)?.attempts === 1);
  h.store.bumpEpoch(); // what a new owner does when it takes the lock
  await h.brain.deliver();
  assert.equal(h.channel.delivered.length, 0);
  assert.ok(h.events.some((e) => e.type === "fenced"));
  assert.equal((h.store.db.prepare("SELECT state FROM outbox").get() as { state: string }).state, "pending");
});

test("a failed delivery is retried with backoff and then succeeds", async () => {
  const h = harness();
  h.channel.failNext = 1;
  h.brain.start();
  await h.brain.ingest("test", "a1", { messages: [msg("1", "hi")] });
  await until(() => h.channel.delivered.length === 1, 8000);
  assert.equal((h.store.db.prepare("SELECT attempts, state FROM outbox").get() as { attempts: number; state: string }).state, "delivered");
});

test("a run that takes longer than the timeout gets a short error reply, not silence and not a retry", async () => {
  const h = harness();
  h.settings.timeoutSeconds = 1;
  h.agent.script = (_h, signal) => new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
  h.brain.start();
  await h.brain.ingest("test", "a1", { messages: [msg("1", "hi")] });
  await until(() => h.channel.delivered.length === 1, 5000);
  assert.equal(h.channel.delivered[0]!.text, "I could not answer within 1 s. Please try again.");
  assert.equal(h.agent.calls.length, 1);
  assert.ok(h.events.some((e) => e.type === "chat" && e.state === "error"));
});

test("with no model configured the chat gets one clear reply saying what to set", async () => {
  const h = harness();
  h.agent.missing = "No model is configured: set ANTHROPIC_API_KEY or OPENAI_API_KEY.";
  h.brain.start();
  await h.brain.ingest("test", "a1", { messages: [msg("1", "hi")] });
  await until(() => h.channel.delivered.length === 1);
  assert.equal(h.channel.delivered[0]!.text, h.agent.missing);
  assert.equal(h.agent.calls.length, 0);
});

test("abort stops a running run and answers 'Stopped.'; deltas reached every listener first", async () => {
  const h = harness();
  h.agent.script = (_h, signal, onDelta) => {
    onDelta("partial");
    return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
  };
  h.brain.start();
  await h.brain.ingest("test", "a1", { messages: [msg("1", "hi")] });
  await until(() => h.brain.activeRuns().length === 1 && h.events.some((e) => e.type === "chat" && e.state === "delta"));
  assert.equal(h.brain.abort({ sessionKey: "agent:main:test:a1:dm:ada" }), true);
  await until(() => h.channel.delivered.length === 1);
  assert.equal(h.channel.delivered[0]!.text, "Stopped.");
  assert.ok(h.events.some((e) => e.type === "chat" && e.state === "aborted"));
});
