/**
 * The provider contract for tool calling (part of provider-contract.test.ts): every wire format
 * offers tools, assembles the calls the fake model streams in that format (one, parallel, after
 * text, with invalid or empty arguments), and sends a history of calls and results in the shape the
 * API accepts, which the fake checks the way the real API does.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { ChatTurn, CompletionRequest, ModelProvider } from "../../src/agent/provider.ts";
import type { ProviderKindName, ProviderOptions } from "../../src/agent/providers/registry.ts";
import type { ToolSpec } from "../../src/agent/tools/types.ts";
import { failureDetails } from "../../src/agent/failure.ts";
import type { OnebrainError } from "../../src/shared/errors.ts";
import type { FakeModelServer, RecordedRequest, ScriptedCall } from "../helpers/fake-model.ts";

/** What the contract hands over for one wire format. */
export interface ToolCaseContext {
  kind: ProviderKindName;
  fake: FakeModelServer;
  make(over?: Partial<ProviderOptions>): ModelProvider;
  request(over?: Partial<CompletionRequest>): CompletionRequest & { deltas: string[] };
  rejection(p: Promise<unknown>): Promise<OnebrainError>;
}

const TOOLS: ToolSpec[] = [
  { name: "read", description: "Read a file.", inputSchema: { type: "object", properties: { path: { type: "string" } }, required: ["path"] } },
  { name: "list", description: "List the workspace.", inputSchema: { type: "object", properties: {} } },
];

/** A conversation with two model turns that called tools (one call with bad arguments), then a question. */
const TOOL_HISTORY: ChatTurn[] = [
  { role: "user", content: "what is in a.txt?" },
  {
    role: "assistant",
    content: "Reading it.",
    toolCalls: [
      { id: "c1", name: "read", input: { path: "a.txt" } },
      { id: "c2", name: "read", input: {}, inputError: "The arguments were not JSON." },
    ],
  },
  {
    role: "tool",
    results: [
      { callId: "c1", content: "alpha", isError: false },
      { callId: "c2", content: "The arguments were not JSON.", isError: true },
    ],
  },
  { role: "assistant", content: "", toolCalls: [{ id: "c3", name: "list", input: {} }] },
  { role: "tool", results: [{ callId: "c3", content: "a.txt b.txt", isError: false }] },
  { role: "user", content: "and now?" },
];

/** How each format must carry TOOLS and TOOL_HISTORY, as its API documents it. */
const SHAPES: Record<ProviderKindName, { tools: unknown; history: unknown; stop: string; unpaired: RegExp; orphan: RegExp }> = {
  anthropic: {
    tools: TOOLS.map((t) => ({ name: t.name, description: t.description, input_schema: t.inputSchema })),
    history: [
      { role: "user", content: "what is in a.txt?" },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Reading it." },
          { type: "tool_use", id: "c1", name: "read", input: { path: "a.txt" } },
          { type: "tool_use", id: "c2", name: "read", input: {} },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "c1", content: "alpha", is_error: false },
          { type: "tool_result", tool_use_id: "c2", content: "The arguments were not JSON.", is_error: true },
        ],
      },
      { role: "assistant", content: [{ type: "tool_use", id: "c3", name: "list", input: {} }] },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "c3", content: "a.txt b.txt", is_error: false },
          { type: "text", text: "and now?" },
        ],
      },
    ],
    stop: "tool_use",
    unpaired: /HTTP 400.*messages\.1: `tool_use` ids were found without `tool_result` blocks immediately after: c1, c2/,
    orphan: /HTTP 400.*unexpected `tool_use_id` found in `tool_result` blocks: c9/,
  },
  openai: {
    tools: TOOLS.map((t) => ({ type: "function", function: { name: t.name, description: t.description, parameters: t.inputSchema } })),
    history: [
      { role: "user", content: "what is in a.txt?" },
      {
        role: "assistant",
        content: "Reading it.",
        tool_calls: [
          { id: "c1", type: "function", function: { name: "read", arguments: '{"path":"a.txt"}' } },
          { id: "c2", type: "function", function: { name: "read", arguments: "{}" } },
        ],
      },
      { role: "tool", tool_call_id: "c1", content: "alpha" },
      { role: "tool", tool_call_id: "c2", content: "The arguments were not JSON." },
      { role: "assistant", content: null, tool_calls: [{ id: "c3", type: "function", function: { name: "list", arguments: "{}" } }] },
      { role: "tool", tool_call_id: "c3", content: "a.txt b.txt" },
      { role: "user", content: "and now?" },
    ],
    stop: "tool_calls",
    unpaired: /HTTP 400.*must be followed by tool messages .* did not have response messages: c1, c2/,
    orphan: /HTTP 400.*messages with role 'tool' must be a response to a preceeding message with 'tool_calls'/,
  },
};

/** The history the model was sent, without OpenAI's system message. */
const sentTurns = (r: RecordedRequest) => (r.body.messages as any[]).filter((m) => m.role !== "system");

/** Registers the tool-calling cases of one provider. */
export function toolCases(o: ToolCaseContext): void {
  const shape = SHAPES[o.kind];
  const withTools = (over: Partial<CompletionRequest> = {}) => o.request({ tools: TOOLS, ...over });
  /** The next answer: these calls, in the format's wire shape. */
  const answerWith = (calls: ScriptedCall[], extra: { text?: string; reuseIndex?: boolean; dropAfter?: number } = {}) =>
    o.fake.queue({ kind: "tools", calls, ...extra });

  describe("tool calling", () => {
    test("assembles one call: the model's id, the name and the parsed input, with the API's tool stop reason", async () => {
      answerWith([{ id: "call-1", name: "read", input: { path: "notes/a b.md", lines: [1, 5] } }]);
      const req = withTools();
      const result = await o.make().complete(req);
      assert.deepEqual(result.toolCalls, [{ id: "call-1", name: "read", input: { path: "notes/a b.md", lines: [1, 5] } }]);
      assert.deepEqual([result.text, req.deltas, result.stopReason, result.cut, result.attempts], ["", [], shape.stop, false, 1]);
      assert.ok(result.usage && result.usage.outputTokens > 0);
    });

    test("streams the text before parallel calls as deltas, then gives the calls in the order they came", async () => {
      answerWith(
        [
          { name: "read", input: { path: "a.txt" } },
          { name: "read", input: { path: 'b "quoted" ☕.txt' } },
          { name: "list", input: {} },
        ],
        { text: "Let me look at both." },
      );
      const req = withTools();
      const result = await o.make().complete(req);
      assert.equal(result.text, "Let me look at both.");
      assert.equal(req.deltas.join(""), result.text);
      assert.deepEqual(
        result.toolCalls.map((c) => [c.name, c.input]),
        [
          ["read", { path: "a.txt" }],
          ["read", { path: 'b "quoted" ☕.txt' }],
          ["list", {}],
        ],
      );
      assert.equal(new Set(result.toolCalls.map((c) => c.id)).size, 3, "each call has its own id");
    });

    test("tells parallel calls apart by their ids when the server puts them all at index 0", { skip: o.kind !== "openai" }, async () => {
      answerWith(
        [
          { id: "x1", name: "read", input: { path: "a.txt" } },
          { id: "x2", name: "read", input: { path: "b.txt" } },
        ],
        { reuseIndex: true },
      );
      const result = await o.make().complete(withTools());
      assert.deepEqual(result.toolCalls, [
        { id: "x1", name: "read", input: { path: "a.txt" } },
        { id: "x2", name: "read", input: { path: "b.txt" } },
      ]);
    });

    test("arguments that are not a JSON object give that call an inputError, not a failed request; the other calls stand", async () => {
      answerWith([
        { id: "bad", name: "read", input: '{"path": "a.t' },
        { id: "good", name: "list", input: {} },
        { id: "array", name: "read", input: '["a.txt"]' },
      ]);
      const result = await o.make().complete(withTools());
      assert.equal(result.attempts, 1);
      assert.deepEqual(
        result.toolCalls.map((c) => [c.id, c.input, c.inputError !== undefined]),
        [
          ["bad", {}, true],
          ["good", {}, false],
          ["array", {}, true],
        ],
      );
      assert.match(result.toolCalls[0]!.inputError!, /"read" are not valid JSON.*Call the tool again/);
      assert.match(result.toolCalls[2]!.inputError!, /are an array, not a JSON object/);
    });

    test("a call with empty input has the input {}", async () => {
      answerWith([
        { id: "e1", name: "list", input: "" },
        { id: "e2", name: "list", input: {} },
      ]);
      const result = await o.make().complete(withTools());
      assert.deepEqual(result.toolCalls, [
        { id: "e1", name: "list", input: {} },
        { id: "e2", name: "list", input: {} },
      ]);
    });

    test("offers the tools in the API's shape, and sends no tools field when there are none", async () => {
      await o.make().complete(withTools());
      await o.make().complete(o.request());
      await o.make().complete(withTools({ tools: [] }));
      assert.deepEqual(o.fake.requests[0]!.body.tools, shape.tools);
      assert.ok(!("tools" in o.fake.requests[1]!.body) && !("tools" in o.fake.requests[2]!.body));
    });

    test("sends a history of calls and results in the API's shape, which the API accepts", async () => {
      const result = await o.make().complete(withTools({ messages: TOOL_HISTORY }));
      assert.equal(result.text, "echo: and now?");
      assert.deepEqual(sentTurns(o.fake.requests[0]!), shape.history);
    });

    test("a history that parts a call from its result gets the API's own 400, and is not retried", async () => {
      const unpaired = TOOL_HISTORY.filter((t) => t !== TOOL_HISTORY[2]);
      const err = await o.rejection(o.make().complete(withTools({ messages: unpaired })));
      assert.deepEqual([failureDetails(err)?.httpStatus, failureDetails(err)?.attempts], [400, 1]);
      assert.match(err.message, shape.unpaired);
      const orphan: ChatTurn[] = [...TOOL_HISTORY.slice(0, 3), { role: "tool", results: [{ callId: "c9", content: "?", isError: false }] }];
      assert.match((await o.rejection(o.make().complete(withTools({ messages: orphan })))).message, shape.orphan);
    });

    test("is never retried once part of a tool call arrived; retried when the stream broke before any", async () => {
      answerWith([{ name: "read", input: { path: "a.txt" } }], { dropAfter: 2 });
      const err = await o.rejection(o.make().complete(withTools()));
      assert.deepEqual([failureDetails(err)?.kind, failureDetails(err)?.attempts, failureDetails(err)?.streamed], ["malformed", 1, true]);
      assert.match(err.message, /already streamed/);
      assert.equal(o.fake.requests.length, 1);

      answerWith([{ name: "read", input: { path: "a.txt" } }], { dropAfter: 0 });
      const result = await o.make().complete(withTools());
      assert.deepEqual([result.attempts, result.text], [2, "echo: say something nice"]);
    });

    test("a scripted model (fake.respond) calls a tool, then answers once the result with its id comes back", async () => {
      o.fake.respond = (r) =>
        sentTurns(r).some((m) => m.role === "tool" || (Array.isArray(m.content) && m.content.some((b: any) => b.type === "tool_result")))
          ? { kind: "reply", text: "a.txt says alpha." }
          : { kind: "tools", text: "Checking.", calls: [{ name: "read", input: { path: "a.txt" } }] };
      const provider = o.make();
      const question: ChatTurn = { role: "user", content: "what does a.txt say?" };
      const first = await provider.complete(withTools({ messages: [question] }));
      assert.equal(first.toolCalls.length, 1);
      const history: ChatTurn[] = [
        question,
        { role: "assistant", content: first.text, toolCalls: first.toolCalls },
        { role: "tool", results: [{ callId: first.toolCalls[0]!.id, content: "alpha", isError: false }] },
      ];
      const second = await provider.complete(withTools({ messages: history }));
      assert.deepEqual([second.text, second.toolCalls, second.stopReason !== shape.stop], ["a.txt says alpha.", [], true]);
    });
  });
}
