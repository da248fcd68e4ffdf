/** Memory with several agents on one brain: each finds only its own sessions' lines and its own workspace's notes. */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { openStore } from "../../src/store/db.ts";
import { appendMessage, liveSession } from "../../src/sessions/store.ts";
import { getMemory, searchMemory } from "../../src/sessions/memory.ts";
import { tmpDir } from "../helpers/gateway.ts";

const policy = { mode: "idle" as const, atHour: 4, idleMinutes: 100_000 };
const T0 = Date.UTC(2026, 11, 1, 9, 0);

function twoAgents() {
  const dir = tmpDir();
  const store = openStore(path.join(dir, "brain.db"));
  const say = (agent: string, text: string): number => {
    const s = liveSession(store, `agent:${agent}:main`, agent, T0, policy);
    return appendMessage(store, { sessionId: s.id, role: "user", content: text, now: T0 });
  };
  const ws = (agent: string, note: string): string => {
    const d = path.join(dir, `workspace-${agent}`);
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, "MEMORY.md"), note);
    return d;
  };
  return {
    store,
    say,
    home: ws("home", "# Garden\nThe quince tree needs pruning in March.\n"),
    work: ws("work", "# Payroll\nThe quince invoice is due on Friday.\n"),
  };
}

test("a search by one agent finds its own transcripts and notes, never the other agent's", () => {
  const { store, say, home, work } = twoAgents();
  const mine = say("home", "remind me about the quince jam");
  const theirs = say("work", "the quince contract is confidential");
  const asHome = searchMemory(store, "quince", { workspace: home, agentId: "home", now: T0 });
  assert.deepEqual(asHome.map((h) => h.ref).sort(), [`msg:${mine}`, "note:MEMORY.md#L1"].sort());
  assert.ok(!JSON.stringify(asHome).includes("invoice"), "the other workspace's notes are not found");
  const asWork = searchMemory(store, "quince", { workspace: work, agentId: "work", now: T0 });
  assert.deepEqual(asWork.map((h) => h.ref).sort(), [`msg:${theirs}`, "note:MEMORY.md#L1"].sort());
  assert.match(asWork.find((h) => h.source === "note")!.snippet, /invoice/, "switching agents indexes that agent's notes");
  // Back to the first: its notes again, not the second's left over.
  assert.match(searchMemory(store, "quince", { workspace: home, agentId: "home", now: T0 }).find((h) => h.source === "note")!.snippet, /pruning/);
  assert.equal(searchMemory(store, "quince", { now: T0 }).length, 2, "without an agent (operator tools): every transcript, no notes");
});

test("memory_get of another agent's line finds nothing", () => {
  const { store, say, home } = twoAgents();
  const theirs = say("work", "the secret is 4711");
  assert.equal(getMemory(store, `msg:${theirs}`, home, "home"), null);
  assert.match(getMemory(store, `msg:${theirs}`, home, "work")!.content, /secret is 4711/);
  assert.match(getMemory(store, `msg:${theirs}`, home)!.content, /secret is 4711/, "no agent named: as before");
});
