import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { createAgent, DEFAULT_SYSTEM_PROMPT } from "../../src/agent/agent.ts";
import { configSchema } from "../../src/config/schema.ts";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { tmpDir } from "../helpers/gateway.ts";

const fake = new FakeModelServer();
before(() => fake.start());
after(() => fake.close());

function agentIn(workspace: string) {
  const config = configSchema.parse({ models: { primary: "fake/m1", providers: { fake: { kind: "openai", baseUrl: fake.openaiUrl } } } });
  return createAgent({ config: () => config, workspace, env: {} });
}

test("the system prompt is the workspace's AGENTS.md, and the default when there is none", async () => {
  fake.reset();
  const empty = tmpDir();
  const withFile = tmpDir();
  fs.writeFileSync(path.join(withFile, "AGENTS.md"), "You are Ada's assistant. Answer in haiku.\n");
  const history = [{ role: "user" as const, content: "hi" }];
  const r = await agentIn(withFile).reply({ history, signal: new AbortController().signal, onDelta: () => {} });
  await agentIn(empty).reply({ history, signal: new AbortController().signal, onDelta: () => {} });
  assert.equal(r.text, "echo: hi");
  assert.equal(r.model, "fake/m1");
  assert.deepEqual(
    fake.requests.map((q) => q.body.messages[0]),
    [
      { role: "system", content: "You are Ada's assistant. Answer in haiku." },
      { role: "system", content: DEFAULT_SYSTEM_PROMPT },
    ],
  );
});

test("health records when a reply last succeeded and last failed, and why; an abort by the user is neither", async () => {
  fake.reset();
  const config = configSchema.parse({ models: { primary: "fake/m1", retries: 0, providers: { fake: { kind: "openai", baseUrl: fake.openaiUrl } } } });
  const agent = createAgent({ config: () => config, workspace: tmpDir(), env: {} });
  const history = [{ role: "user" as const, content: "hi" }];
  assert.deepEqual(agent.health(), { lastSuccessAt: null, lastFailureAt: null, lastFailure: null });
  await agent.reply({ history, signal: new AbortController().signal, onDelta: () => {} });
  const ok = agent.health();
  assert.ok(ok.lastSuccessAt !== null && ok.lastFailureAt === null);
  fake.queue({ kind: "status", status: 400, message: "model not found" });
  await assert.rejects(agent.reply({ history, signal: new AbortController().signal, onDelta: () => {} }));
  const failed = agent.health();
  assert.equal(failed.lastSuccessAt, ok.lastSuccessAt);
  assert.ok(failed.lastFailureAt !== null);
  assert.match(failed.lastFailure ?? "", /HTTP 400.*model not found/);
  fake.queue({ kind: "hang" });
  const user = new AbortController();
  const run = agent.reply({ history, signal: user.signal, onDelta: () => {} });
  setTimeout(() => user.abort(new Error("aborted")), 50);
  await assert.rejects(run);
  assert.deepEqual(agent.health(), failed);
});
