/**
 * A crash at each point of a run's journal, simulated in-process: the brain stops dead (nothing
 * more written, no tool acts again) and a new brain opens the same database with a new epoch. The
 * message is answered exactly once; a side effect that started before the crash is never executed
 * again; read-only calls run again; the model is told "outcome unknown" exactly for the call that
 * had started.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import type { ChatTurn } from "../../src/agent/provider.ts";
import { UNKNOWN_OUTCOME } from "../../src/brain/resume.ts";
import { openStore } from "../../src/store/db.ts";
import { call, callsAnswered, ScriptedModel, type TurnScript } from "../helpers/scripted-model.ts";
import { msg, until } from "./harness.ts";
import { toolHarness, type ToolHarness } from "./tool-harness.ts";

/** The run: a read (peek) and a side effect (append) in one turn, then the answer. */
const PLAN: TurnScript = { text: "Checking.", calls: [call("c1", "peek"), call("c2", "append", { text: "A" })] };

function sideEffects(h: ToolHarness): number {
  const file = path.join(h.workspace, "log.txt");
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean).length : 0;
}

function lastResults(model: ScriptedModel): Map<string, string> {
  const sent = model.requests.at(-1)!.messages;
  assert.ok(callsAnswered(sent), "every call in what the model was sent has its result");
  const tool = sent.findLast((t): t is Extract<ChatTurn, { role: "tool" }> => t.role === "tool");
  return new Map(tool?.results.map((r) => [r.callId, r.content]));
}

/** Runs the message on a first brain until `point`, crashes it, and lets a second brain finish. */
async function crashAt(point: string, secondModel: TurnScript[] = [{ text: "Done checking." }]) {
  const first = toolHarness({ model: new ScriptedModel([PLAN, async (req) => (await first.gates.at("model:2", req.signal), { text: "never" })]) });
  first.gates.hold(point);
  first.brain.start();
  await first.brain.ingest("test", "a1", { messages: [msg("1", "check and log")] });
  await first.gates.reached(point);
  const before = sideEffects(first);
  first.crash();
  const second = toolHarness({ file: first.file, workspace: first.workspace, model: new ScriptedModel(secondModel) });
  assert.deepEqual(second.brain.start(), { interrupted: 0, resumed: 1 });
  await until(() => second.channel.delivered.length === 1);
  assert.deepEqual(
    second.channel.delivered.map((d) => [d.text, d.idempotencyKey]),
    [["Done checking.", "reply:1"]],
  );
  const one = (sql: string) => (second.store.db.prepare(sql).get() as { n: number }).n;
  assert.equal(one("SELECT count(*) AS n FROM outbox"), 1, "one reply");
  assert.equal(one("SELECT count(*) AS n FROM messages WHERE inbound_id = 1 AND role IN ('assistant', 'notice')"), 1, "one answer line");
  assert.equal(one("SELECT count(*) AS n FROM tool_calls WHERE state NOT IN ('done', 'unknown')"), 0, "every call settled");
  return { first, second, before, results: lastResults(second.model) };
}

test("crash while the turn's first call runs (turn journaled, nothing started): both calls run again, the side effect once", async () => {
  const { first, second, before, results } = await crashAt("peek");
  assert.equal(before, 0);
  assert.equal(sideEffects(second), 1);
  assert.equal(first.peeks.n + second.peeks.n, 2, "the read ran again");
  assert.deepEqual([...results.values()], ["0 lines", "appended to log.txt"]);
});

test("crash after the side effect was marked started, before it acted: never run again, the model is told the outcome is unknown", async () => {
  const { second, results } = await crashAt("append:started");
  assert.equal(sideEffects(second), 0, "not executed by the second brain either");
  assert.equal(second.peeks.n, 0, "the read had finished and was journaled: not run again");
  assert.deepEqual(
    [...results],
    [
      ["c1", "0 lines"],
      ["c2", UNKNOWN_OUTCOME],
    ],
  );
  const row = second.store.db.prepare("SELECT state, is_error FROM tool_calls WHERE call_id = 'c2'").get() as { state: string; is_error: number };
  assert.deepEqual({ ...row }, { state: "unknown", is_error: 1 });
});

test("crash after the side effect acted, before its result was journaled: executed exactly once, outcome unknown", async () => {
  const { second, before, results } = await crashAt("append:acted");
  assert.equal(before, 1);
  assert.equal(sideEffects(second), 1, "still once");
  assert.equal(results.get("c2"), UNKNOWN_OUTCOME);
  assert.equal([...results.values()].filter((c) => c === UNKNOWN_OUTCOME).length, 1, "only the started call is unknown");
});

test("crash after one of two calls is done, the other never started: only the other runs, without 'unknown'", async () => {
  const { second, results } = await crashAt("append:before-start");
  assert.equal(second.peeks.n, 0);
  assert.equal(sideEffects(second), 1);
  assert.deepEqual([...results.values()], ["0 lines", "appended to log.txt"]);
});

test("crash during the model call after the tools: the call is made again, no tool runs again", async () => {
  const { second, results } = await crashAt("model:2");
  assert.equal(second.peeks.n, 0);
  assert.equal(sideEffects(second), 1);
  assert.equal(second.model.requests.length, 1, "one model call by the second brain");
  assert.deepEqual([...results.values()], ["0 lines", "appended to log.txt"]);
});

test("a brain that lost its run to a newer process cannot start the side effect; the newer one executes it once", async () => {
  const first = toolHarness({ model: new ScriptedModel([PLAN, { text: "never" }]) });
  first.gates.hold("append:before-start");
  first.brain.start();
  await first.brain.ingest("test", "a1", { messages: [msg("1", "check and log")] });
  await first.gates.reached("append:before-start");
  await new Promise((r) => setImmediate(r)); // the first brain's writes are committed
  // A second process takes the brain while the first is frozen (not dead), and resumes the run.
  const second = toolHarness({ file: first.file, workspace: first.workspace, model: new ScriptedModel([{ text: "Done checking." }]) });
  second.brain.start();
  await until(() => second.channel.delivered.length === 1);
  assert.equal(sideEffects(second), 1);
  // The first one wakes up and tries to go on.
  first.gates.release("append:before-start");
  await until(() => first.events.some((e) => e.type === "fenced"));
  assert.equal(sideEffects(second), 1, "the frozen process did not act");
  const runs = second.store.db.prepare("SELECT state FROM runs").all() as Array<{ state: string }>;
  assert.deepEqual(
    runs.map((r) => r.state),
    ["done"],
  );
  assert.equal((second.store.db.prepare("SELECT count(*) AS n FROM messages WHERE role = 'assistant' AND inbound_id = 1").get() as { n: number }).n, 1);
  await first.brain.stop(0);
  first.store.close();
});

test("a run whose journal cannot be read is answered with a notice saying so, once, and not run", async () => {
  const first = toolHarness({ model: new ScriptedModel([PLAN]) });
  first.gates.hold("peek");
  first.brain.start();
  await first.brain.ingest("test", "a1", { messages: [msg("1", "check and log")] });
  await first.gates.reached("peek");
  first.crash();
  const damage = openStore(first.file);
  damage.db.prepare('UPDATE messages SET data = \'[{"id": "c1", "na\' WHERE role = \'assistant\'').run();
  damage.close();
  const second = toolHarness({ file: first.file, workspace: first.workspace });
  assert.deepEqual(second.brain.start(), { interrupted: 1, resumed: 0 });
  await until(() => second.channel.delivered.length === 1);
  assert.match(
    second.channel.delivered[0]!.text,
    /^I was restarted while answering this message and could not pick it up again: its journal could not be read \(transcript line \d+ has unreadable data: .*\)\. Please send it again\.$/,
  );
  assert.equal(second.model.requests.length, 0);
  assert.equal(sideEffects(second), 0);
});

test("a run of an agent that is no longer configured is answered with a notice naming it", async () => {
  const first = toolHarness({ model: new ScriptedModel([PLAN]) });
  first.gates.hold("peek");
  first.brain.start();
  await first.brain.ingest("test", "a1", { messages: [msg("1", "check and log")] });
  await first.gates.reached("peek");
  first.crash();
  const rename = openStore(first.file);
  rename.db.prepare("UPDATE sessions SET agent_id = 'helper'").run();
  rename.close();
  const second = toolHarness({ file: first.file, workspace: first.workspace });
  second.brain.start();
  await until(() => second.channel.delivered.length === 1);
  assert.match(second.channel.delivered[0]!.text, /the agent "helper" that was answering it is no longer configured/);
});
