/**
 * A tool from its parts, with what every tool owes the loop done once: a cancelled run is answered
 * without running, the input is checked against the tool's own schema, and an operating-system
 * error (EACCES, ENOSPC, ...) becomes an error result the model sees instead of a throw.
 */
import { checkInput, type ObjectSchema } from "./input.ts";
import type { Tool, ToolContext, ToolGroup, ToolResult } from "./types.ts";

/** A tool's answer without the call id (the loop adds it). */
export type ToolOutcome = Omit<ToolResult, "callId">;

/** The parts of a tool; `run` gets input that already fits `inputSchema`. */
export interface ToolDefinition<I> {
  name: string;
  group: ToolGroup;
  sideEffects: boolean;
  concurrent: boolean;
  description: string;
  inputSchema: ObjectSchema;
  run(input: I, ctx: ToolContext): Promise<ToolOutcome>;
}

/** A successful result. */
export function ok(content: string): ToolOutcome {
  return { isError: false, content };
}

/** An error result: `content` says what was wrong and what to do. */
export function fail(content: string): ToolOutcome {
  return { isError: true, content };
}

/** The result for a call made after its run was cancelled. */
function cancelled(name: string): ToolOutcome {
  return fail(`The run was cancelled, so "${name}" did not run (or stopped part way); nothing more was done.`);
}

/** True for an error from a system call (it has an errno code and a syscall). */
function isSystemError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === "string" && typeof (err as NodeJS.ErrnoException).syscall === "string";
}

/** Builds a Tool: see the file comment for what the wrapper adds. */
export function defineTool<I>(def: ToolDefinition<I>): Tool {
  const spec = { name: def.name, description: def.description, inputSchema: def.inputSchema as unknown as Record<string, unknown> };
  return {
    name: def.name,
    group: def.group,
    sideEffects: def.sideEffects,
    concurrent: def.concurrent,
    spec,
    async run(input, ctx) {
      if (ctx.signal.aborted) return cancelled(def.name);
      const why = checkInput(def.inputSchema, input);
      if (why) return fail(why);
      try {
        return await def.run(input as I, ctx);
      } catch (err) {
        if (ctx.signal.aborted) return cancelled(def.name);
        if (isSystemError(err)) return fail(`"${def.name}" failed: ${err.code} from ${err.syscall}. Check the path and try again, or try another way.`);
        throw err;
      }
    },
  };
}
