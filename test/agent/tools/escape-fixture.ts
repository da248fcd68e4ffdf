/**
 * The fixture of the workspace escape suite: a workspace in a parent directory of its own, beside an
 * "outside" directory whose files must never be read, changed or listed through the tools.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fsTools } from "../../../src/agent/tools/fs/index.ts";
import { tmpDir } from "../../helpers/gateway.ts";
import { testContext, type TestContextOptions } from "./context.ts";

const tools = new Map(fsTools().map((t) => [t.name, t]));
export const SECRET = "TOP SECRET\n";

/**
 * A workspace inside a parent directory of its own (so "../x" would land somewhere we can look),
 * beside an outside directory holding secret.txt and odir/inner.txt.
 */
export function setup(options: TestContextOptions = {}) {
  const parent = fs.realpathSync(tmpDir("onebrain-escape-"));
  const ws = path.join(parent, "ws");
  fs.mkdirSync(ws);
  const outside = fs.realpathSync(tmpDir("onebrain-outside-"));
  fs.writeFileSync(path.join(outside, "secret.txt"), SECRET);
  fs.mkdirSync(path.join(outside, "odir"));
  fs.writeFileSync(path.join(outside, "odir", "inner.txt"), SECRET);
  const ctx = testContext({ ...options, workspace: ws });
  const call = (name: string, input: Record<string, unknown>) => tools.get(name)!.run(input, ctx);
  const at = (rel: string) => path.join(ws, rel);
  /** True when the outside directory holds exactly what setup put there, unchanged. */
  const outsideIntact = () =>
    fs.readdirSync(outside).sort().join() === "odir,secret.txt" &&
    fs.readdirSync(path.join(outside, "odir")).join() === "inner.txt" &&
    fs.readFileSync(path.join(outside, "secret.txt"), "utf8") === SECRET &&
    fs.readFileSync(path.join(outside, "odir", "inner.txt"), "utf8") === SECRET;
  return { parent, ws, outside, ctx, call, at, outsideIntact };
}

/** Asserts that a result is an error whose text matches `re` and does not leak the secret. */
export function refusedWith(r: { isError: boolean; content: string }, re: RegExp, label = ""): void {
  assert.equal(r.isError, true, `${label}: ${r.content}`);
  assert.match(r.content, re, label);
  assert.ok(!r.content.includes("TOP SECRET"), label);
}
