/**
 * The two stream assemblers on recorded streams (test/agent/fixtures/*.sse, shaped as the public
 * API docs show them and as local servers send them): each fixture, replayed through the real SSE
 * parser and its format's assembler, gives the calls, text and stop reason in its .expected.json.
 * An expected `inputError` is a part of the message the call must carry.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { SseLineParser } from "../../src/agent/sse.ts";
import { AnthropicAssembler } from "../../src/agent/providers/anthropic-assembler.ts";
import { OpenAIAssembler } from "../../src/agent/providers/openai-assembler.ts";
import { CallIds, MAX_TOOL_ARGS_CHARS, parseToolInput } from "../../src/agent/providers/assembly.ts";
import type { ToolCall } from "../../src/agent/tools/types.ts";

const DIR = path.join(import.meta.dirname, "fixtures");

interface Outcome {
  text: string;
  stopReason: string | null;
  usage: { inputTokens: number; outputTokens: number } | null;
  toolCalls: ToolCall[];
  /** Every text piece the sink got, in order. */
  deltas: string[];
  fragments: number;
  complete: boolean;
}

/** Replays a recorded stream as the provider would read it, cut into 7-byte network chunks. */
function replay(file: string): Outcome {
  const bytes = readFileSync(path.join(DIR, file));
  const parser = new SseLineParser();
  const decoder = new TextDecoder();
  const events = [];
  for (let at = 0; at < bytes.length; at += 7) events.push(...parser.push(decoder.decode(bytes.subarray(at, at + 7), { stream: true })));
  events.push(...parser.push(decoder.decode(), true));
  const deltas: string[] = [];
  let fragments = 0;
  const sinks = { onText: (t: string) => void deltas.push(t), onToolFragment: () => (fragments += 1) };
  if (file.startsWith("anthropic-")) {
    const asm = new AnthropicAssembler(sinks);
    for (const ev of events) {
      if (ev.event === "ping") continue;
      asm.push(ev.event, JSON.parse(ev.data));
      if (asm.done) break;
    }
    return { text: asm.text, stopReason: asm.stopReason, usage: asm.usage, toolCalls: asm.toolCalls(), deltas, fragments, complete: asm.done };
  }
  const asm = new OpenAIAssembler(sinks);
  let complete = false;
  for (const ev of events) {
    if (ev.data === "[DONE]") {
      complete = true;
      break;
    }
    asm.push(JSON.parse(ev.data));
  }
  return { text: asm.text, stopReason: asm.stopReason, usage: asm.usage, toolCalls: asm.toolCalls(), deltas, fragments, complete };
}

const fixtures = readdirSync(DIR)
  .filter((f) => f.endsWith(".sse"))
  .sort((a, b) => a.localeCompare(b));

test("every recorded stream has its expected outcome, and both formats are covered", () => {
  assert.ok(fixtures.some((f) => f.startsWith("anthropic-")) && fixtures.some((f) => f.startsWith("openai-")));
  for (const f of fixtures) assert.ok(readdirSync(DIR).includes(f.replace(/\.sse$/, ".expected.json")), `${f} has no .expected.json`);
});

for (const file of fixtures) {
  test(`assembles ${file.replace(/\.sse$/, "")} into the expected calls, text and stop reason`, () => {
    const expected = JSON.parse(readFileSync(path.join(DIR, file.replace(/\.sse$/, ".expected.json")), "utf8")) as Omit<Outcome, "deltas" | "fragments">;
    const got = replay(file);
    assert.equal(got.complete, true, "the stream reached its terminal event");
    assert.equal(got.text, expected.text);
    assert.equal(got.deltas.join(""), got.text, "the text is exactly the deltas, in order");
    assert.equal(got.stopReason, expected.stopReason);
    assert.deepEqual(got.usage, expected.usage);
    assert.equal(got.fragments > 0, expected.toolCalls.length > 0, "tool fragments were reported as they came");
    assert.equal(got.toolCalls.length, expected.toolCalls.length, JSON.stringify(got.toolCalls));
    expected.toolCalls.forEach((want, i) => {
      const call = got.toolCalls[i]!;
      assert.deepEqual({ id: call.id, name: call.name, input: call.input }, { id: want.id, name: want.name, input: want.input });
      if (want.inputError === undefined) assert.equal(call.inputError, undefined, `call ${i} has no inputError`);
      else assert.ok(call.inputError?.includes(want.inputError), `call ${i}: ${call.inputError}`);
    });
  });
}

test("an Anthropic tool block the stream never closed is judged as it stands", () => {
  const asm = new AnthropicAssembler();
  asm.push("content_block_start", { index: 0, content_block: { type: "tool_use", id: "toolu_x", name: "read", input: {} } });
  asm.push("content_block_delta", { index: 0, delta: { type: "input_json_delta", partial_json: '{"path": "a' } });
  const [call] = asm.toolCalls();
  assert.equal(call!.id, "toolu_x");
  assert.match(call!.inputError!, /not valid JSON/);
});

test("arguments streamed without end stop growing at the cap, and the call gets an error instead of running, in both formats", () => {
  const chunk = "x".repeat(1024 * 1024);
  const anthropic = new AnthropicAssembler();
  anthropic.push("content_block_start", { index: 0, content_block: { type: "tool_use", id: "toolu_big", name: "write", input: {} } });
  const openai = new OpenAIAssembler();
  openai.push({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: "call_big", type: "function", function: { name: "write", arguments: "" } }] } }] });
  for (let i = 0; i < 40; i++) {
    anthropic.push("content_block_delta", { index: 0, delta: { type: "input_json_delta", partial_json: chunk } });
    openai.push({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: chunk } }] } }] });
  }
  anthropic.push("content_block_stop", { index: 0 });
  for (const [call] of [anthropic.toolCalls(), openai.toolCalls()]) {
    assert.deepEqual(call!.input, {});
    assert.match(call!.inputError!, new RegExp(`reached ${MAX_TOOL_ARGS_CHARS / 1024 / 1024} Mi characters`));
  }
});

test("argument text: empty or blank is {}, an object is the input, anything else is an error that quotes it and says what to do", () => {
  assert.deepEqual(parseToolInput("read", ""), { input: {} });
  assert.deepEqual(parseToolInput("read", " \n"), { input: {} });
  assert.deepEqual(parseToolInput("read", '{"a":[1]}'), { input: { a: [1] } });
  for (const [raw, what] of [
    ["42", /are a number, not a JSON object/],
    ['"x"', /are a string, not a JSON object/],
    ["true", /are a boolean/],
    ["null", /are null/],
    ["[1]", /are an array/],
    ['{"a": 1', /not valid JSON .*"\{\\"a\\": 1"/],
  ] as const) {
    const got = parseToolInput("read", raw);
    assert.deepEqual(got.input, {});
    assert.match(got.inputError!, what);
    assert.match(got.inputError!, /^The arguments of "read" .*Call the tool again/);
  }
  const long = parseToolInput("write", `{"content": "${"x".repeat(500)}`);
  assert.ok(long.inputError!.length < 300, "a long argument text is quoted only in part");
});

test("call ids: a missing id gets call_<position>, a repeated one a suffix, so each result names one call", () => {
  const ids = new CallIds();
  assert.deepEqual([ids.take("a", 0), ids.take("", 1), ids.take("a", 2), ids.take("a", 3), ids.take("call_1", 4)], ["a", "call_1", "a_2", "a_3", "call_1_2"]);
});
