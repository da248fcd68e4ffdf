import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { connectGateway, type GatewayConnection } from "../../src/client/gateway-client.ts";
import type { EventFrame } from "../../src/protocol/frames.ts";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { runCli, startGateway, type RunningGateway } from "../helpers/gateway.ts";

const fake = new FakeModelServer();
before(() => fake.start());
after(() => fake.close());

const running: RunningGateway[] = [];
after(async () => {
  for (const g of running) await g.stop();
});

async function gateway(config: Record<string, unknown>, env: Record<string, string> = {}): Promise<RunningGateway> {
  fake.reset();
  const g = await startGateway({ config, env });
  running.push(g);
  return g;
}

const viaOpenAI = (extra: Record<string, unknown> = {}) => ({
  models: { primary: "fake/echo-1", providers: { fake: { kind: "openai", baseUrl: fake.openaiUrl } }, ...extra },
});

async function client(port: number, id = "test-client"): Promise<GatewayConnection> {
  return connectGateway({ url: `ws://127.0.0.1:${port}`, clientId: id, mode: "webchat" });
}

function chatEvents(c: GatewayConnection, state?: string): Array<Record<string, unknown>> {
  return c.events
    .filter((e: EventFrame) => e.event === "chat" && (!state || (e.payload as { state: string }).state === state))
    .map((e) => e.payload as Record<string, unknown>);
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

test("chat.send streams deltas and a final reply through the real provider code to every connected client", async () => {
  const g = await gateway(viaOpenAI());
  const a = await client(g.port, "tab-a");
  const b = await client(g.port, "tab-b");
  const sent = await a.request<{ status: string; sessionKey: string }>("chat.send", { text: "hello there", idempotencyKey: "k-1" });
  assert.deepEqual([sent.status, sent.sessionKey], ["accepted", "agent:main:main"]);
  await until(() => chatEvents(a, "final").length === 1 && chatEvents(b, "final").length === 1);
  for (const c of [a, b]) {
    const deltas = chatEvents(c, "delta")
      .map((e) => e.delta)
      .join("");
    assert.equal(deltas, "echo: hello there");
    assert.equal(chatEvents(c, "final")[0]!.text, "echo: hello there");
    assert.equal(chatEvents(c, "final")[0]!.model, "fake/echo-1");
  }
  const history = await a.request<{ messages: Array<{ role: string; content: string }> }>("chat.history", {});
  assert.deepEqual(
    history.messages.map((m) => [m.role, m.content]),
    [
      ["user", "hello there"],
      ["assistant", "echo: hello there"],
    ],
  );
  assert.equal(fake.requests.length, 1);
  assert.equal(fake.requests[0]!.body.messages[0].role, "system");
  await a.close();
  await b.close();
});

test("the same idempotency key sent three times is one message, one run and one reply", async () => {
  const g = await gateway(viaOpenAI());
  const c = await client(g.port);
  const answers = [];
  for (let i = 0; i < 3; i++) answers.push((await c.request<{ status: string }>("chat.send", { text: "once", idempotencyKey: "same" })).status);
  assert.deepEqual(answers, ["accepted", "duplicate", "duplicate"]);
  await until(() => chatEvents(c, "final").length === 1);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(fake.requests.length, 1);
  assert.equal(chatEvents(c, "final").length, 1);
  await c.close();
});

test("ANTHROPIC_API_KEY alone gives a working agent over the Anthropic wire format", async () => {
  const g = await gateway({ models: { providers: { anthropic: { baseUrl: fake.anthropicUrl } } } }, { ANTHROPIC_API_KEY: "sk-ant-test-1234567890" });
  const c = await client(g.port);
  await c.request("chat.send", { text: "hi claude", idempotencyKey: "a-1" });
  await until(() => chatEvents(c, "final").length === 1);
  assert.equal(chatEvents(c, "final")[0]!.text, "echo: hi claude");
  assert.equal(fake.requests[0]!.format, "anthropic");
  assert.equal(fake.requests[0]!.headers["x-api-key"], "sk-ant-test-1234567890");
  const status = await c.request<{ model: { configured: boolean; describe: string } }>("status");
  assert.equal(status.model.configured, true);
  assert.ok(!status.model.describe.includes("sk-ant-test-1234567890"), "the key is never shown");
  await c.close();
});

test("a 429 with Retry-After is waited out and retried; the user gets the answer", async () => {
  const g = await gateway(viaOpenAI());
  fake.queue({ kind: "status", status: 429, retryAfter: "1" });
  const c = await client(g.port);
  await c.request("chat.send", { text: "busy?", idempotencyKey: "r-1" });
  await until(() => chatEvents(c, "final").length === 1);
  assert.equal(chatEvents(c, "final")[0]!.text, "echo: busy?");
  assert.equal(fake.requests.length, 2);
  await c.close();
});

test("a model that keeps failing gets bounded retries, then one clear error reply", async () => {
  const g = await gateway(viaOpenAI({ retries: 1 }));
  fake.behaviour = { kind: "status", status: 500 };
  const c = await client(g.port);
  await c.request("chat.send", { text: "anyone?", idempotencyKey: "f-1" });
  await until(() => chatEvents(c, "error").length === 1, 15_000);
  assert.match(String(chatEvents(c, "error")[0]!.text), /^The model did not answer.*Please try again/);
  assert.equal(fake.requests.length, 2, "one try and one retry, no storm");
  const history = await c.request<{ messages: Array<{ role: string; content: string }> }>("chat.history", {});
  assert.equal(history.messages.at(-1)!.role, "notice");
  await c.close();
});

test("a model that does not exist is answered with what it is and the fix, not 'try again'; status shows the error and its kind", async () => {
  const g = await gateway(viaOpenAI({ retries: 2 }));
  fake.models = ["echo-2"];
  const c = await client(g.port);
  await c.request("chat.send", { text: "anyone?", idempotencyKey: "nf-1" });
  await until(() => chatEvents(c, "error").length === 1);
  const text = String(chatEvents(c, "error")[0]!.text);
  assert.equal(
    text,
    `Model 'echo-1' not found (404) at ${fake.openaiUrl}. Check the model id in models.primary / models.fallbacks ("fake/echo-1") and models.providers.fake.baseUrl.`,
  );
  assert.equal(fake.requests.length, 1, "a 404 is not retried");
  const history = await c.request<{ messages: Array<{ role: string; content: string }> }>("chat.history", {});
  assert.equal(history.messages.at(-1)!.content, text);
  await c.close();
  const json = JSON.parse((await runCli(["status", "--json"], g.env)).stdout);
  assert.deepEqual(
    [json.gateway.rpc.status.model.lastError.kind, json.gateway.rpc.status.model.lastError.httpStatus, json.gateway.rpc.status.model.lastError.permanent],
    ["model-not-found", 404, true],
  );
  const plain = (await runCli(["status"], g.env)).stdout;
  assert.match(plain, /model error +model-not-found \(404\), permanent, .* ago: Model 'echo-1' not found/);
});

test("a reply cut at max tokens says so in the stream, the final reply and the transcript", async () => {
  const g = await gateway(viaOpenAI({ maxTokens: 3 }));
  const c = await client(g.port);
  await c.request("chat.send", { text: "tell me a long story", idempotencyKey: "cut-1" });
  await until(() => chatEvents(c, "final").length === 1);
  const expected = "echo: tell me \n\n[reply cut: the model hit its max tokens limit (3); raise models.maxTokens]";
  assert.equal(chatEvents(c, "final")[0]!.text, expected);
  assert.equal(
    chatEvents(c, "delta")
      .map((e) => e.delta)
      .join(""),
    expected,
  );
  const history = await c.request<{ messages: Array<{ role: string; content: string }> }>("chat.history", {});
  assert.equal(history.messages.at(-1)!.content, expected);
  await c.close();
});

test("a model that hangs past reply.timeoutSeconds gets a short timeout reply", async () => {
  const g = await gateway({ ...viaOpenAI({ retries: 0, requestTimeoutSeconds: 30 }), reply: { timeoutSeconds: 1 } });
  fake.behaviour = { kind: "hang" };
  const c = await client(g.port);
  await c.request("chat.send", { text: "hello?", idempotencyKey: "h-1" });
  await until(() => chatEvents(c, "error").length === 1, 10_000);
  assert.equal(chatEvents(c, "error")[0]!.text, "I could not answer within 1 s. Please try again.");
  await c.close();
});

test("a message the model sends with the message tool reaches open tabs at once as a notice, before the run's reply", async () => {
  const g = await gateway(viaOpenAI());
  fake.respond = (req) =>
    req.body.messages.some((m: { role: string }) => m.role === "tool")
      ? { kind: "reply", text: "all done" }
      : { kind: "tools", calls: [{ name: "message", input: { text: "working on it" } }] };
  const c = await client(g.port);
  await c.request("chat.send", { text: "do the thing", idempotencyKey: "m-1" });
  await until(() => chatEvents(c, "final").length === 1);
  const lines = c.events
    .filter((e) => e.event === "chat" && ["notice", "final"].includes((e.payload as { state: string }).state))
    .map((e) => [(e.payload as { state: string }).state, (e.payload as { text: string }).text, (e.payload as { runId: number | null }).runId]);
  assert.deepEqual(lines, [
    ["notice", "working on it", null],
    ["final", "all done", 1],
  ]);
  const history = await c.request<{ messages: Array<{ role: string; content: string }> }>("chat.history", {});
  assert.ok(
    history.messages.some((m) => m.role === "notice" && m.content === "working on it"),
    "and it is in the transcript",
  );
  await c.close();
});

test("with no model configured the chat gets one reply saying what to set, and status says so", async () => {
  const g = await gateway({});
  const c = await client(g.port);
  await c.request("chat.send", { text: "hi", idempotencyKey: "n-1" });
  await until(() => chatEvents(c, "final").length === 1);
  assert.match(String(chatEvents(c, "final")[0]!.text), /ANTHROPIC_API_KEY/);
  assert.match(String(chatEvents(c, "final")[0]!.text), /OPENAI_API_KEY/);
  const status = await c.request<{ model: { configured: boolean } }>("status");
  assert.equal(status.model.configured, false);
  await c.close();
});

test("sessions.list shows the session; /new typed in the chat and sessions.reset start fresh ones", async () => {
  const g = await gateway(viaOpenAI());
  const c = await client(g.port);
  await c.request("chat.send", { text: "one", idempotencyKey: "s-1" });
  await until(() => chatEvents(c, "final").length === 1);
  const list = await c.request<{ sessions: Array<{ key: string; messageCount: number }> }>("sessions.list");
  assert.deepEqual(
    list.sessions.map((s) => [s.key, s.messageCount]),
    [["agent:main:main", 2]],
  );
  await c.request("chat.send", { text: "/new", idempotencyKey: "s-2" });
  await until(() => chatEvents(c, "final").length === 2);
  assert.equal(chatEvents(c, "final")[1]!.text, "Started a new session.");
  const reset = await c.request<{ reset: boolean }>("sessions.reset", { sessionKey: "agent:main:main" });
  assert.equal(reset.reset, true);
  await c.close();
});

test("a corrupted database refuses the start, naming the file and onebrain restore (exit 26)", async () => {
  const g = await gateway({});
  await g.stop();
  const db = path.join(g.stateDir, "brain.db");
  const fd = fs.openSync(db, "r+");
  fs.writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, 100); // garbage over the header and first pages
  fs.closeSync(fd);
  const r = await runCli(["gateway", "--port", String(g.port)], g.env);
  assert.equal(r.code, 26, r.stderr);
  assert.ok(r.stderr.includes(db), r.stderr);
  assert.match(r.stderr, /onebrain restore/);
  const free = await runCli(["gateway", "status", "--json", "--port", String(g.port)], g.env);
  assert.equal(JSON.parse(free.stdout).lock.status, "free", "the refused start released the lock");
});
