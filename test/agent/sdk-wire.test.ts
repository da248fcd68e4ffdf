/**
 * The fake model speaks the real formats: its streams (text, tool calls, parallel calls, empty
 * input) go through the official SDKs, `@anthropic-ai/sdk` and `openai` (dev dependencies only),
 * and what the SDKs assemble equals what our providers assemble from the same streams. The
 * recorded streams in the documented formats (fixtures/) are read through the SDKs too.
 */
import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { createAnthropicProvider } from "../../src/agent/providers/anthropic.ts";
import { createOpenAIProvider } from "../../src/agent/providers/openai.ts";
import type { CompletionResult } from "../../src/agent/provider.ts";
import type { ToolCall, ToolSpec } from "../../src/agent/tools/types.ts";
import { FakeModelServer, type Behaviour } from "../helpers/fake-model.ts";

const TOOLS: ToolSpec[] = [
  {
    name: "read",
    description: "Read a file of the workspace.",
    inputSchema: { type: "object", properties: { path: { type: "string" } }, required: ["path"] },
  },
  { name: "list", description: "List the workspace.", inputSchema: { type: "object", properties: {} } },
];

/** The streams both SDKs must read as our providers do; ids are fixed so two runs send the same stream. */
const CASES: { title: string; behaviour: Behaviour }[] = [
  { title: "a plain text reply", behaviour: { kind: "reply", text: "Nothing to do here, all is well." } },
  { title: "one call", behaviour: { kind: "tools", calls: [{ id: "id_one", name: "read", input: { path: "notes/todo.md" } }] } },
  {
    title: "text, then parallel calls with escapes and non-ASCII in their arguments",
    behaviour: {
      kind: "tools",
      text: "I'll read both files.",
      calls: [
        { id: "id_a", name: "read", input: { path: 'dir with "quotes"/a.txt', note: "café ☕ 𝄞" } },
        { id: "id_b", name: "read", input: { path: "b.txt", lines: [1, 20], deep: { ok: true, n: null } } },
      ],
    },
  },
  {
    title: "calls with empty input",
    behaviour: {
      kind: "tools",
      calls: [
        { id: "id_e1", name: "list", input: {} },
        { id: "id_e2", name: "list", input: "" },
      ],
    },
  },
];

/** What a reply comes to, as both sides can say it. */
interface Assembled {
  text: string;
  toolCalls: ToolCall[];
  stop: string | null;
}

const REQUEST = { system: "", messages: [{ role: "user" as const, content: "go" }], maxTokens: 200, tools: TOOLS };

/** The reply as `client.messages.stream(...).finalMessage()` assembles it. */
async function anthropicSdk(baseURL: string): Promise<Assembled & { usage: { inputTokens: number; outputTokens: number } }> {
  const client = new Anthropic({ apiKey: "k", baseURL, maxRetries: 0 });
  const message = await client.messages
    .stream({
      model: "claude-x",
      max_tokens: REQUEST.maxTokens,
      messages: REQUEST.messages,
      tools: TOOLS.map((t) => ({ name: t.name, description: t.description, input_schema: t.inputSchema as Anthropic.Tool.InputSchema })),
    })
    .finalMessage();
  return {
    text: message.content.map((b) => (b.type === "text" ? b.text : "")).join(""),
    toolCalls: message.content.flatMap((b) => (b.type === "tool_use" ? [{ id: b.id, name: b.name, input: b.input as Record<string, unknown> }] : [])),
    stop: message.stop_reason,
    usage: { inputTokens: message.usage.input_tokens, outputTokens: message.usage.output_tokens },
  };
}

/** The reply as `client.chat.completions.stream(...).finalChatCompletion()` assembles it. */
async function openaiSdk(baseURL: string): Promise<Assembled & { usage: { inputTokens: number; outputTokens: number } | null }> {
  const client = new OpenAI({ apiKey: "k", baseURL, maxRetries: 0 });
  const completion = await client.chat.completions
    .stream({
      model: "gpt-x",
      max_tokens: REQUEST.maxTokens,
      messages: REQUEST.messages,
      tools: TOOLS.map((t) => ({ type: "function" as const, function: { name: t.name, description: t.description, parameters: t.inputSchema } })),
      stream_options: { include_usage: true },
    })
    .finalChatCompletion();
  const choice = completion.choices[0]!;
  return {
    text: choice.message.content ?? "",
    // The SDK keeps the argument text as sent; ours parses it, an empty text being `{}`.
    toolCalls: (choice.message.tool_calls ?? []).map((c) => {
      assert.equal(c.type, "function");
      const fn = (c as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall).function;
      return { id: c.id, name: fn.name, input: fn.arguments === "" ? {} : JSON.parse(fn.arguments) };
    }),
    stop: choice.finish_reason,
    usage: completion.usage ? { inputTokens: completion.usage.prompt_tokens, outputTokens: completion.usage.completion_tokens } : null,
  };
}

const FIXTURES = path.join(import.meta.dirname, "fixtures");
/** Recorded streams in the documented formats (the others stand for servers that bend them, which the SDKs need not read). */
const STANDARD = [
  "anthropic-single-call",
  "anthropic-text-parallel",
  "anthropic-empty-input",
  "anthropic-thinking-interleaved",
  "openai-single-call",
  "openai-text-parallel",
];

describe("the fake model's streams read by the official SDKs", () => {
  const fake = new FakeModelServer();
  before(() => fake.start());
  after(() => fake.close());
  beforeEach(() => fake.reset());

  const ours = async (kind: "anthropic" | "openai", behaviour: Behaviour): Promise<CompletionResult> => {
    fake.queue(behaviour);
    const provider =
      kind === "anthropic"
        ? createAnthropicProvider({ name: "anthropic", model: "claude-x", baseUrl: fake.anthropicUrl, apiKey: "k" })
        : createOpenAIProvider({ name: "openai", model: "gpt-x", baseUrl: fake.openaiUrl, apiKey: "k" });
    return provider.complete({ ...REQUEST, signal: AbortSignal.timeout(10_000) });
  };
  const mine = (r: CompletionResult) => ({ text: r.text, toolCalls: r.toolCalls, stop: r.stopReason, usage: r.usage });

  for (const { title, behaviour } of CASES) {
    test(`Anthropic: ${title}`, async () => {
      const ourResult = await ours("anthropic", behaviour);
      fake.queue(behaviour);
      assert.deepEqual(mine(ourResult), await anthropicSdk(fake.anthropicUrl));
      assert.equal(ourResult.stopReason, behaviour.kind === "tools" ? "tool_use" : "end_turn");
    });

    test(`OpenAI: ${title}`, async () => {
      const ourResult = await ours("openai", behaviour);
      fake.queue(behaviour);
      assert.deepEqual(mine(ourResult), await openaiSdk(fake.openaiUrl));
      assert.equal(ourResult.stopReason, behaviour.kind === "tools" ? "tool_calls" : "stop");
    });
  }

  for (const name of STANDARD) {
    test(`the recorded stream ${name} reads the same through the SDK`, async () => {
      const behaviour: Behaviour = { kind: "raw", sse: readFileSync(path.join(FIXTURES, `${name}.sse`), "utf8") };
      const kind = name.startsWith("anthropic-") ? "anthropic" : "openai";
      const ourResult = await ours(kind, behaviour);
      assert.ok(ourResult.toolCalls.length > 0);
      fake.queue(behaviour);
      assert.deepEqual(mine(ourResult), kind === "anthropic" ? await anthropicSdk(fake.anthropicUrl) : await openaiSdk(fake.openaiUrl));
    });
  }
});
