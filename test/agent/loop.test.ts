import { test } from "node:test";
import assert from "node:assert/strict";
import type { RunHooks } from "../../src/agent/journal.ts";
import { plainHistory, runLoop, STEP_LIMIT_INSTRUCTION, type LoopRequest } from "../../src/agent/loop.ts";
import type { ChatTurn } from "../../src/agent/provider.ts";
import { capResult, MAX_CALLS_PER_TURN, MAX_PARALLEL, MAX_RESULT_BYTES } from "../../src/agent/tools/execute.ts";
import { ToolRefusedError } from "../../src/agent/tools/refused.ts";
import type { Tool, ToolCall, ToolContext, ToolResult } from "../../src/agent/tools/types.ts";
import { configSchema } from "../../src/config/schema.ts";
import { tmpDir } from "../helpers/gateway.ts";
import { call, callsAnswered, ScriptedModel } from "../helpers/scripted-model.ts";
import { appendTool, Gates, peekTool, waitTool } from "../helpers/test-tools.ts";

/** Hooks over an in-memory journal that records what was written, in order. */
function memoryHooks(resume?: RunHooks["resume"]) {
  const log: string[] = [];
  const workspace = tmpDir();
  const hooks: RunHooks = {
    journal: {
      turn: async (step, text, calls) => void log.push(`turn ${step} ${text} [${calls.map((c) => `${c.call.name}${c.sideEffects ? "!" : ""}`).join(",")}]`),
      result: async (step, c: ToolCall, r: ToolResult) => void log.push(`result ${step} ${c.id} ${r.isError ? "error" : "ok"}`),
    },
    toolContext: (_step, c) =>
      ({
        origin: { runId: 1, callId: c.id, sessionKey: "s", agentId: "main", channel: "test", account: "a1", peer: "ada" },
        workspace,
        signal: new AbortController().signal,
        config: configSchema.parse({}).tools,
        env: {},
        beginSideEffect: async () => void log.push(`begin ${c.id}`),
      }) as unknown as ToolContext,
    ...(resume ? { resume } : {}),
  };
  return { hooks, log, workspace };
}

function request(model: ScriptedModel, tools: Tool[], hooks: RunHooks | undefined, over: Partial<LoopRequest> = {}): LoopRequest {
  return {
    providers: [model],
    system: "sys",
    history: [{ role: "user", content: "go" }],
    maxTokens: 1000,
    tools,
    maxSteps: 25,
    signal: new AbortController().signal,
    onDelta: () => {},
    ...(hooks ? { hooks } : {}),
    ...over,
  };
}

test("model, tools, model: each turn is journaled before the next model call, which sees every result", async () => {
  const gates = new Gates();
  const runs = { n: 0 };
  const model = new ScriptedModel([{ text: "Let me look.", calls: [call("c1", "peek"), call("c2", "append", { text: "x" })] }, { text: "It has 1 line." }]);
  const { hooks, log } = memoryHooks();
  const deltas: string[] = [];
  const r = await runLoop(request(model, [peekTool(gates, runs), appendTool(gates)], hooks, { onDelta: (d) => deltas.push(d) }));
  assert.equal(r.final.text, "It has 1 line.");
  assert.equal(r.toolCalls, 2);
  assert.deepEqual(log, ["turn 1 Let me look. [peek,append!]", "result 1 c1 ok", "begin c2", "result 1 c2 ok"]);
  assert.deepEqual(model.requests[0]!.tools, ["peek", "append"]);
  const second = model.requests[1]!.messages;
  assert.deepEqual(second.slice(1), [
    { role: "assistant", content: "Let me look.", toolCalls: [call("c1", "peek"), call("c2", "append", { text: "x" })] },
    {
      role: "tool",
      results: [
        { callId: "c1", content: "0 lines", isError: false },
        { callId: "c2", content: "appended to log.txt", isError: false },
      ],
    },
  ]);
  assert.ok(callsAnswered(second));
  assert.deepEqual(deltas, ["Let me look.", "\n\n", "It has 1 line."], "every turn streams, a blank line between turns");
});

test("after maxToolSteps the last model call is told to answer with what it has; calls it still makes are not run", async () => {
  const gates = new Gates();
  const runs = { n: 0 };
  const model = new ScriptedModel(Array.from({ length: 5 }, (_, i) => ({ text: "", calls: [call(`c${i}`, "peek")] })));
  const { hooks } = memoryHooks();
  const r = await runLoop(request(model, [peekTool(gates, runs)], hooks, { maxSteps: 3 }));
  assert.equal(runs.n, 3, "three steps ran their calls");
  assert.equal(model.requests.length, 4, "then one last model call");
  assert.equal(r.stepLimitHit, true);
  assert.ok(model.requests[3]!.system.endsWith(STEP_LIMIT_INSTRUCTION));
  assert.ok(!model.requests[2]!.system.includes(STEP_LIMIT_INSTRUCTION));
  assert.deepEqual(model.requests[3]!.tools, ["peek"], "tools stay declared: the APIs refuse tool history without them");
});

test("calls of concurrent tools overlap; side-effecting ones run alone, in the model's order", async () => {
  const stats = { inFlight: 0, peak: 0, order: [] as string[] };
  const { hooks } = memoryHooks();
  const model = new ScriptedModel([{ calls: [call("a", "wait", { tag: "a" }), call("b", "wait", { tag: "b" })] }]);
  await runLoop(request(model, [waitTool(stats)], hooks));
  assert.equal(stats.peak, 2, "both reads were in flight at once");

  const serial = { inFlight: 0, peak: 0, order: [] as string[] };
  const model2 = new ScriptedModel([
    {
      calls: [call("r1", "wait", { tag: "r1" }), call("w1", "act", { tag: "w1" }), call("w2", "act", { tag: "w2" }), call("r2", "wait", { tag: "r2" })],
    },
  ]);
  await runLoop(request(model2, [waitTool(serial), waitTool(serial, false, "act")], memoryHooks().hooks));
  assert.equal(serial.peak, 1);
  assert.deepEqual(serial.order, ["start r1", "end r1", "start w1", "end w1", "start w2", "end w2", "start r2", "end r2"]);
});

test("a turn that asks for hundreds of calls runs at most MAX_PARALLEL at once and the first MAX_CALLS_PER_TURN at all; every call gets a result", async () => {
  const stats = { inFlight: 0, peak: 0, order: [] as string[] };
  const calls = Array.from({ length: 200 }, (_, i) => call(`c${i}`, "wait", { tag: `c${i}` }));
  const model = new ScriptedModel([{ calls }, { text: "done" }]);
  await runLoop(request(model, [waitTool(stats)], memoryHooks().hooks));
  assert.equal(stats.peak, MAX_PARALLEL);
  assert.equal(stats.order.filter((o) => o.startsWith("start")).length, MAX_CALLS_PER_TURN);
  const tool = model.requests[1]!.messages.at(-1) as Extract<ChatTurn, { role: "tool" }>;
  assert.equal(tool.results.length, 200, "the APIs refuse a call without its result");
  assert.match(tool.results[MAX_CALLS_PER_TURN]!.content, /at most 64 tool calls/);
});

test("bad arguments, an unknown tool and a tool the policy left out get error results the model sees; none runs", async () => {
  const gates = new Gates();
  const runs = { n: 0 };
  const model = new ScriptedModel([
    { calls: [{ id: "c1", name: "peek", input: {}, inputError: "Unexpected end of JSON input" }, call("c2", "nope"), call("c3", "exec")] },
    { text: "sorry" },
  ]);
  const { hooks, log } = memoryHooks();
  await runLoop(request(model, [peekTool(gates, runs)], hooks, { disabled: new Set(["exec"]) }));
  assert.equal(runs.n, 0);
  const tool = model.requests[1]!.messages.at(-1) as Extract<ChatTurn, { role: "tool" }>;
  assert.deepEqual(
    tool.results.map((r) => r.isError),
    [true, true, true],
  );
  assert.match(tool.results[0]!.content, /arguments of this peek call could not be read \(Unexpected end of JSON input\)/);
  assert.match(tool.results[1]!.content, /There is no tool named "nope". The tools you can call are: peek\./);
  assert.match(tool.results[2]!.content, /"exec" is not enabled for this agent/);
  assert.deepEqual(log.slice(1), ["result 1 c1 error", "result 1 c2 error", "result 1 c3 error"], "journaled like any result");
});

test("a tool that throws gives 'internal error in tool X' and a log line; a refusal gives its own sentence", async () => {
  const broken: Tool = {
    ...peekTool(new Gates(), { n: 0 }),
    name: "broken",
    run: async () => {
      throw new TypeError("Cannot read properties of undefined");
    },
  };
  const refusing: Tool = {
    ...peekTool(new Gates(), { n: 0 }),
    name: "memo",
    run: async () => {
      throw new ToolRefusedError("Memory is not available in this gateway.");
    },
  };
  const errors: object[] = [];
  const model = new ScriptedModel([{ calls: [call("c1", "broken"), call("c2", "memo")] }, { text: "ok" }]);
  await runLoop(request(model, [broken, refusing], memoryHooks().hooks, { log: { error: (o) => errors.push(o), warn: () => {} } }));
  const tool = model.requests[1]!.messages.at(-1) as Extract<ChatTurn, { role: "tool" }>;
  assert.match(tool.results[0]!.content, /^Internal error in tool broken/);
  assert.equal(tool.results[1]!.content, "Memory is not available in this gateway.");
  assert.equal(errors.length, 1);
});

test("a result over 64 KiB is cut on a character boundary and says so", () => {
  const big = "é".repeat(MAX_RESULT_BYTES); // 2 bytes each
  const cut = capResult(big);
  const [head, note] = cut.split("\n[cut: ");
  assert.ok(Buffer.byteLength(head!) <= MAX_RESULT_BYTES && !head!.includes("\uFFFD"));
  assert.match(note!, /^the result was 131072 bytes; only the first 64 KiB are shown/);
  assert.equal(capResult("short"), "short");
});

test("with no tools the request carries none and past tool exchanges become plain turns", async () => {
  const model = new ScriptedModel([{ text: "hi" }]);
  const history: ChatTurn[] = [
    { role: "user", content: "q1" },
    { role: "assistant", content: "", toolCalls: [call("c1", "peek")] },
    { role: "tool", results: [{ callId: "c1", content: "3 lines", isError: false }] },
    { role: "assistant", content: "three" },
    { role: "user", content: "q2" },
  ];
  const r = await runLoop(request(model, [], undefined, { history }));
  assert.equal(r.final.text, "hi");
  assert.equal(model.requests[0]!.tools, undefined);
  assert.deepEqual(model.requests[0]!.messages, [
    { role: "user", content: "q1" },
    { role: "assistant", content: "three" },
    { role: "user", content: "q2" },
  ]);
  const plain: ChatTurn[] = [
    { role: "user", content: "a" },
    { role: "user", content: "b" },
  ];
  assert.equal(plainHistory(plain), plain, "a conversation without tools goes out untouched");
});

test("a resumed run first runs its open calls and adds their results to the turn, in call order", async () => {
  const gates = new Gates();
  const runs = { n: 0 };
  const model = new ScriptedModel([{ text: "done" }]);
  const history: ChatTurn[] = [
    { role: "user", content: "go" },
    { role: "assistant", content: "", toolCalls: [call("c1", "peek"), call("c2", "append"), call("c3", "peek")] },
    { role: "tool", results: [{ callId: "c2", content: "outcome unknown", isError: true }] },
  ];
  const { hooks, log } = memoryHooks({ step: 4, pending: [call("c1", "peek"), call("c3", "peek")] });
  await runLoop(request(model, [peekTool(gates, runs), appendTool(gates)], hooks, { history }));
  assert.equal(runs.n, 2);
  assert.deepEqual(log, ["result 4 c1 ok", "result 4 c3 ok"]);
  const sent = model.requests[0]!.messages;
  assert.deepEqual(
    (sent.at(-1) as Extract<ChatTurn, { role: "tool" }>).results.map((r) => r.callId),
    ["c1", "c2", "c3"],
  );
  assert.ok(callsAnswered(sent));
});
