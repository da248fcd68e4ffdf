/**
 * Model resolution (config + env -> providers), fallback between providers, and secrets: keys
 * never appear in errors or descriptions. Network calls go to the fake model server only.
 */
import { after, before, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { completeWithFallback, describeModels, resolveModels, type ResolveDeps } from "../../src/agent/models.ts";
import type { CompletionRequest } from "../../src/agent/provider.ts";
import { validateConfig } from "../../src/config/load.ts";
import { OnebrainError, hasCode } from "../../src/shared/errors.ts";
import { FakeModelServer } from "../helpers/fake-model.ts";

const ANTHROPIC_KEY = "sk-ant-test-00000000000000001";
const OPENAI_KEY = "sk-openai-test-000000000000002";
const models = (section: unknown = {}) => validateConfig({ models: section }, "onebrain.json").models;
const req = (over: Partial<CompletionRequest> = {}): CompletionRequest => ({
  system: "sys",
  messages: [{ role: "user", content: "ping" }],
  maxTokens: 50,
  signal: new AbortController().signal,
  ...over,
});

const fake = new FakeModelServer();
const backup = new FakeModelServer();
before(async () => {
  await Promise.all([fake.start(), backup.start()]);
});
after(() => Promise.all([fake.close(), backup.close()]));
beforeEach(() => (fake.reset(), backup.reset()));

/** Sends calls for the public APIs to the fake server instead, so the default URLs are exercised. */
const deps = (): ResolveDeps => ({
  route: (baseUrl) => baseUrl.replace("https://api.anthropic.com", fake.anthropicUrl).replace("https://api.openai.com/v1", fake.openaiUrl),
  clock: { sleep: async () => {} },
});

async function failure(p: Promise<unknown>): Promise<OnebrainError> {
  const err = await p.then(
    () => assert.fail("expected a failure"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof OnebrainError, String(err));
  return err;
}

test("ANTHROPIC_API_KEY alone gives a working anthropic primary with the default model", async () => {
  const resolved = resolveModels(models(), { ANTHROPIC_API_KEY: ANTHROPIC_KEY }, deps());
  assert.equal(resolved.notConfiguredReason, null);
  assert.deepEqual(
    resolved.descriptions.map((d) => [d.ref, d.role, d.keySource]),
    [["anthropic/claude-sonnet-4-5", "primary", "ANTHROPIC_API_KEY"]],
  );
  fake.apiKey = ANTHROPIC_KEY;
  const result = await completeWithFallback(resolved.providers, req());
  assert.equal(result.text, "echo: ping");
  assert.equal(fake.requests[0]!.format, "anthropic");
});

test("OPENAI_API_KEY alone gives a working openai primary with the default model", async () => {
  const resolved = resolveModels(models(), { OPENAI_API_KEY: OPENAI_KEY }, deps());
  assert.deepEqual(
    resolved.descriptions.map((d) => d.ref),
    ["openai/gpt-4.1-mini"],
  );
  fake.apiKey = OPENAI_KEY;
  const result = await completeWithFallback(resolved.providers, req());
  assert.equal(result.text, "echo: ping");
  assert.equal(fake.requests[0]!.headers.authorization, `Bearer ${OPENAI_KEY}`);
});

test("both keys give anthropic first and openai as its fallback", () => {
  const resolved = resolveModels(models(), { ANTHROPIC_API_KEY: ANTHROPIC_KEY, OPENAI_API_KEY: OPENAI_KEY });
  assert.deepEqual(
    resolved.descriptions.map((d) => `${d.role} ${d.ref}`),
    ["primary anthropic/claude-sonnet-4-5", "fallback openai/gpt-4.1-mini"],
  );
});

test("with no key and no config the agent is not configured, and the reason names both env vars", async () => {
  const resolved = resolveModels(models(), {});
  assert.deepEqual(resolved.providers, []);
  assert.match(resolved.notConfiguredReason ?? "", /ANTHROPIC_API_KEY/);
  assert.match(resolved.notConfiguredReason ?? "", /OPENAI_API_KEY/);
  assert.match(resolved.notConfiguredReason ?? "", /models\.primary/);
  assert.equal(describeModels(resolved), "not configured");
  assert.ok(hasCode(await failure(completeWithFallback(resolved.providers, req())), "MODEL_NOT_CONFIGURED"));
});

test("a local OpenAI-compatible server needs no key, and none is sent", async () => {
  const resolved = resolveModels(models({ primary: "local/qwen2.5", providers: { local: { baseUrl: fake.openaiUrl } } }), {});
  assert.deepEqual(
    resolved.descriptions.map((d) => [d.kind, d.apiKey]),
    [["openai", null]],
  );
  assert.equal((await completeWithFallback(resolved.providers, req())).model, "qwen2.5");
  assert.equal(fake.requests[0]!.headers.authorization, undefined);
  assert.equal(fake.requests[0]!.body.model, "qwen2.5");
});

test("built-in names need no providers entry: ollama is local, openrouter reads OPENROUTER_API_KEY", () => {
  const resolved = resolveModels(models({ primary: "ollama/llama3.2", fallbacks: ["openrouter/anthropic/claude-sonnet-4.5"] }), {
    OPENROUTER_API_KEY: "or-key-0123456789",
  });
  assert.deepEqual(
    resolved.descriptions.map((d) => [d.provider, d.model, d.baseUrl, d.keySource]),
    [
      ["ollama", "llama3.2", "http://127.0.0.1:11434/v1", null],
      ["openrouter", "anthropic/claude-sonnet-4.5", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY"],
    ],
  );
});

test("a key comes from the config, else the env var named by apiKeyEnv; a missing one is a problem that names it", () => {
  const fromConfig = resolveModels(models({ primary: "anthropic/claude-haiku-4-5", providers: { anthropic: { apiKey: ANTHROPIC_KEY } } }), {
    ANTHROPIC_API_KEY: "ignored-000000000000",
  });
  assert.equal(fromConfig.descriptions[0]!.keySource, "models.providers.anthropic.apiKey");
  const fromEnv = resolveModels(models({ primary: "work/gpt-4.1", providers: { work: { apiKeyEnv: "WORK_KEY" } } }), { WORK_KEY: OPENAI_KEY });
  assert.deepEqual([fromEnv.descriptions[0]!.keySource, fromEnv.descriptions[0]!.baseUrl], ["WORK_KEY", "https://api.openai.com/v1"]);
  const unset = resolveModels(models({ primary: "work/gpt-4.1", providers: { work: { apiKeyEnv: "WORK_KEY" } } }), {});
  assert.deepEqual(unset.providers, []);
  assert.match(unset.notConfiguredReason ?? "", /apiKeyEnv names WORK_KEY, which is not set/);
});

test("a configured model that cannot be used is skipped with a reason, and the next one serves", () => {
  const resolved = resolveModels(models({ primary: "anthropic/claude-sonnet-4-5", fallbacks: ["mystery/m1", "ollama/llama3.2"] }), {});
  assert.deepEqual(
    resolved.descriptions.map((d) => `${d.role} ${d.ref}`),
    ["primary ollama/llama3.2"],
  );
  assert.equal(resolved.problems.length, 2);
  assert.match(resolved.problems[0]!, /anthropic\/claude-sonnet-4-5 \(models\.primary\) has no API key: set ANTHROPIC_API_KEY/);
  assert.match(resolved.problems[1]!, /"mystery", which is not built in/);
});

test("providers without a primary say that models.primary must name one", () => {
  const resolved = resolveModels(models({ providers: { lm: { baseUrl: "http://127.0.0.1:1234/v1" } } }), {});
  assert.match(resolved.notConfiguredReason ?? "", /"lm", but no models\.primary names a model of it \(for example "lm\/MODEL"\)/);
});

test("the schema gives the documented defaults and rejects a model without its provider", () => {
  assert.deepEqual(models(), { fallbacks: [], maxTokens: 1024, requestTimeoutSeconds: 60, retries: 2, providers: {} });
  assert.throws(() => models({ primary: "claude-sonnet-4-5" }), /models\.primary: expected "provider\/model"/);
  assert.throws(() => models({ providers: { x: { kind: "gemini" } } }), /models\.providers\.x\.kind: expected one of anthropic, openai/);
});

test("falls back in order: the primary fails, the fallback answers", async () => {
  fake.behaviour = { kind: "status", status: 500 };
  const resolved = resolveModels(
    models({
      primary: "a/m1",
      fallbacks: ["b/m2"],
      retries: 1,
      providers: { a: { kind: "anthropic", baseUrl: fake.anthropicUrl }, b: { baseUrl: backup.openaiUrl } },
    }),
    {},
    { clock: { sleep: async () => {} } },
  );
  const result = await completeWithFallback(resolved.providers, req());
  assert.deepEqual([result.provider, result.model, result.text], ["b", "m2", "echo: ping"]);
  assert.deepEqual([fake.requests.length, backup.requests.length], [2, 1]);
});

test("when every model fails, MODEL_FAILED names each attempt", async () => {
  fake.behaviour = { kind: "status", status: 503 };
  backup.behaviour = { kind: "status", status: 401 };
  const resolved = resolveModels(
    models({ primary: "a/m1", fallbacks: ["b/m2"], providers: { a: { kind: "anthropic", baseUrl: fake.anthropicUrl }, b: { baseUrl: backup.openaiUrl } } }),
    {},
    { clock: { sleep: async () => {} } },
  );
  const err = await failure(completeWithFallback(resolved.providers, req()));
  assert.equal(err.code, "MODEL_FAILED");
  assert.match(err.message, /^Every model failed: a\/m1: HTTP 503 .*after 3 attempts.*; b\/m2: HTTP 401 /);
  const failures = err.details.failures as { provider: string; httpStatus: number; attempts: number }[];
  assert.deepEqual(
    failures.map((f) => [f.provider, f.httpStatus, f.attempts]),
    [
      ["a", 503, 3],
      ["b", 401, 1],
    ],
  );
});

test("an aborted run tries no fallback", async () => {
  fake.behaviour = { kind: "hang" };
  const resolved = resolveModels(
    models({ primary: "a/m1", fallbacks: ["b/m2"], providers: { a: { baseUrl: fake.openaiUrl }, b: { baseUrl: backup.openaiUrl } } }),
    {},
  );
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 50);
  const err = await failure(completeWithFallback(resolved.providers, req({ signal: ac.signal })));
  assert.equal(err.details.kind, "aborted");
  assert.equal(backup.requests.length, 0);
});

test("no fallback once part of the reply was streamed: the listener would get two replies", async () => {
  fake.queue({ kind: "malformed", afterChunks: 1, how: "bad-json" });
  const resolved = resolveModels(
    models({ primary: "a/m1", fallbacks: ["b/m2"], providers: { a: { baseUrl: fake.openaiUrl }, b: { baseUrl: backup.openaiUrl } } }),
    {},
  );
  const deltas: string[] = [];
  const err = await failure(completeWithFallback(resolved.providers, req({ onDelta: (t) => deltas.push(t) })));
  assert.deepEqual(deltas, ["echo: "]);
  assert.match(err.message, /1 fallback\(s\) not tried/);
  assert.equal(backup.requests.length, 0);
});

test("no fallback once part of a tool call arrived, even with no text listener", async () => {
  fake.queue({ kind: "tools", calls: [{ name: "read", input: { path: "a.txt" } }], dropAfter: 1 });
  const resolved = resolveModels(
    models({ primary: "a/m1", fallbacks: ["b/m2"], providers: { a: { baseUrl: fake.openaiUrl }, b: { baseUrl: backup.openaiUrl } } }),
    {},
  );
  const err = await failure(completeWithFallback(resolved.providers, req()));
  assert.match(err.message, /1 fallback\(s\) not tried/);
  assert.equal(err.details.streamed, true);
  assert.deepEqual([fake.requests.length, backup.requests.length], [1, 0]);
});

test("keys never appear in descriptions, resolved objects or errors", async () => {
  // A careless server that repeats the key it was sent (the real APIs mask it).
  fake.queue(
    { kind: "status", status: 401, message: `Incorrect API key provided: ${ANTHROPIC_KEY}` },
    { kind: "status", status: 401, message: `Incorrect API key provided: ${OPENAI_KEY}` },
  );
  const resolved = resolveModels(models({ fallbacks: ["openai/gpt-4.1-mini"] }), { ANTHROPIC_API_KEY: ANTHROPIC_KEY, OPENAI_API_KEY: OPENAI_KEY }, deps());
  assert.match(
    describeModels(resolved),
    /^anthropic\/claude-sonnet-4-5 \(key sk-…001 from ANTHROPIC_API_KEY\), fallback openai\/gpt-4\.1-mini \(key sk-…002 from OPENAI_API_KEY\)$/,
  );
  const err = await failure(completeWithFallback(resolved.providers, req()));
  const shown = [
    describeModels(resolved),
    JSON.stringify(resolved),
    inspect(resolved, { depth: 10 }),
    err.message,
    JSON.stringify(err.toJSON()),
    inspect(err, { depth: 10 }),
  ].join("\n");
  assert.equal(fake.requests.length, 2);
  for (const key of [ANTHROPIC_KEY, OPENAI_KEY]) assert.ok(!shown.includes(key), `${key.slice(0, 12)}... leaked`);
});

test("OpenAI's own API gets max_completion_tokens (reasoning models refuse max_tokens); other OpenAI-compatible servers get max_tokens unless the config says otherwise", async () => {
  const official = resolveModels(models({ primary: "openai/o4-mini" }), { OPENAI_API_KEY: OPENAI_KEY }, deps());
  const local = resolveModels(models({ primary: "local/llama3.2", providers: { local: { baseUrl: fake.openaiUrl } } }), {}, deps());
  const forced = resolveModels(
    models({ primary: "vllm/qwen", providers: { vllm: { baseUrl: fake.openaiUrl, maxTokensParam: "max_completion_tokens" } } }),
    {},
    deps(),
  );
  for (const r of [official, local, forced]) await completeWithFallback(r.providers, req());
  assert.deepEqual(
    fake.requests.map((q) => [q.body.model, q.body.max_tokens, q.body.max_completion_tokens]),
    [
      ["o4-mini", undefined, 50],
      ["llama3.2", 50, undefined],
      ["qwen", undefined, 50],
    ],
  );
});
