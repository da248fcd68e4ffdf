/**
 * Runs the calls of one model turn and journals each result as it ends.
 *
 * Order: calls run in the order the model gave them, except that neighbouring calls whose tools
 * are all `concurrent` run together. [read, read, write, read] runs both reads at once, then the
 * write alone, then the last read: a side effect never overlaps another call, and a read the
 * model asked for after a write sees the write.
 *
 * A call never crashes the run: invalid arguments, an unknown tool or one the policy leaves out
 * get an error result the model sees (the tool is never run), and a tool that throws gets
 * "internal error in tool X" (logged). Results are capped before the model sees them.
 */
import type { RunHooks } from "../journal.ts";
import type { Tool, ToolCall, ToolResult } from "./types.ts";
import { ToolRefusedError } from "./refused.ts";

/** Largest result text the model gets back from one call; the rest is cut, and it is told so. */
export const MAX_RESULT_BYTES = 64 * 1024;
/** Calls of one turn that run; later ones get an error result (a model looping on itself cannot fan out without bound). */
export const MAX_CALLS_PER_TURN = 64;
/** Concurrent calls running at once; more wait for a slot (a turn of 50 fetches is not 50 sockets at once). */
export const MAX_PARALLEL = 8;

/** Where log lines about tools go (a pino logger fits). */
export interface ToolLog {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** What running a turn's calls needs. */
export interface CallRunner {
  tools: ReadonlyMap<string, Tool>;
  /** Tools this gateway has but the policy leaves out: the model is told they are not enabled. */
  disabled: ReadonlySet<string>;
  hooks: RunHooks;
  signal: AbortSignal;
  log?: ToolLog;
}

/** Caps a result's text at MAX_RESULT_BYTES of UTF-8, on a character boundary, saying what was cut. */
export function capResult(content: string, max = MAX_RESULT_BYTES): string {
  // Fast path: a string of max/3 UTF-16 units or fewer cannot exceed max bytes.
  if (content.length <= max / 3) return content;
  const bytes = Buffer.byteLength(content);
  if (bytes <= max) return content;
  const head = Buffer.from(content)
    .subarray(0, max)
    .toString("utf8")
    .replace(/\uFFFD$/, "");
  return `${head}\n[cut: the result was ${bytes} bytes; only the first ${Math.round(max / 1024)} KiB are shown. Ask for less, such as a line range or a narrower pattern.]`;
}

/** The side-effect bit of each call as the journal plans it (false for a call that will not run). */
export function sideEffectsOf(runner: CallRunner, call: ToolCall): boolean {
  return runner.tools.get(call.name)?.sideEffects ?? false;
}

/**
 * Runs `calls` of turn `step` (see the order above), journaling each result as it ends; resolves
 * with the results in the calls' order once all are durable. If the run's signal fires, the
 * calls not yet begun stay unrun and the signal's reason is thrown.
 */
export async function runCalls(runner: CallRunner, step: number, calls: readonly ToolCall[]): Promise<ToolResult[]> {
  const results = new Map<string, ToolResult>();
  const durable: Array<Promise<void>> = [];
  for (const segment of segments(runner, calls)) {
    runner.signal.throwIfAborted();
    await Promise.all(
      segment.map(async (call) => {
        const result = await runOne(runner, step, call, calls.indexOf(call));
        results.set(call.id, result);
        const written = runner.hooks.journal.result(step, call, result, { aborted: runner.signal.aborted });
        written.catch(() => {}); // awaited below; an abort may end this function before that
        durable.push(written);
      }),
    );
  }
  await Promise.all(durable);
  runner.signal.throwIfAborted();
  return calls.map((c) => results.get(c.id)!);
}

/** Consecutive calls that may run together: runs of concurrent tools; every other call alone. */
function segments(runner: CallRunner, calls: readonly ToolCall[]): ToolCall[][] {
  const out: ToolCall[][] = [];
  let group: ToolCall[] = [];
  for (const call of calls) {
    const tool = runner.tools.get(call.name);
    // A call that will not run (bad input, unknown tool) touches nothing: it may join any group.
    const together = !tool || call.inputError !== undefined || tool.concurrent;
    if (together) {
      group.push(call);
      if (group.length === MAX_PARALLEL) {
        out.push(group);
        group = [];
      }
    } else {
      if (group.length) out.push(group);
      out.push([call]);
      group = [];
    }
  }
  if (group.length) out.push(group);
  return out;
}

/** The error result of a call that must not run, or null when it may. */
export function refusal(runner: Pick<CallRunner, "tools" | "disabled">, call: ToolCall): string | null {
  const tool = runner.tools.get(call.name);
  if (!tool) {
    if (runner.disabled.has(call.name))
      return `The tool "${call.name}" is not enabled for this agent (tools.profile, tools.allow and tools.deny in the config decide). Do without it, or tell the user it is off.`;
    const names = [...runner.tools.keys()].join(", ");
    return `There is no tool named "${call.name}". The tools you can call are: ${names || "none"}.`;
  }
  if (call.inputError !== undefined)
    return `The arguments of this ${call.name} call could not be read (${call.inputError}). Call it again with a JSON object that matches its input schema.`;
  return null;
}

async function runOne(runner: CallRunner, step: number, call: ToolCall, index: number): Promise<ToolResult> {
  if (index >= MAX_CALLS_PER_TURN)
    return {
      callId: call.id,
      content: `Not run: one turn may make at most ${MAX_CALLS_PER_TURN} tool calls, and this was call ${index + 1}. Make the remaining calls in your next turn.`,
      isError: true,
    };
  const refused = refusal(runner, call);
  if (refused) return { callId: call.id, content: refused, isError: true };
  const tool = runner.tools.get(call.name)!;
  try {
    const out = await tool.run(call.input, runner.hooks.toolContext(step, call));
    return { callId: call.id, content: capResult(String(out.content)), isError: out.isError === true };
  } catch (err) {
    if (err instanceof ToolRefusedError) return { callId: call.id, content: err.message, isError: true };
    if (runner.signal.aborted) return { callId: call.id, content: `The ${call.name} call was stopped: ${stopReason(runner.signal)}.`, isError: true };
    runner.log?.error({ err, tool: call.name, callId: call.id }, "a tool threw instead of returning an error result");
    return {
      callId: call.id,
      content: `Internal error in tool ${call.name} (it is logged for the operator). Try another way, or tell the user.`,
      isError: true,
    };
  }
}

function stopReason(signal: AbortSignal): string {
  const r = signal.reason as Error | undefined;
  if (r?.name === "TimeoutError") return "the reply ran out of time";
  return r?.message ?? "the run was stopped";
}
