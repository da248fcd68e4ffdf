/**
 * Two agents on one brain, through a real gateway process with the fake Bot API and the fake
 * model: bindings send one Telegram chat to "work" and the rest to "home"; each agent answers
 * with its own model and system prompt, in sessions of its own, with tools in its own workspace
 * and a memory of its own; a reload that changes a binding moves only messages ingested after it.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { connectGateway } from "../../src/client/gateway-client.ts";
import { FakeModelServer, type RecordedRequest } from "../helpers/fake-model.ts";
import { FakeTelegram } from "../helpers/fake-telegram.ts";
import { brainRows, httpGet, runCli, startGateway, tmpDir, writeConfig, type RunningGateway } from "../helpers/gateway.ts";
import { until } from "../helpers/wait.ts";

const model = new FakeModelServer();
const tg = new FakeTelegram();
const TOKEN = "7400001:AAAgentsTestTokenxxxxxxxxxxxxxxxxxxxxx";
const WORK_CHAT = 901;
const HOME_CHAT = 902;
const root = tmpDir("onebrain-agents-");
const stateDir = path.join(root, "state");
const workWorkspace = path.join(root, "work-files");
const homeWorkspace = path.join(stateDir, "ws-home");
let gw: RunningGateway;

/** The config: "work" gets one chat, everything else on Telegram goes to "home" (also the default). */
function config(bindings: unknown[]) {
  return {
    models: { primary: "fake/base-1", providers: { fake: { kind: "openai", baseUrl: model.openaiUrl } } },
    agents: {
      list: [
        { id: "home", default: true, workspace: "ws-home", model: "fake/home-1", systemPromptFile: "HOME.md" },
        { id: "work", workspace: workWorkspace, model: { primary: "fake/work-1" }, systemPromptFile: "prompts/work.md" },
      ],
    },
    bindings,
    channels: { telegram: { apiRoot: tg.apiRoot, pollTimeoutSeconds: 1, allowFrom: [String(WORK_CHAT), String(HOME_CHAT)] } },
  };
}
const WORK_BINDINGS = [
  { agentId: "work", comment: "the office chat", match: { channel: "telegram", peer: { kind: "direct", id: String(WORK_CHAT) } } },
  { agentId: "home", match: { channel: "telegram", accountId: "*" } },
];

before(async () => {
  await model.start();
  await tg.start();
  tg.addBot(TOKEN, "agents_test_bot");
  fs.mkdirSync(path.join(workWorkspace, "prompts"), { recursive: true });
  fs.mkdirSync(homeWorkspace, { recursive: true });
  fs.writeFileSync(path.join(homeWorkspace, "HOME.md"), "You are the home agent.");
  fs.writeFileSync(path.join(workWorkspace, "prompts", "work.md"), "You are the work agent.");
  // An AGENTS.md the work agent must not read: its systemPromptFile replaces it.
  fs.writeFileSync(path.join(workWorkspace, "AGENTS.md"), "Wrong prompt.");
  gw = await startGateway({
    stateDir,
    config: config(WORK_BINDINGS),
    env: { TELEGRAM_BOT_TOKEN: TOKEN, ONEBRAIN_LEASE_DIR: tmpDir("onebrain-lease-") },
  });
  await until("telegram polling", () => tg.pollsInFlight(TOKEN) === 1, 10_000);
});
after(async () => {
  await gw?.stop();
  await model.close();
  await tg.close();
});

const said = (chat: number) => tg.sentTo(chat, TOKEN).map((m) => m.plain);
const systemOf = (r: RecordedRequest) => r.body.messages[0]?.role === "system" && r.body.messages[0].content;
const lastUser = (r: RecordedRequest): string => r.body.messages.filter((m: { role: string }) => m.role === "user").at(-1)?.content;
/** The first request of the run that answers `text` (it ends with that user line). */
const askedWith = (text: string) =>
  model.requests.find((r) => {
    const last = r.body.messages.at(-1);
    return last?.role === "user" && last.content === text;
  });
/** The result of the tool call the run answering `text` made: the last tool line of its last request. */
const toolResult = (text: string): string | undefined =>
  model.requests
    .filter((r) => lastUser(r) === text)
    .at(-1)
    ?.body.messages.filter((m: { role: string }) => m.role === "tool")
    .at(-1)?.content;

test("each chat is answered by its agent, with that agent's model and system prompt, in sessions and transcripts of its own", async () => {
  model.reset();
  tg.userSays(HOME_CHAT, "hello home", { token: TOKEN });
  tg.userSays(WORK_CHAT, "hello work", { token: TOKEN });
  await until("both answers", () => said(HOME_CHAT).length === 1 && said(WORK_CHAT).length === 1, 15_000);
  assert.deepEqual([said(HOME_CHAT), said(WORK_CHAT)], [["echo: hello home"], ["echo: hello work"]]);
  const home = askedWith("hello home")!;
  const work = askedWith("hello work")!;
  assert.deepEqual([home.body.model, systemOf(home)], ["home-1", "You are the home agent."]);
  assert.deepEqual([work.body.model, systemOf(work)], ["work-1", "You are the work agent."]);

  assert.deepEqual(brainRows(stateDir, "SELECT session_key AS k, agent_id AS a FROM sessions ORDER BY k"), [
    { k: "agent:home:main", a: "home" },
    { k: "agent:work:main", a: "work" },
  ]);
  const lines = (key: string) =>
    brainRows(stateDir, "SELECT m.content AS c FROM messages m JOIN sessions s ON s.id = m.session_id WHERE s.session_key = ? ORDER BY m.id", key).map(
      (r) => r.c,
    );
  assert.deepEqual(lines("agent:home:main"), ["hello home", "echo: hello home"]);
  assert.deepEqual(lines("agent:work:main"), ["hello work", "echo: hello work"]);
});

test("the work agent's tools write in its own workspace, and memory search finds only the searching agent's lines", async () => {
  model.reset();
  model.respond = (r) => {
    if (r.body.messages.at(-1)?.role === "tool") return { kind: "reply", text: "done" };
    if (lastUser(r) === "note the launch code zebra") return { kind: "tools", calls: [{ name: "write", input: { path: "notes/todo.md", content: "zebra" } }] };
    if (lastUser(r)?.startsWith("recall")) return { kind: "tools", calls: [{ name: "memory_search", input: { query: "zebra" } }] };
    return undefined;
  };
  tg.userSays(WORK_CHAT, "note the launch code zebra", { token: TOKEN });
  await until("the write answered", () => said(WORK_CHAT).length === 2, 15_000);
  assert.equal(fs.readFileSync(path.join(workWorkspace, "notes", "todo.md"), "utf8"), "zebra");
  assert.equal(fs.existsSync(path.join(homeWorkspace, "notes")), false, "nothing in the home agent's workspace");
  assert.equal(fs.existsSync(path.join(stateDir, "workspace")), false, "nor in the single-agent default workspace");

  tg.userSays(HOME_CHAT, "recall as home", { token: TOKEN });
  await until("home's search answered", () => said(HOME_CHAT).length === 2, 15_000);
  tg.userSays(WORK_CHAT, "recall as work", { token: TOKEN });
  await until("work's search answered", () => said(WORK_CHAT).length === 3, 15_000);
  const asHome = toolResult("recall as home");
  const asWork = toolResult("recall as work");
  assert.match(asHome!, /^No memory matches "zebra"/, "home finds nothing of work's");
  assert.match(asWork!, /launch code \*\*zebra\*\*/, "work finds its own line");
});

test("WebChat may name a session of any configured agent, and nothing else", async () => {
  model.reset();
  const c = await connectGateway({ url: `ws://127.0.0.1:${gw.port}`, clientId: "tab", mode: "webchat" });
  try {
    const sent = await c.request<{ sessionKey: string }>("chat.send", { text: "from the console", idempotencyKey: "w-1", sessionKey: "agent:work:console" });
    assert.equal(sent.sessionKey, "agent:work:console");
    await until("the console message asked", () => askedWith("from the console"), 10_000);
    assert.equal(askedWith("from the console")!.body.model, "work-1");
    const plain = await c.request<{ sessionKey: string }>("chat.send", { text: "no key", idempotencyKey: "w-2" });
    assert.match(plain.sessionKey, /^agent:home:/, "a client without a key talks to the default agent");
    await assert.rejects(
      c.request("chat.send", { text: "x", idempotencyKey: "w-3", sessionKey: "agent:main:main" }),
      /Cannot route session key "agent:main:main"/,
    );
  } finally {
    await c.close();
  }
});

test("status lists the agents, the default first, with their workspaces and models", async () => {
  const status = (await httpGet(gw.port, "/api/status")).body;
  assert.deepEqual(
    status.agents.list.map((a: Record<string, unknown>) => [a.id, a.default, a.workspace, String(a.model).split(" ")[0]]),
    [
      ["home", true, homeWorkspace, "fake/home-1"],
      ["work", false, workWorkspace, "fake/work-1"],
    ],
  );
  assert.equal(status.agents.bindings, 2);
  const cli = await runCli(["status"], gw.env);
  assert.match(cli.stdout, /agents\s+home \(default\): fake\/home-1 .*; work: fake\/work-1 .*; 2 bindings/);
});

test("a reload that changes a binding moves only the messages ingested after it", async () => {
  model.reset();
  // The first answer is slow, so the second message waits, already stored, while the config changes.
  model.respond = (r) => (lastUser(r) === "slow first" ? { kind: "reply", text: "slow answer comes in five chunks", delayMs: 600 } : undefined);
  tg.userSays(WORK_CHAT, "slow first", { token: TOKEN });
  await until("the slow message asked", () => askedWith("slow first"), 10_000);
  tg.userSays(WORK_CHAT, "queued second", { token: TOKEN });
  const stored = () =>
    brainRows(
      stateDir,
      "SELECT text, session_key AS k FROM inbound WHERE channel = 'telegram' AND text IN ('slow first', 'queued second', 'after the reload')",
    );
  await until("both stored", () => stored().length === 2, 10_000);

  // Now the work chat goes to home, as every other chat does.
  writeConfig(stateDir, config([{ agentId: "home", match: { channel: "telegram" } }]));
  await gw.waitFor("config reloaded", 10_000);
  tg.userSays(WORK_CHAT, "after the reload", { token: TOKEN });
  await until("three answers", () => said(WORK_CHAT).filter((t) => /slow answer|queued second|after the reload/.test(t)).length === 3, 20_000);

  assert.deepEqual(Object.fromEntries(stored().map((r) => [r.text, r.k])), {
    "slow first": "agent:work:main",
    "queued second": "agent:work:main",
    "after the reload": "agent:home:main",
  });
  assert.equal(askedWith("queued second")!.body.model, "work-1", "stored before the reload: still the work agent's");
  assert.equal(systemOf(askedWith("queued second")!), "You are the work agent.");
  assert.equal(askedWith("after the reload")!.body.model, "home-1", "stored after it: the home agent's");
  assert.equal(systemOf(askedWith("after the reload")!), "You are the home agent.");
});
