import { test } from "node:test";
import assert from "node:assert/strict";
import { selectTools, type ToolMeta } from "../../../src/agent/tools/policy.ts";
import { ToolRegistry } from "../../../src/agent/tools/registry.ts";
import { CATALOG } from "../../../src/agent/tools/catalog.ts";
import { configSchema } from "../../../src/config/schema.ts";
import { Gates, peekTool } from "../../helpers/test-tools.ts";

/** The tools the issue plans, with their groups: the policy is tested against the real shape. */
const TOOLS: ToolMeta[] = [
  { name: "read", group: "fs" },
  { name: "write", group: "fs" },
  { name: "edit", group: "fs" },
  { name: "list", group: "fs" },
  { name: "grep", group: "fs" },
  { name: "glob", group: "fs" },
  { name: "exec", group: "runtime" },
  { name: "web_fetch", group: "web" },
  { name: "message", group: "messaging" },
  { name: "memory_search", group: "memory" },
  { name: "memory_get", group: "memory" },
  { name: "canvas", group: "ui" },
];

const tools = (over: Record<string, unknown>) => configSchema.parse({ tools: over }).tools;

test("each profile gives its base set", () => {
  assert.deepEqual(selectTools(tools({ profile: "minimal" }), TOOLS).enabled, ["read", "list", "grep", "glob", "memory_search", "memory_get"]);
  assert.deepEqual(selectTools(tools({ profile: "messaging" }), TOOLS).enabled, ["message", "memory_search", "memory_get"]);
  assert.deepEqual(selectTools(tools({ profile: "coding" }), TOOLS).enabled, [
    "read",
    "write",
    "edit",
    "list",
    "grep",
    "glob",
    "exec",
    "web_fetch",
    "memory_search",
    "memory_get",
  ]);
  assert.deepEqual(
    selectTools(tools({ profile: "full" }), TOOLS).enabled,
    TOOLS.map((t) => t.name),
  );
});

test("allow adds names and groups to the profile; deny removes them and wins over allow", () => {
  const s = selectTools(tools({ profile: "minimal", allow: ["group:web", "write", "exec"], deny: ["exec", "group:memory"] }), TOOLS);
  assert.deepEqual(s.enabled, ["read", "write", "list", "grep", "glob", "web_fetch"]);
  assert.deepEqual(s.warnings, []);
});

test("tools.exec.security deny removes exec whatever allow says", () => {
  assert.ok(!selectTools(tools({ profile: "full", allow: ["exec"], exec: { security: "deny" } }), TOOLS).enabled.includes("exec"));
  assert.ok(selectTools(tools({ profile: "full" }), TOOLS).enabled.includes("exec"));
});

test("a name or group that names nothing is a warning naming the entry and what exists, not an error", () => {
  const s = selectTools(tools({ profile: "minimal", allow: ["reed", "group:files"], deny: ["shell"] }), TOOLS);
  assert.deepEqual(s.enabled, ["read", "list", "grep", "glob", "memory_search", "memory_get"]);
  assert.equal(s.warnings.length, 3);
  assert.match(s.warnings[0]!, /^tools\.allow names "reed", which is not a tool; the tools are read, write, .* \(or a group such as group:fs\)\.$/);
  assert.match(
    s.warnings[1]!,
    /^tools\.allow names "group:files", which is not a tool group; the groups are group:fs, group:runtime, group:web, group:messaging, group:memory, group:ui, group:automation\.$/,
  );
  assert.match(s.warnings[2]!, /^tools\.deny names "shell"/);
});

test("the catalog is the only list of real tools, and the registry loads nothing until asked", async () => {
  const registry = new ToolRegistry(CATALOG);
  assert.deepEqual(
    registry.list().map((t) => t.name),
    CATALOG.map((t) => t.name),
  );
  let loads = 0;
  const peek = peekTool(new Gates(), { n: 0 });
  const lazy = new ToolRegistry([{ name: "peek", group: "fs", sideEffects: false, load: async () => (loads++, peek) }]);
  assert.equal(loads, 0);
  assert.deepEqual((await lazy.load(["peek"])).tools, [peek]);
  await lazy.load(["peek"]);
  assert.equal(loads, 1, "loaded once");
});

test("a tool that loads as something other than its entry says (side effects) is not offered", async () => {
  const peek = peekTool(new Gates(), { n: 0 });
  const registry = new ToolRegistry([{ name: "peek", group: "fs", sideEffects: true, load: async () => peek }]);
  const r = await registry.load(["peek"]);
  assert.deepEqual(r.tools, []);
  assert.match(r.failures[0]!, /"peek" was declared as peek \(group:fs, side effects\) but loaded as peek \(group:fs, read-only\)/);
  const failing = new ToolRegistry([{ name: "x", group: "web", sideEffects: false, load: async () => Promise.reject(new Error("Cannot find module")) }]);
  assert.match((await failing.load(["x"])).failures[0]!, /"x" could not be loaded: Cannot find module/);
});
