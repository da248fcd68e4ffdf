import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { memoryTools } from "../../../src/agent/tools/memory.ts";
import { MAX_MESSAGE_CHARS, messageTool } from "../../../src/agent/tools/message.ts";
import type { CallOrigin, MessageRequest, Tool, ToolContext } from "../../../src/agent/tools/types.ts";
import { sendToolMessage } from "../../../src/brain/tool-messages.ts";
import { enqueueReply } from "../../../src/brain/runs.ts";
import { configSchema } from "../../../src/config/schema.ts";
import { getMemory, searchMemory } from "../../../src/sessions/memory.ts";
import { appendMessage, liveSession, transcript } from "../../../src/sessions/store.ts";
import { openStore, type Store } from "../../../src/store/db.ts";
import { tmpDir } from "../../helpers/gateway.ts";

const T0 = Date.UTC(2026, 11, 1, 9, 0);
const policy = { mode: "idle" as const, atHour: 4, idleMinutes: 100_000 };
const CHANNELS = [
  { id: "webchat", account: "default" },
  { id: "telegram", account: "bot1" },
  { id: "telegram", account: "bot2" },
];

interface Rig {
  store: Store;
  ws: string;
  ctx: (origin?: Partial<CallOrigin>) => ToolContext;
  sent: MessageRequest[];
  begun: number[];
  outbox: () => Array<{ id: number; idempotency_key: string; channel: string; account: string; target: string; text: string; inbound_id: number | null }>;
}

/** A ToolContext whose memory and messages are the real store functions; the rest is not used by these tools. */
function rig(): Rig {
  const dir = tmpDir();
  const store = openStore(path.join(dir, "brain.db"));
  const epoch = store.bumpEpoch();
  const ws = path.join(dir, "workspace");
  fs.mkdirSync(path.join(ws, "memory"), { recursive: true });
  const sent: MessageRequest[] = [];
  const begun: number[] = [];
  const config = configSchema.parse({}).tools;
  const ctx = (o: Partial<CallOrigin> = {}): ToolContext => {
    const origin: CallOrigin = {
      runId: 7,
      callId: "call_1",
      sessionKey: "agent:main:main",
      agentId: "main",
      channel: "telegram",
      account: "bot1",
      peer: "42",
      ...o,
    };
    const unused = (): never => {
      throw new Error("not used by these tools");
    };
    return {
      origin,
      workspace: ws,
      signal: new AbortController().signal,
      config,
      env: {},
      sendMessage: async (m) => {
        sent.push(m);
        return sendToolMessage(store, m, { origin, channels: CHANNELS, epoch, now: T0 });
      },
      searchMemory: (q, limit) => searchMemory(store, q, { limit, workspace: ws }),
      getMemory: (ref) => getMemory(store, ref, ws),
      requestApproval: unused,
      beginSideEffect: async () => void begun.push(origin.runId),
      isAllowlisted: unused,
      recordProcess: unused,
    };
  };
  const outbox = () =>
    store
      .prepare("SELECT id, idempotency_key, channel, account, target, text, inbound_id FROM outbox ORDER BY id")
      .all()
      .map((row) => ({ ...row })) as ReturnType<Rig["outbox"]>;
  return { store, ws, ctx, sent, begun, outbox };
}

function say(store: Store, role: "user" | "assistant", text: string, key = "agent:main:main"): number {
  const s = liveSession(store, key, "main", T0, policy);
  return appendMessage(store, { sessionId: s.id, role, content: text, now: T0 });
}

/** A conversation the brain has answered: an inbound message and its reply in the outbox. */
function answered(store: Store, channel: string, account: string, peer: string, key: string): void {
  const row = store
    .prepare(
      "INSERT INTO inbound (channel, account, message_id, session_key, peer, text, received_at, state) VALUES (?, ?, ?, ?, ?, 'hi', ?, 'answered') RETURNING id",
    )
    .get(channel, account, `m-${peer}`, key, peer, T0) as { id: number };
  store.transaction(() =>
    enqueueReply(store, { inboundId: row.id, key: `reply:${row.id}`, channel, account, target: peer, replyTo: null, text: "hello", epoch: 1, now: T0 }),
  );
}

const byName = (name: string): Tool => [...memoryTools(), messageTool()].find((t) => t.name === name)!;

test("the tools declare their group, side effects and concurrency", () => {
  assert.deepEqual(
    [...memoryTools(), messageTool()].map((t) => [t.name, t.group, t.sideEffects, t.concurrent, t.spec.name === t.name]),
    [
      ["memory_search", "memory", false, true, true],
      ["memory_get", "memory", false, true, true],
      ["message", "messaging", true, false, true],
    ],
  );
});

test("memory_search lists refs the model can pass to memory_get, which returns the whole entry", async () => {
  const r = rig();
  const id = say(r.store, "user", "My passport number ends in 4711 and expires in March.");
  fs.writeFileSync(path.join(r.ws, "memory", "travel.md"), "# Documents\n\nPassport renewal booked for February.\n");
  const found = await byName("memory_search").run({ query: "passport" }, r.ctx());
  assert.equal(found.isError, false);
  assert.match(found.content, new RegExp(`msg:${id} \\(transcript, 2026-12-01 09:00 UTC\\)`));
  assert.match(found.content, /note:memory\/travel\.md#L3 \(note, /);
  assert.match(found.content, /\*\*passport\*\*/i);
  const entry = await byName("memory_get").run({ ref: "note:memory/travel.md#L3" }, r.ctx());
  assert.deepEqual(entry, { isError: false, content: "note:memory/travel.md#L3\nmemory/travel.md lines 3-3:\nPassport renewal booked for February." });
  const none = await byName("memory_search").run({ query: "giraffe" }, r.ctx());
  assert.deepEqual([none.isError, /No memory matches "giraffe"/.test(none.content)], [false, true]);
});

test("the memory tools answer bad input with a tool error that says what to do, never a throw", async () => {
  const r = rig();
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ["memory_search", {}, /needs "query"/],
    ["memory_search", { query: "   " }, /needs "query"/],
    ["memory_search", { query: 42 }, /needs "query"/],
    ["memory_search", { query: "x".repeat(10_001) }, /at most 10000/],
    ["memory_search", { query: "a", limit: 0 }, /"limit" must be a whole number from 1 to 50/],
    ["memory_search", { query: "a", limit: "5" }, /"limit"/],
    ["memory_search", { query: "a", limit: 2.5 }, /"limit"/],
    ["memory_get", {}, /needs "ref"/],
    ["memory_get", { ref: "msg:999" }, /No memory entry "msg:999"/],
    ["memory_get", { ref: "note:../../etc/passwd#L1" }, /No memory entry/],
    ["memory_get", { ref: "y".repeat(5000) }, /No memory entry "y{200}…"/],
  ];
  for (const [name, input, expected] of cases) {
    const out = await byName(name).run(input, r.ctx());
    assert.equal(out.isError, true, `${name} ${JSON.stringify(input).slice(0, 60)}`);
    assert.match(out.content, expected);
  }
  const hostile = await byName("memory_search").run({ query: 'NEAR( "unbalanced * col:' }, r.ctx());
  assert.equal(hostile.isError, false);
});

test("message goes by default to the conversation the run answers, keyed by run and call id", async () => {
  const r = rig();
  const out = await byName("message").run({ text: "On my way." }, r.ctx());
  assert.equal(out.isError, false, out.content);
  assert.match(out.content, /Message queued for telegram "42" \(account "bot1"\) \(outbox #1\)/);
  assert.deepEqual(r.outbox(), [
    { id: 1, idempotency_key: "tool:7:call_1", channel: "telegram", account: "bot1", target: "42", text: "On my way.", inbound_id: null },
  ]);
  assert.deepEqual(r.begun, [7]);
});

test("the same call sent twice is one outbox row; another call is another message", async () => {
  const r = rig();
  const first = await byName("message").run({ text: "Reminder: dentist at 3." }, r.ctx());
  const again = await byName("message").run({ text: "Reminder: dentist at 3." }, r.ctx());
  assert.equal(first.content, again.content);
  assert.equal(r.outbox().length, 1);
  await byName("message").run({ text: "And bring the form." }, r.ctx({ callId: "call_2" }));
  assert.deepEqual(
    r.outbox().map((o) => o.idempotency_key),
    ["tool:7:call_1", "tool:7:call_2"],
  );
});

test("a message to WebChat lands once in that session's transcript, as a notice the model is not fed back", async () => {
  const r = rig();
  const origin = { channel: "webchat", account: "default", peer: "tab-1", sessionKey: "agent:main:main" };
  say(r.store, "user", "ping me when done");
  for (let i = 0; i < 2; i++) assert.equal((await byName("message").run({ text: "Done with the report." }, r.ctx(origin))).isError, false);
  const lines = transcript(r.store, "agent:main:main", 10).map((m) => [m.role, m.content]);
  assert.deepEqual(lines, [
    ["user", "ping me when done"],
    ["notice", "Done with the report."],
  ]);
  assert.equal(r.outbox().length, 1);
});

test("a message may go to another conversation this assistant has answered, on a running channel and account", async () => {
  const r = rig();
  answered(r.store, "telegram", "bot2", "-100777", "agent:main:telegram:bot2:group:-100777");
  answered(r.store, "webchat", "default", "tab-9", "agent:main:side");
  say(r.store, "user", "earlier", "agent:main:side");
  const tg = await byName("message").run({ text: "Hello group", target: { channel: "telegram", account: "bot2", to: "-100777" } }, r.ctx());
  assert.equal(tg.isError, false, tg.content);
  const wc = await byName("message").run({ text: "Hello tab", target: { channel: "webchat", to: "tab-9" } }, r.ctx({ callId: "call_2" }));
  assert.equal(wc.isError, false, wc.content);
  assert.deepEqual(
    transcript(r.store, "agent:main:side", 10).map((m) => m.content),
    ["earlier", "Hello tab"],
  );
  const sent = r.outbox().filter((o) => o.idempotency_key.startsWith("tool:"));
  assert.deepEqual(
    sent.map((o) => [o.channel, o.account, o.target]),
    [
      ["telegram", "bot2", "-100777"],
      ["webchat", "default", "tab-9"],
    ],
  );
});

test("a target the brain refuses becomes a tool error naming what to do, and nothing is queued", async () => {
  const r = rig();
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ channel: "slack", to: "C1" }, /no channel "slack" runs in this gateway \(running: "webchat", "telegram"\)/],
    [{ channel: "telegram", to: "999" }, /several accounts \("bot1", "bot2"\): name one as target.account/],
    [{ channel: "telegram", account: "bot9", to: "999" }, /has no account "bot9"/],
    [{ channel: "telegram", account: "bot1", to: "999" }, /"999" is not a conversation this assistant has answered on telegram/],
    [{ channel: "webchat", to: "tab-unknown" }, /not a conversation this assistant has answered on webchat/],
  ];
  // From WebChat, so that naming telegram without an account does not fall back to the run's own account.
  const fromWebChat = r.ctx({ channel: "webchat", account: "default", peer: "tab-1" });
  for (const [target, expected] of cases) {
    const out = await byName("message").run({ text: "hi", target }, fromWebChat);
    assert.equal(out.isError, true, JSON.stringify(target));
    assert.match(out.content, expected);
  }
  assert.deepEqual(r.outbox(), []);
});

test("bad message input is refused before anything starts: empty or long text, malformed targets", async () => {
  const r = rig();
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{}, /needs "text"/],
    [{ text: "  \n " }, /needs "text"/],
    [{ text: ["hi"] }, /needs "text"/],
    [{ text: "x".repeat(MAX_MESSAGE_CHARS + 1) }, /at most 16000/],
    [{ text: "hi", target: "telegram:42" }, /"target" must be an object/],
    [{ text: "hi", target: [] }, /"target" must be an object/],
    [{ text: "hi", target: { channel: "Tele gram", to: "1" } }, /"target.channel" must be a channel id/],
    [{ text: "hi", target: { channel: "telegram" } }, /"target.to" must be a non-empty string/],
    [{ text: "hi", target: { channel: "telegram", to: "1\n2" } }, /one line of at most 256/],
    [{ text: "hi", target: { channel: "telegram", to: "1", account: "" } }, /"target.account"/],
    [{ text: "hi", target: { channel: "telegram", to: "1", via: "x" } }, /unknown key\(s\) "via"/],
  ];
  for (const [input, expected] of cases) {
    const out = await byName("message").run(input, r.ctx());
    assert.equal(out.isError, true, JSON.stringify(input).slice(0, 60));
    assert.match(out.content, expected);
  }
  assert.deepEqual([r.sent.length, r.begun.length, r.outbox().length], [0, 0, 0]);
});
