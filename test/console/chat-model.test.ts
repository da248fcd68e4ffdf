/** The chat view's message list: transcript, own messages in flight, streamed replies. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { chatReducer, isStreaming, type ChatAction, type ChatMessage } from "../../console/src/chat/model.ts";

const run = (actions: ChatAction[], start: ChatMessage[] = []) => actions.reduce(chatReducer, start);
const ev = (state: "delta" | "final" | "error" | "aborted", extra: Record<string, unknown>): ChatAction => ({
  type: "event",
  event: { state, runId: 5, sessionKey: "k", ...extra },
});

test("deltas build one streaming assistant message that the final event completes", () => {
  const streaming = run([ev("delta", { delta: "ec" }), ev("delta", { delta: "ho" })]);
  assert.deepEqual(
    streaming.map((m) => [m.role, m.text, m.streaming]),
    [["assistant", "echo", true]],
  );
  assert.equal(isStreaming(streaming), true);
  const done = run([ev("final", { text: "echo!" })], streaming);
  assert.deepEqual(
    done.map((m) => [m.role, m.text, m.streaming]),
    [["assistant", "echo!", false]],
  );
});

test("an aborted run ends as a notice, a failed one as an error", () => {
  assert.deepEqual(
    run([ev("delta", { delta: "x" }), ev("aborted", { text: "Stopped." })]).map((m) => [m.role, m.text]),
    [["notice", "Stopped."]],
  );
  assert.deepEqual(
    run([ev("error", { text: "The model failed." })]).map((m) => [m.role, m.text]),
    [["error", "The model failed."]],
  );
});

test("a notice written without a run (an /approve's answer) is its own line and leaves a streaming reply alone", () => {
  const notice = (text: string): ChatAction => ({ type: "event", event: { state: "notice", runId: null, sessionKey: "k", text } });
  const shown = run([ev("delta", { delta: "wor" }), notice("There is no approval ZZZZ2222."), notice("Allowed once (AB12CD34): `touch x` runs now.")]);
  assert.deepEqual(
    shown.map((m) => [m.role, m.text, m.streaming]),
    [
      ["assistant", "wor", true],
      ["notice", "There is no approval ZZZZ2222.", false],
      ["notice", "Allowed once (AB12CD34): `touch x` runs now.", false],
    ],
  );
});

test("reloading the transcript keeps a reply still streaming and messages not yet acknowledged", () => {
  const before = run([
    { type: "outgoing", outgoing: { key: "a", text: "sent", sessionKey: undefined, status: "accepted" } },
    { type: "outgoing", outgoing: { key: "b", text: "pending", sessionKey: undefined, status: "waiting" } },
    ev("delta", { delta: "partial" }),
  ]);
  const after = chatReducer(before, { type: "history", messages: [{ id: 1, role: "user", content: "sent", createdAt: 0, runId: null }] });
  assert.deepEqual(
    after.map((m) => [m.role, m.text, m.outgoing?.status ?? null]),
    [
      ["user", "sent", null],
      ["user", "pending", "waiting"],
      ["assistant", "partial", null],
    ],
  );
});

test("a reply the transcript already holds replaces the streamed copy", () => {
  const before = run([ev("delta", { delta: "par" })]);
  const after = chatReducer(before, { type: "history", messages: [{ id: 9, role: "assistant", content: "part and whole", createdAt: 0, runId: 5 }] });
  assert.deepEqual(
    after.map((m) => [m.text, m.streaming]),
    [["part and whole", false]],
  );
});

test("a run's tool calls and results are inner steps: not shown, and they do not end its streamed reply", () => {
  const before = run([ev("delta", { delta: "Checking." })]);
  const after = chatReducer(before, {
    type: "history",
    messages: [
      { id: 1, role: "user", content: "check", createdAt: 0, runId: null },
      { id: 2, role: "assistant", content: "Checking.", createdAt: 0, runId: 5, data: [{ id: "c1", name: "read", input: {} }] },
      { id: 3, role: "tool", content: "3 lines", createdAt: 0, runId: 5, data: { callId: "c1", name: "read", isError: false } },
    ],
  });
  assert.deepEqual(
    after.map((m) => [m.role, m.text, m.streaming]),
    [
      ["user", "check", false],
      ["assistant", "Checking.", true],
    ],
  );
});
