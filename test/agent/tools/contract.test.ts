/**
 * The one contract every tool passes, whatever it does: a spec the model APIs accept, input checked
 * against it without a throw, a cancelled run answered at once, and honest flags.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { execTool } from "../../../src/agent/tools/exec/index.ts";
import { webFetchTool } from "../../../src/agent/tools/web/index.ts";
import { memoryTools } from "../../../src/agent/tools/memory.ts";
import { messageTool } from "../../../src/agent/tools/message.ts";
import { browserTool } from "../../../src/agent/tools/browser.ts";
import { fsTools } from "../../../src/agent/tools/fs/index.ts";
import { canvasTool } from "../../../src/agent/tools/canvas.ts";
import { cronTool } from "../../../src/agent/tools/cron.ts";
import { TOOL_GROUPS, type Tool } from "../../../src/agent/tools/types.ts";
import { testContext } from "./context.ts";

// ---------------------------------------------------------------------------------------------
// THE TOOL LIST. Every tool the gateway can offer belongs here.
// ---------------------------------------------------------------------------------------------
const ALL_TOOLS: Tool[] = [...fsTools(), execTool(), webFetchTool(), ...memoryTools(), messageTool(), browserTool(), canvasTool(), cronTool()];

interface Prop {
  type?: string;
  minimum?: number;
  enum?: string[];
}

/** A value of the property's type that its schema accepts: the smallest plausible one. */
function validValue(p: Prop): unknown {
  if (p.enum) return p.enum[0];
  switch (p.type) {
    case "integer":
    case "number":
      return p.minimum ?? 1;
    case "boolean":
      return false;
    case "array":
      return [];
    case "object":
      return {};
    default:
      return "x";
  }
}

/** A value of some other type than the property's. */
function wrongValue(p: Prop): unknown {
  return p.type === "string" ? 42 : "not-a-number";
}

function schemaOf(tool: Tool): { properties: Record<string, Prop>; required: string[] } {
  const s = tool.spec.inputSchema as { properties: Record<string, Prop>; required?: string[] };
  return { properties: s.properties, required: s.required ?? [] };
}

/** An input with every required property set to a value its schema accepts. */
function validInput(tool: Tool): Record<string, unknown> {
  const { properties, required } = schemaOf(tool);
  return Object.fromEntries(required.map((k) => [k, validValue(properties[k] ?? {})]));
}

/** A workspace where the plausible inputs above would succeed (a file "x" holding "x"). */
function workspaceContext(signal?: AbortSignal) {
  const ctx = testContext(signal ? { signal } : {});
  fs.writeFileSync(path.join(ctx.workspace, "x"), "x\n");
  return ctx;
}

test("every tool's name is unique and matches its spec's name", () => {
  const names = ALL_TOOLS.map((t) => t.name);
  assert.equal(new Set(names).size, names.length, `duplicate names in ${names.join(", ")}`);
  for (const t of ALL_TOOLS) {
    assert.equal(t.spec.name, t.name);
    assert.match(t.name, /^[a-z][a-z0-9_]{0,63}$/, "names both model APIs accept");
  }
});

test("every tool's spec is an object JSON Schema with properties and a description under 1024 characters", () => {
  for (const t of ALL_TOOLS) {
    const s = t.spec.inputSchema as { type?: unknown; properties?: unknown; required?: unknown };
    assert.equal(s.type, "object", t.name);
    assert.ok(typeof s.properties === "object" && s.properties !== null && !Array.isArray(s.properties), t.name);
    for (const [key, p] of Object.entries(s.properties as Record<string, { type?: unknown; description?: unknown }>)) {
      assert.equal(typeof p.type, "string", `${t.name}.${key} has a type`);
      assert.ok(typeof p.description === "string" && p.description.length > 0, `${t.name}.${key} has a description`);
    }
    for (const r of (s.required as string[] | undefined) ?? [])
      assert.ok(Object.hasOwn(s.properties as object, r), `${t.name} requires a listed property ${r}`);
    assert.ok(t.spec.description.trim().length > 0, t.name);
    assert.ok(t.spec.description.length < 1024, `${t.name}: description is ${t.spec.description.length} characters`);
    assert.doesNotThrow(() => JSON.stringify(t.spec), t.name);
  }
});

test("every tool declares a known group and boolean sideEffects and concurrent flags", () => {
  for (const t of ALL_TOOLS) {
    assert.ok((TOOL_GROUPS as readonly string[]).includes(t.group), `${t.name}: group ${t.group}`);
    assert.equal(typeof t.sideEffects, "boolean", t.name);
    assert.equal(typeof t.concurrent, "boolean", t.name);
  }
});

test("every tool answers an empty input with an error result, never a throw", async () => {
  for (const t of ALL_TOOLS) {
    const r = await t.run({}, workspaceContext());
    assert.equal(r.isError, true, `${t.name}: ${r.content}`);
    assert.ok(r.content.length > 0, t.name);
  }
});

test("every tool answers wrongly typed input with an error result naming the input, never a throw", async () => {
  for (const t of ALL_TOOLS) {
    const { properties } = schemaOf(t);
    for (const [key, p] of Object.entries(properties)) {
      const r = await t.run({ ...validInput(t), [key]: wrongValue(p) }, workspaceContext());
      assert.equal(r.isError, true, `${t.name}.${key}: ${r.content}`);
      assert.ok(r.content.includes(`"${key}"`) || r.content.includes(`\`${key}\``), `${t.name}.${key}: ${r.content}`);
    }
  }
});

test("every tool answers a run cancelled before it starts with an error result at once", async () => {
  const cancelled = new AbortController();
  cancelled.abort(new Error("cancelled by the test"));
  for (const t of ALL_TOOLS) {
    const r = await t.run(validInput(t), workspaceContext(cancelled.signal));
    assert.equal(r.isError, true, `${t.name}: ${r.content}`);
    assert.match(r.content, /cancel/i, t.name);
  }
});
