/**
 * `openclaw-node`, the Node client OpenClaw users build tools on, against a onebrain gateway:
 * connect (with its Ed25519 device identity), health, status, sessions, history, and `chatSync`
 * returning the agent's reply. The events it consumes are checked against OpenClaw's published
 * schemas, and a chat message sent twice with one idempotency key is one run.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";
import { OpenClawClient } from "openclaw-node";
import { FakeModelServer } from "../helpers/fake-model.ts";
import { startGateway, tmpDir, type RunningGateway } from "../helpers/gateway.ts";
import { healthErrors, schemaErrors } from "../helpers/openclaw-schema.ts";
import { until } from "../helpers/wait.ts";

const model = new FakeModelServer();
const TOKEN = "oc-node-gateway-token-0123456789";
let gw: RunningGateway;
let client: OpenClawClient;
const events: Array<{ event: string; payload: unknown }> = [];

before(async () => {
  await model.start();
  gw = await startGateway({
    config: { gateway: { auth: { token: TOKEN } }, models: { primary: "fake/echo-1", providers: { fake: { kind: "openai", baseUrl: model.openaiUrl } } } },
  });
  client = new OpenClawClient({
    url: `ws://127.0.0.1:${gw.port}`,
    token: TOKEN,
    deviceIdentityPath: path.join(tmpDir("onebrain-oc-node-"), "device.json"),
    autoReconnect: false,
  });
  client.on("event", (e: { event: string; payload: unknown }) => events.push(e));
});
after(async () => {
  await client?.disconnect().catch(() => {});
  await gw?.stop();
  await model.close();
});

test("connects with its device identity and gets a hello-ok OpenClaw's schema accepts", async () => {
  const hello = await client.connect();
  assert.deepEqual(schemaErrors("HelloOkSchema", hello), []);
  assert.equal(hello.protocol, 4);
  assert.ok(client.hasMethod("agent") && client.hasMethod("chat.send") && client.hasMethod("sessions.list"));
  // On loopback with the gateway's token, its key was approved and given a token of its own.
  assert.equal(typeof (hello as { auth: { deviceToken?: string } }).auth.deviceToken, "string");
});

test("health, status and sessions answer in OpenClaw's shapes", async () => {
  assert.deepEqual(healthErrors(await client.health()), []);
  const status = (await client.request("status", {})).payload as { runtimeVersion: string; onebrain: { stateDir: string } };
  assert.equal(status.onebrain.stateDir, gw.stateDir);
  const agents = await client.agents.list();
  assert.deepEqual(schemaErrors("AgentsListResultSchema", agents), []);
  const sessions = (await client.sessions.list()) as { sessions: unknown[]; count: number };
  assert.equal(sessions.count, 0);
  // The model catalog the Control UI's picker reads: the agent's primary, offered, with its thinking levels.
  const models = (await client.request("models.list", { view: "configured", agentId: "main" })).payload as { models: Array<Record<string, unknown>> };
  assert.deepEqual(schemaErrors("ModelsListResultSchema", models), []);
  assert.deepEqual(
    models.models.map((m) => [m.provider, m.id, m.manualSelectionAllowed, m.thinkingDefault]),
    [["fake", "echo-1", true, "off"]],
  );
});

test("chatSync returns the agent's reply, and history holds the turn", async () => {
  const reply = await client.chatSync("hello from openclaw-node", { sessionKey: "agent:main:main" });
  assert.equal(reply, "echo: hello from openclaw-node");
  const history = (await client.sessions.history("agent:main:main", { limit: 10 })) as { messages: Array<{ role: string; content: unknown }> };
  assert.deepEqual(
    history.messages.map((m) => m.role),
    ["user", "assistant"],
  );
  const listed = (await client.sessions.list()) as { sessions: Array<{ key: string }> };
  assert.deepEqual(
    listed.sessions.map((s) => s.key),
    ["agent:main:main"],
  );
  const chat = events.filter((e) => e.event === "chat");
  const agent = events.filter((e) => e.event === "agent");
  assert.ok(chat.some((e) => (e.payload as { state: string }).state === "final"));
  for (const e of chat) assert.deepEqual(schemaErrors("ChatEventSchema", e.payload), [], JSON.stringify(e.payload));
  for (const e of agent) assert.deepEqual(schemaErrors("AgentEventSchema", e.payload), [], JSON.stringify(e.payload));
});

test("chat.send twice with one idempotency key is one message and one run", async () => {
  const before = model.requests.length;
  const send = () => client.request("chat.send", { sessionKey: "agent:main:main", message: "only once", idempotencyKey: "node-once-1" });
  const first = (await send()).payload as { runId: string; status: string };
  const second = (await send()).payload as { runId: string; status: string };
  assert.equal(first.runId, "node-once-1");
  assert.equal(first.status, "started");
  assert.equal(second.runId, "node-once-1");
  assert.notEqual(second.status, "started");
  const waited = (await client.agentWait("node-once-1", { timeoutMs: 10_000 })) as { status: string };
  assert.equal(waited.status, "ok");
  await until("no second run", () => model.requests.length >= before + 1, 5_000);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(model.requests.length, before + 1);
});

test("an unknown method is refused by name, and the connection stays usable", async () => {
  await assert.rejects(client.request("talk.catalog", {}), /unknown method: talk\.catalog/);
  assert.equal(((await client.health()) as { ok: boolean }).ok, true);
});
