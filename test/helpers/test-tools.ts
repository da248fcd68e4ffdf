/**
 * Tools for tests, registered through the tool registry like real ones: `append` has side effects
 * (appends a line to a file in the workspace; the file counts its executions), `peek` is
 * read-only and concurrent (counts its runs), `wait` is read-only and concurrent and records how
 * many calls overlap. Each can stop at a named point until the test lets it go (`Gates`), which
 * is how tests crash a brain at an exact place in a call.
 */
import fs from "node:fs";
import path from "node:path";
import type { Tool, ToolContext } from "../../src/agent/tools/types.ts";

/** Named points where a tool waits: `hold(name)` makes the next tool to reach it wait until `release(name)`. */
export class Gates {
  private readonly held = new Map<string, { reached: () => void; release: () => void; reachedP: Promise<void>; releaseP: Promise<void> }>();
  /** Set when the brain these tools belong to has "crashed": every point then waits for ever. */
  dead = false;

  hold(name: string): void {
    let reached!: () => void;
    let release!: () => void;
    const reachedP = new Promise<void>((r) => (reached = r));
    const releaseP = new Promise<void>((r) => (release = r));
    this.held.set(name, { reached, release, reachedP, releaseP });
  }
  /** Resolves when a tool reached the held point. */
  reached(name: string): Promise<void> {
    return this.held.get(name)!.reachedP;
  }
  release(name: string): void {
    this.held.get(name)?.release();
  }
  /**
   * Called by a tool (or a scripted model turn) at a point. A "crashed" brain's tools never get
   * past a point: they end only by their run's abort (which a crashed process never writes).
   */
  async at(name: string, signal?: AbortSignal): Promise<void> {
    const g = this.held.get(name);
    if (g) {
      g.reached();
      await Promise.race([g.releaseP, aborted(signal)]);
    }
    if (this.dead) await aborted(signal);
  }
}

/** Rejects when `signal` fires; never settles without one. */
function aborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => signal?.addEventListener("abort", () => reject(signal.reason), { once: true }));
}

/** A string argument, or `fallback`. */
const str = (v: unknown, fallback: string): string => (typeof v === "string" ? v : fallback);

const schema = (props: Record<string, unknown>) => ({ type: "object", properties: props });

/** Appends `text` and a newline to `file` in the workspace: one line per execution. */
export function appendTool(gates: Gates): Tool {
  return {
    name: "append",
    group: "fs",
    sideEffects: true,
    concurrent: false,
    spec: { name: "append", description: "Appends a line to a file.", inputSchema: schema({ file: { type: "string" }, text: { type: "string" } }) },
    async run(input, ctx: ToolContext) {
      const file = str(input.file, "log.txt");
      await gates.at("append:before-start", ctx.signal);
      await ctx.beginSideEffect();
      await gates.at("append:started", ctx.signal);
      fs.appendFileSync(path.join(ctx.workspace, file), `${str(input.text, "")}\n`);
      await gates.at("append:acted", ctx.signal);
      return { content: `appended to ${file}`, isError: false };
    },
  };
}

/** Reads `file` from the workspace (its line count); counts how often it ran. */
export function peekTool(gates: Gates, runs: { n: number }): Tool {
  return {
    name: "peek",
    group: "fs",
    sideEffects: false,
    concurrent: true,
    spec: { name: "peek", description: "Counts the lines of a file.", inputSchema: schema({ file: { type: "string" } }) },
    async run(input, ctx) {
      runs.n++;
      await gates.at("peek", ctx.signal);
      const file = path.join(ctx.workspace, str(input.file, "log.txt"));
      const lines = fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean).length : 0;
      return { content: `${lines} lines`, isError: false };
    },
  };
}

/** Waits `ms` (or until the run's signal), recording how many calls of it overlapped at most. */
export function waitTool(stats: { inFlight: number; peak: number; order: string[] }, concurrent = true, name = "wait"): Tool {
  return {
    name,
    group: "runtime",
    sideEffects: !concurrent,
    concurrent,
    spec: { name, description: "Waits.", inputSchema: schema({ ms: { type: "number" }, tag: { type: "string" } }) },
    async run(input, ctx) {
      if (!concurrent) await ctx.beginSideEffect();
      stats.inFlight++;
      stats.peak = Math.max(stats.peak, stats.inFlight);
      stats.order.push(`start ${str(input.tag, "")}`);
      await new Promise((r) => setTimeout(r, Number(input.ms ?? 20)));
      stats.order.push(`end ${str(input.tag, "")}`);
      stats.inFlight--;
      return { content: `waited ${str(input.tag, "")}`, isError: false };
    },
  };
}

/** A side-effecting, non-concurrent tool of group runtime that runs `run` (for one-off tools in tests). */
export function sideEffectTool(name: string, run: Tool["run"]): Tool {
  return {
    name,
    group: "runtime",
    sideEffects: true,
    concurrent: false,
    spec: { name, description: `The test tool ${name}.`, inputSchema: { type: "object" } },
    run,
  };
}
