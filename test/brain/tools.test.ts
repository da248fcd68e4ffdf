import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import type { ChatTurn } from "../../src/agent/provider.ts";
import type { ApprovalDecision, CallOrigin, Tool } from "../../src/agent/tools/types.ts";
import type { ProcessGroupRecord } from "../../src/brain/brain.ts";
import { modelHistory, transcript } from "../../src/sessions/store.ts";
import { call, callsAnswered, ScriptedModel } from "../helpers/scripted-model.ts";
import { sideEffectTool } from "../helpers/test-tools.ts";
import { msg, until } from "./harness.ts";
import { toolHarness } from "./tool-harness.ts";

const KEY = "agent:main:test:a1:dm:ada";

test("a run with tools journals each turn and result; the transcript and the next message's history show them in order", async () => {
  const h = toolHarness({
    model: new ScriptedModel([
      { text: "Logging.", calls: [call("c1", "append", { text: "A" }), call("c2", "peek")] },
      { text: "Logged; 1 line." },
      { text: "Yes." },
    ]),
  });
  h.brain.start();
  await h.brain.ingest("test", "a1", { messages: [msg("1", "log A")] });
  await until(() => h.channel.delivered.length === 1);
  assert.equal(h.channel.delivered[0]!.text, "Logged; 1 line.");
  const calls = h.store.db.prepare("SELECT step, call_id, name, side_effects, state, is_error FROM tool_calls ORDER BY id").all();
  assert.deepEqual(
    calls.map((c) => ({ ...c })),
    [
      { step: 1, call_id: "c1", name: "append", side_effects: 1, state: "done", is_error: 0 },
      { step: 1, call_id: "c2", name: "peek", side_effects: 0, state: "done", is_error: 0 },
    ],
  );
  assert.equal((h.store.db.prepare("SELECT steps FROM runs").get() as { steps: number }).steps, 1);
  assert.deepEqual(
    transcript(h.store, KEY, 50).map((m) => [m.role, m.content]),
    [
      ["user", "log A"],
      ["assistant", "Logging."],
      ["tool", "appended to log.txt"],
      ["tool", "1 lines"],
      ["assistant", "Logged; 1 line."],
    ],
  );
  assert.deepEqual(transcript(h.store, KEY, 50)[2]!.data, { callId: "c1", name: "append", isError: false });

  await h.brain.ingest("test", "a1", { messages: [msg("2", "sure?")] });
  await until(() => h.channel.delivered.length === 2);
  const seen = h.model.requests[2]!.messages;
  assert.deepEqual(
    seen.map((t) => t.role),
    ["user", "assistant", "tool", "assistant", "user"],
  );
  assert.ok(callsAnswered(seen));
});

test("historyLimit never separates a call from its result, at any limit", async () => {
  const h = toolHarness({
    model: new ScriptedModel([
      { calls: [call("a1", "peek"), call("a2", "peek")] },
      { calls: [call("a3", "append", { text: "x" })] },
      { text: "one" },
      { text: "two" },
      { calls: [call("b1", "peek")] },
      { text: "three" },
    ]),
  });
  h.brain.start();
  for (let i = 1; i <= 3; i++) {
    await h.brain.ingest("test", "a1", { messages: [msg(String(i), `q${i}`)] });
    await until(() => h.channel.delivered.length === i);
  }
  // A run that ended oddly: its call has no result line (written by hand, as a crash of old code would leave it).
  const session = (h.store.db.prepare("SELECT id FROM sessions").get() as { id: number }).id;
  h.store.db
    .prepare("INSERT INTO messages (session_id, role, content, created_at, data) VALUES (?, 'assistant', '', 0, ?)")
    .run(session, JSON.stringify([call("z1", "peek")]));
  const total = (h.store.db.prepare("SELECT count(*) AS n FROM messages").get() as { n: number }).n;
  for (let limit = 1; limit <= total + 1; limit++) {
    const turns = modelHistory(h.store, session, limit) as ChatTurn[];
    assert.equal(turns[0]?.role, "user", `limit ${limit}: starts with a user turn`);
    assert.ok(callsAnswered(turns), `limit ${limit}: every call has its result`);
  }
  const all = modelHistory(h.store, session, 1000) as ChatTurn[];
  assert.match((all.at(-1) as Extract<ChatTurn, { role: "tool" }>).results[0]!.content, /^No result was recorded for this call/);
});

test("with every tool denied a reply is one plain model call without tools, as before tools existed", async () => {
  const h = toolHarness({ config: { tools: { deny: ["group:fs"] } }, model: new ScriptedModel([{ text: "hello" }]) });
  h.brain.start();
  await h.brain.ingest("test", "a1", { messages: [msg("1", "hi")] });
  await until(() => h.channel.delivered.length === 1);
  assert.equal(h.model.requests.length, 1);
  assert.equal(h.model.requests[0]!.tools, undefined);
  assert.deepEqual(h.model.requests[0]!.messages, [{ role: "user", content: "hi" }]);
  assert.equal((h.store.db.prepare("SELECT count(*) AS n FROM tool_calls").get() as { n: number }).n, 0);
});

test("a reply that hits maxToolSteps says so; one that ends in silence after tools says what was done", async () => {
  const loop = toolHarness({
    config: { agents: { defaults: { maxToolSteps: 2 } } },
    model: new ScriptedModel(Array.from({ length: 3 }, (_, i) => ({ calls: [call(`p${i}`, "peek")] }))),
  });
  loop.brain.start();
  await loop.brain.ingest("test", "a1", { messages: [msg("1", "forever")] });
  await until(() => loop.channel.delivered.length === 1);
  assert.equal(
    loop.channel.delivered[0]!.text,
    "[I stopped at the limit of 2 tool steps for one message (agents.defaults.maxToolSteps) before finishing. Ask me to go on, or raise the limit.]",
  );
  assert.equal(loop.peeks.n, 2);
  const quiet = toolHarness({ model: new ScriptedModel([{ calls: [call("c1", "append", { text: "x" })] }, { text: "" }]) });
  quiet.brain.start();
  await quiet.brain.ingest("test", "a1", { messages: [msg("1", "do it")] });
  await until(() => quiet.channel.delivered.length === 1);
  assert.equal(quiet.channel.delivered[0]!.text, "Done (1 tool call).");
});

/** A side-effecting tool that asks for approval and then acts; with `reuse`, it acts on that approval id without asking. */
function askTool(): Tool {
  return sideEffectTool("ask", async (input, ctx) => {
    let approvalId = typeof input.reuse === "string" ? input.reuse : undefined;
    if (!approvalId) {
      const d = await ctx.requestApproval({ argv: ["touch", "x"], command: "touch x", cwd: ctx.workspace, envNames: [], executables: ["/usr/bin/touch"] });
      if (d.decision === "deny") return { content: `denied: ${d.reason}`, isError: true };
      approvalId = d.approvalId;
    }
    await ctx.beginSideEffect({ approvalId });
    fs.appendFileSync(path.join(ctx.workspace, "asked.txt"), "x\n");
    return { content: "acted", isError: false };
  });
}

test("without an approvals service every ask is denied, saying so", async () => {
  const h = toolHarness({ extraTools: () => [askTool()], model: new ScriptedModel([{ calls: [call("c1", "ask")] }, { text: "ok" }]) });
  h.brain.start();
  await h.brain.ingest("test", "a1", { messages: [msg("1", "go")] });
  await until(() => h.channel.delivered.length === 1);
  const tool = h.model.requests[1]!.messages.at(-1) as Extract<ChatTurn, { role: "tool" }>;
  assert.equal(tool.results[0]!.content, "denied: approvals are not available in this gateway");
});

test("an approved call is marked awaiting while it waits, and its approval is spent by the one execution", async () => {
  const asked: CallOrigin[] = [];
  let answer!: (d: ApprovalDecision) => void;
  const h = toolHarness({
    extraTools: () => [askTool()],
    model: new ScriptedModel([{ calls: [call("c1", "ask")] }, { calls: [call("c2", "ask", { reuse: "ap1" })] }, { text: "ok" }]),
    approvals: {
      request: (_ask, origin) => (asked.push(origin), new Promise((r) => (answer = r))),
      isAllowlisted: () => false,
    },
  });
  h.brain.start();
  await h.brain.ingest("test", "a1", { messages: [msg("1", "go")] });
  await until(() => asked.length === 1);
  assert.equal((h.store.db.prepare("SELECT state FROM tool_calls").get() as { state: string }).state, "awaiting-approval");
  assert.deepEqual({ runId: asked[0]!.runId, callId: asked[0]!.callId, sessionKey: asked[0]!.sessionKey }, { runId: 1, callId: "c1", sessionKey: KEY });
  h.store.db
    .prepare(
      `INSERT INTO approvals (id, run_id, call_id, session_key, channel, account, peer, command, argv, cwd, env_names, executables, state, created_at, expires_at)
       VALUES ('ap1', 1, 'c1', ?, 'test', 'a1', 'ada', 'touch x', '[]', '/', '[]', '[]', 'allow-once', 0, 1)`,
    )
    .run(KEY);
  answer({ decision: "allow-once", approvalId: "ap1", by: "operator" });
  await until(() => h.channel.delivered.length === 1);
  const results = h.model.requests[2]!.messages.flatMap((t) => (t.role === "tool" ? t.results.map((r) => r.content) : []));
  assert.deepEqual(results, ["acted", "Approval ap1 was already used (or does not exist): one approval allows one execution. Ask again."]);
  assert.equal(fs.readFileSync(path.join(h.workspace, "asked.txt"), "utf8"), "x\n", "one execution");
  assert.ok((h.store.db.prepare("SELECT executed_at FROM approvals").get() as { executed_at: number | null }).executed_at !== null);
  assert.equal((h.store.db.prepare("SELECT approval_id FROM tool_calls").get() as { approval_id: string }).approval_id, "ap1");
});

test("process groups a dead gateway's calls left are handed to the reaper at the next start, once", async () => {
  const spawner = sideEffectTool("spawn", async (_input, ctx) => {
    await ctx.beginSideEffect();
    ctx.recordProcess({ pid: 4242, pgid: 4242, startTime: 99 });
    // Runs until the crash.
    return new Promise((_, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason)));
  });
  const first = toolHarness({ extraTools: () => [spawner], model: new ScriptedModel([{ calls: [call("c1", "spawn")] }]) });
  first.brain.start();
  await first.brain.ingest("test", "a1", { messages: [msg("1", "run it")] });
  await until(() => (first.store.db.prepare("SELECT pgid FROM tool_calls").get() as { pgid: number | null } | undefined)?.pgid === 4242);
  first.crash();
  const reaped: ProcessGroupRecord[][] = [];
  const second = toolHarness({ file: first.file, workspace: first.workspace, reapProcessGroups: (g) => void reaped.push(g) });
  second.brain.start();
  await until(() => second.channel.delivered.length === 1);
  assert.deepEqual(reaped.slice(), [[{ pid: 4242, pgid: 4242, startTime: 99 }]]);
  await until(() => (second.store.db.prepare("SELECT ended_at FROM tool_calls").get() as { ended_at: number | null }).ended_at !== null);
  await second.brain.stop(0);
  second.store.close();
  const third = toolHarness({ file: first.file, workspace: first.workspace, reapProcessGroups: (g) => void reaped.push(g) });
  third.brain.start();
  assert.equal(reaped.length, 1, "not reaped twice");
  await third.brain.stop(0);
  third.store.close();
});

test("a graceful stop during a tool call leaves the call to run again at the next start", async () => {
  const first = toolHarness({ model: new ScriptedModel([{ calls: [call("c1", "append", { text: "A" })] }]) });
  first.gates.hold("append:before-start");
  first.brain.start();
  await first.brain.ingest("test", "a1", { messages: [msg("1", "log A")] });
  await first.gates.reached("append:before-start");
  await first.brain.stop(0);
  assert.equal((first.store.db.prepare("SELECT state FROM tool_calls").get() as { state: string }).state, "planned");
  first.store.close();
  const second = toolHarness({ file: first.file, workspace: first.workspace, model: new ScriptedModel([{ text: "Logged." }]) });
  second.brain.start();
  await until(() => second.channel.delivered.length === 1);
  assert.equal(second.channel.delivered[0]!.text, "Logged.");
  assert.equal(fs.readFileSync(path.join(second.workspace, "log.txt"), "utf8"), "A\n");
});
