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
