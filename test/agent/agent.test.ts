import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { createAgent, DEFAULT_SYSTEM_PROMPT } from "../../src/agent/agent.ts";
import { configSchema } from "../../src/config/schema.ts";
import { OnebrainError } from "../../src/shared/errors.ts";
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
  assert.deepEqual(agent.health(), { lastSuccessAt: null, lastFailureAt: null, lastFailure: null, lastError: null });
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

test("a reply cut by the token limit ends with a line saying so, streamed like the rest", async () => {
  fake.reset();
  const config = configSchema.parse({ models: { primary: "fake/m1", maxTokens: 2, providers: { fake: { kind: "openai", baseUrl: fake.openaiUrl } } } });
  const agent = createAgent({ config: () => config, workspace: tmpDir(), env: {} });
  const deltas: string[] = [];
  const r = await agent.reply({
    history: [{ role: "user", content: "tell me everything" }],
    signal: new AbortController().signal,
    onDelta: (d) => deltas.push(d),
  });
  assert.equal(r.text, "echo: tell \n\n[reply cut: the model hit its max tokens limit (2); raise models.maxTokens]");
  assert.equal(deltas.join(""), r.text);
  const whole = await agentIn(tmpDir()).reply({ history: [{ role: "user", content: "hi" }], signal: new AbortController().signal, onDelta: () => {} });
  assert.equal(whole.text, "echo: hi", "a reply that ended by itself has no such line");
  fake.queue({ kind: "reply", thinkingTokens: 5 });
  const silent = await agent.reply({ history: [{ role: "user", content: "think hard" }], signal: new AbortController().signal, onDelta: () => {} });
  assert.equal(fake.requests.at(-1)!.body.max_tokens, 2);
  assert.equal(silent.text, "[reply cut: the model hit its max tokens limit (2) before writing anything; raise models.maxTokens]");
});

test("a model that declines, or whose content filter stops the reply, is told in words: never an empty or silently cut message", async () => {
  fake.reset();
  const agent = agentIn(tmpDir());
  const ask = async () => {
    const deltas: string[] = [];
    const r = await agent.reply({
      history: [{ role: "user", content: "tell me something" }],
      signal: new AbortController().signal,
      onDelta: (d) => deltas.push(d),
    });
    assert.equal(deltas.join(""), r.text, "streamed like the rest");
    return r.text;
  };
  fake.queue({ kind: "refusal", afterChunks: 0 }, { kind: "refusal", afterChunks: 2 });
  assert.equal(await ask(), "[The model declined to answer this message (the provider's content filter or the model's own refusal). Try rephrasing it.]");
  assert.equal(await ask(), "echo: tell \n\n[reply stopped: the model declined to go on (the provider's content filter or the model's own refusal)]");
});

test("an account out of credit is told as that, with the fix, and status says so; it is not retried", async () => {
  fake.reset();
  for (const kind of ["openai", "anthropic"] as const) {
    const baseUrl = kind === "openai" ? fake.openaiUrl : fake.anthropicUrl;
    const config = configSchema.parse({ models: { primary: "fake/m1", retries: 2, providers: { fake: { kind, baseUrl } } } });
    const agent = createAgent({ config: () => config, workspace: tmpDir(), env: {}, deps: { clock: { sleep: async () => {} } } });
    fake.behaviour = { kind: "out-of-credit" };
    const before = fake.requests.length;
    const err = await agent.reply({ history: [{ role: "user", content: "hi" }], signal: new AbortController().signal, onDelta: () => {} }).then(
      () => assert.fail("expected a failure"),
      (e: OnebrainError) => e,
    );
    const status = kind === "openai" ? 429 : 402;
    assert.equal(
      err.details.userReply,
      `The model provider's account for fake/m1 is out of credit (quota exceeded, ${status}). Add credits or check billing and the plan at the provider.`,
    );
    assert.deepEqual(pick(agent.health().lastError), { kind: "quota", permanent: true, model: "fake/m1", httpStatus: status });
    assert.equal(fake.requests.length - before, 1, "not retried");
  }
});

test("a refused key and an unknown model are told as what they are, with the fix, and status keeps the kind; no key in either", async () => {
  fake.reset();
  const key = "sk-live-abcdefghijklmnop0123";
  const config = configSchema.parse({
    models: { primary: "fake/m1", retries: 2, providers: { fake: { kind: "openai", baseUrl: fake.openaiUrl, apiKeyEnv: "FAKE_KEY" } } },
  });
  const agent = createAgent({ config: () => config, workspace: tmpDir(), env: { FAKE_KEY: key }, deps: { clock: { sleep: async () => {} } } });
  const history = [{ role: "user" as const, content: "hi" }];
  const ask = () =>
    agent.reply({ history, signal: new AbortController().signal, onDelta: () => {} }).then(
      () => assert.fail("expected a failure"),
      (e: OnebrainError) => e,
    );

  fake.apiKey = "sk-another-key-000000000000";
  const refused = await ask();
  assert.equal(refused.details.userReply, "The model provider refused the API key for fake/m1 (401). Check FAKE_KEY.");
  assert.deepEqual(pick(agent.health().lastError), { kind: "key-refused", permanent: true, model: "fake/m1", httpStatus: 401 });

  fake.apiKey = undefined;
  fake.models = ["m2"];
  const missing = await ask();
  assert.equal(
    missing.details.userReply,
    `Model 'm1' not found (404) at ${fake.openaiUrl}. Check the model id in models.primary / models.fallbacks ("fake/m1") and models.providers.fake.baseUrl.`,
  );
  assert.deepEqual(pick(agent.health().lastError), { kind: "model-not-found", permanent: true, model: "fake/m1", httpStatus: 404 });
  assert.equal(fake.requests.length, 2, "neither was retried");

  fake.models = undefined;
  fake.behaviour = { kind: "status", status: 503 };
  const busy = await ask();
  assert.match(String(busy.details.userReply), /^The model did not answer \(HTTP 503\)\. Please try again in a moment\.$/);
  assert.deepEqual(pick(agent.health().lastError), { kind: "server-error", permanent: false, model: "fake/m1", httpStatus: 503 });
  const everything = JSON.stringify([refused.details, missing.details, busy.details, agent.health()]);
  assert.ok(!everything.includes(key), everything);
});

function pick(e: ReturnType<ReturnType<typeof createAgent>["health"]>["lastError"]) {
  assert.ok(e, "expected a last error");
  return { kind: e.kind, permanent: e.permanent, model: e.model, httpStatus: e.httpStatus };
}
