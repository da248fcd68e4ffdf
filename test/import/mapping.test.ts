/**
 * The pure parts of `onebrain import openclaw`, in process: OpenClaw's session keys in
 * onebrain's form, a transcript's active branch turned into onebrain lines (tool calls and
 * results as onebrain stores them), and the line reader's cap.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { mapSessionKey, type KeyContext } from "../../src/migrate/openclaw/keys.ts";
import { readLines, type RawLine } from "../../src/migrate/openclaw/lines.ts";
import { convertTranscript } from "../../src/migrate/openclaw/transcript.ts";
import { tmpDir } from "../helpers/gateway.ts";

const ctx: KeyContext = {
  mainKey: "main",
  defaultAgent: "main",
  accountOf: (channel, account) => (channel === "telegram" && account === "default" ? "123456" : null),
};
const key = (k: string, hints: { channel?: string; accountId?: string } = {}) => {
  const m = mapSessionKey({ key: k, hints }, ctx);
  return "problem" in m ? `! ${m.problem}` : m.key;
};

test("OpenClaw's session keys become onebrain's keys of the same conversation", () => {
  assert.equal(key("agent:main:main"), "agent:main:main");
  assert.equal(key("agent:main:telegram:direct:987654321"), "agent:main:telegram:123456:dm:987654321");
  assert.equal(key("agent:main:telegram:dm:987654321"), "agent:main:telegram:123456:dm:987654321", "Clawdbot's dm");
  assert.equal(key("agent:work:telegram:alerts:direct:42"), "agent:work:telegram:alerts:dm:42", "an account whose token is unknown keeps its name");
  assert.equal(key("agent:main:direct:42", { channel: "telegram" }), "agent:main:telegram:*:dm:42", "per-peer takes its channel from the entry");
  assert.equal(key("agent:main:direct:42"), "agent:main:direct:42", "without a channel it stays as it was");
  assert.equal(key("agent:main:telegram:group:-100123:topic:7"), "agent:main:telegram:123456:group:-100123");
  assert.equal(key("cron:9b2f"), "agent:main:cron:9b2f");
  assert.equal(key("hook:3f1d"), "agent:main:hook:3f1d");
  assert.equal(key("global"), "agent:main:main");
  assert.equal(key("agent:work:project-x"), "agent:work:project-x");
  assert.equal(key("agent:main:slack:dm:U:1"), "agent:main:slack:default:dm:U%3A1", "a peer with ':' is escaped as onebrain escapes it");
  assert.equal(key("agent:Main Agent:main"), "! it contains whitespace or a control character");
  assert.equal(key("agent:Main:main"), '! its agent id "Main" is not one onebrain can use (a-z, 0-9, _ and -)');
  assert.equal(key("agent:main:\ud800"), "! it is not well-formed Unicode (a lone UTF-16 surrogate)");
  assert.equal(key("some-key"), "! it is not an agent's session key (agent:<id>:...)");
});

const ev = (o: Record<string, unknown>, n: number): RawLine => ({ n, text: JSON.stringify(o) });
const m = (id: string, parentId: string | null, message: Record<string, unknown>) => ({
  type: "message",
  id,
  parentId,
  timestamp: "2026-01-20T09:00:00.000Z",
  message,
});

test("only the active branch of a transcript comes over, with tool calls and results as onebrain stores them", () => {
  const c = convertTranscript([
    ev({ type: "session", version: 3, id: "s", timestamp: "2026-01-20T09:00:00.000Z" }, 1),
    ev(m("a", null, { role: "user", content: "question", timestamp: 1000 }), 2),
    ev(m("b", "a", { role: "assistant", content: [{ type: "text", text: "an answer later abandoned" }], timestamp: 2000 }), 3),
    ev(
      m("c", "a", {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "hm" },
          { type: "text", text: "Reading." },
          { type: "toolCall", id: "t1", name: "read", arguments: { path: "A.md" } },
        ],
        timestamp: 3000,
      }),
      4,
    ),
    ev(
      m("d", "c", {
        role: "toolResult",
        toolCallId: "t1",
        toolName: "read",
        content: [
          { type: "text", text: "# A" },
          { type: "image", data: "x", mimeType: "image/png" },
        ],
        isError: false,
        timestamp: 4000,
      }),
      5,
    ),
    ev({ type: "compaction", id: "e", parentId: "d", summary: "s", firstKeptEntryId: "a" }, 6),
    ev(m("f", "e", { role: "user", content: "[Telegram Ann (@ann) id:1 2026-01-20 10:10 GMT+1] hi\n[message_id: 7]", timestamp: 5000 }), 7),
    ev(m("g", "f", { role: "assistant", content: [{ type: "text", text: "hello" }], timestamp: 6000 }), 8),
  ]);
  assert.deepEqual(
    c.lines.map((l) => [l.role, l.content, l.data]),
    [
      ["user", "question", null],
      ["assistant", "Reading.", JSON.stringify([{ id: "t1", name: "read", input: { path: "A.md" } }])],
      ["tool", "# A", JSON.stringify({ callId: "t1", name: "read", isError: false })],
      ["user", "hi", null],
      ["assistant", "hello", null],
    ],
  );
  assert.deepEqual([c.startedAt, c.lastAt, c.toolLines], [Date.parse("2026-01-20T09:00:00.000Z"), 6000, 1]);
  assert.deepEqual(Object.fromEntries(c.left), {
    "on a branch the conversation left (not its active path)": 1,
    "images in tool results": 1,
    "compaction summaries (the lines they summarise are imported)": 1,
  });
});

test("the line reader hands over a line past its cap as its size, never its bytes, and goes on", () => {
  const file = path.join(tmpDir("onebrain-lines-"), "t.jsonl");
  fs.writeFileSync(file, `{"a":1}\n${"x".repeat(200_000)}\n\n{"b":2}`);
  assert.deepEqual(
    [...readLines(file, 100_000)],
    [
      { n: 1, text: '{"a":1}' },
      { n: 2, tooBig: 200_000 },
      { n: 4, text: '{"b":2}' },
    ],
  );
});
