import { test } from "node:test";
import assert from "node:assert/strict";
import { createAgent } from "../../src/agent/agent.ts";
import type { RunHooks } from "../../src/agent/journal.ts";
import { ToolRegistry } from "../../src/agent/tools/registry.ts";
import { configSchema } from "../../src/config/schema.ts";
import { tmpDir } from "../helpers/gateway.ts";
import { ScriptedModel } from "../helpers/scripted-model.ts";
import { Gates, peekTool } from "../helpers/test-tools.ts";

const hooks: RunHooks = {
  journal: { turn: async () => {}, result: async () => {} },
  toolContext: () => {
    throw new Error("no tool is called in these tests");
  },
};

function agentWith(config: Record<string, unknown>, registry: ToolRegistry) {
  const model = new ScriptedModel(Array.from({ length: 3 }, () => ({ text: "hi" })));
  const logged: Array<{ level: string; obj: object }> = [];
  const parsed = configSchema.parse(config);
  const agent = createAgent({
    config: () => parsed,
    workspace: tmpDir(),
    env: {},
    registry,
    log: { warn: (obj) => logged.push({ level: "warn", obj }), error: (obj) => logged.push({ level: "error", obj }) },
    resolve: () => ({ providers: [model], descriptions: [], problems: [], notConfiguredReason: null, maxTokens: 100 }),
  });
  return { agent, model, logged };
}

const reply = { history: [{ role: "user" as const, content: "hi" }], signal: new AbortController().signal, onDelta: () => {}, run: hooks };

test("a policy warning is logged once and shown by tools(), however many replies follow", async () => {
  const registry = new ToolRegistry([peekTool(new Gates(), { n: 0 })]);
  const { agent, model, logged } = agentWith({ tools: { allow: ["peak"] } }, registry);
  for (let i = 0; i < 3; i++) await agent.reply(reply);
  assert.equal(logged.length, 1);
  assert.deepEqual(agent.tools().enabled, ["peek"]);
  assert.match(agent.tools().warnings[0]!, /^tools\.allow names "peak", which is not a tool; the tools are peek/);
  assert.deepEqual(model.requests[0]!.tools, ["peek"]);
});

test("a tool that fails to load is logged once and left out; the reply goes on without it", async () => {
  const registry = new ToolRegistry([
    { name: "web_fetch", group: "web", sideEffects: false, load: async () => Promise.reject(new Error("Cannot find module 'linkedom'")) },
  ]);
  const { agent, model, logged } = agentWith({}, registry);
  await agent.reply(reply);
  await agent.reply(reply);
  assert.equal(model.requests[0]!.tools, undefined, "no tool left: a plain request");
  assert.equal(logged.filter((l) => l.level === "error").length, 1);
});

test("without run hooks (no journal) no tool is offered, whatever the policy says", async () => {
  const registry = new ToolRegistry([peekTool(new Gates(), { n: 0 })]);
  const { agent, model } = agentWith({}, registry);
  const { run: _run, ...plain } = reply;
  const r = await agent.reply(plain);
  assert.equal(r.text, "hi");
  assert.equal(model.requests[0]!.tools, undefined);
});
