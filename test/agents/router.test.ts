/** The agents behind the brain's one port (src/agent/router.ts): each with its model, prompt and tool policy, re-read after a reload. */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { createAgentRouter, goneNotice } from "../../src/agent/router.ts";
import { validateConfig } from "../../src/config/load.ts";
import type { Config } from "../../src/config/schema.ts";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { tmpDir } from "../helpers/gateway.ts";

const fake = new FakeModelServer();
before(() => fake.start());
after(() => fake.close());

const history = [{ role: "user" as const, content: "hi" }];
const ask = { history, signal: new AbortController().signal, onDelta: () => {} };

function setup() {
  const stateDir = tmpDir();
  fs.mkdirSync(path.join(stateDir, "workspace"), { recursive: true });
  fs.mkdirSync(path.join(stateDir, "workspace-b"), { recursive: true });
  fs.writeFileSync(path.join(stateDir, "workspace", "AGENTS.md"), "I am A.");
  fs.writeFileSync(path.join(stateDir, "workspace-b", "AGENTS.md"), "I am B.");
  const raw = (list: unknown[]) => ({ models: { primary: "fake/base", providers: { fake: { kind: "openai", baseUrl: fake.openaiUrl } } }, agents: { list } });
  let config: Readonly<Config> = validateConfig(
    raw([
      { id: "a", model: "fake/a-1" },
      { id: "b", model: { primary: "fake/b-1" }, tools: { profile: "minimal" } },
    ]),
    "x",
  );
  const router = createAgentRouter({ config: () => config, paths: { stateDir, home: stateDir }, env: {} });
  return { router, stateDir, reload: (list: unknown[]) => (config = validateConfig(raw(list), "x")) };
}

test("each agent answers with its own model and prompt; without an id, the default agent does", async () => {
  fake.reset();
  const { router } = setup();
  assert.equal((await router.reply({ ...ask, agentId: "b" })).model, "fake/b-1");
  assert.equal((await router.reply(ask)).model, "fake/a-1");
  assert.deepEqual(
    fake.requests.map((r) => [r.body.model, r.body.messages[0].content]),
    [
      ["b-1", "I am B."],
      ["a-1", "I am A."],
    ],
  );
  assert.match(router.describe("b"), /^fake\/b-1/);
  assert.match(router.describe(), /^fake\/a-1/);
});

test("each agent's tool policy is its own", () => {
  const { router } = setup();
  assert.ok(router.tools("a").enabled.includes("write"));
  assert.ok(!router.tools("b").enabled.includes("write"), "b's profile is minimal");
  assert.ok(router.tools("b").enabled.includes("read"));
});

test("after a reload an agent's new model and prompt file apply; a removed agent is answered with a notice, never asked", async () => {
  fake.reset();
  const { router, stateDir, reload } = setup();
  await router.reply({ ...ask, agentId: "b" });
  fs.writeFileSync(path.join(stateDir, "workspace", "NEW.md"), "I am the new A.");
  reload([{ id: "a", model: "fake/a-2", systemPromptFile: "NEW.md" }]);
  assert.equal((await router.reply({ ...ask, agentId: "a" })).model, "fake/a-2");
  assert.equal(fake.requests.at(-1)!.body.messages[0].content, "I am the new A.");
  assert.equal(router.notConfigured("b"), goneNotice("b"));
  assert.equal(router.notConfigured("a"), null);
  const asked = fake.requests.length;
  await assert.rejects(router.reply({ ...ask, agentId: "b" }), /"b" this conversation belongs to is no longer configured/);
  assert.equal(fake.requests.length, asked, "the model was not asked");
  assert.deepEqual(router.roster().ids, ["a"]);
});
