/**
 * What both stream assemblers share: where they report as they go, and what they do with a
 * finished call's argument text: parse it into the input object, or say why it is not one. Never
 * throws: a model that sent cut-off or malformed arguments gets a tool error it can read and
 * correct, and the rest of its reply still counts.
 */
import type { ToolCall } from "../tools/types.ts";

/** Where an assembler reports what it sees as it sees it (the retry rule needs to know at once). */
export interface AssemblerSinks {
  /** Each piece of reply text, in order. */
  onText?(text: string): void;
  /** Any part of a tool call: from then on the request must not be retried, as after text. */
  onToolFragment?(): void;
}

/** The value as an object to read fields from; {} for anything else. */
export function asObject(v: unknown): Record<string, unknown> {
  return v && typeof v === "object" ? (v as Record<string, unknown>) : {};
}

/** The value if it is a finite number. */
export function asNumber(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/**
 * Most argument text one call may stream (16 Mi characters: past any model's output limit). A
 * broken or hostile server that streams arguments for ever fills no memory beyond it, and the
 * call gets an inputError instead of running.
 */
export const MAX_TOOL_ARGS_CHARS = 16 * 1024 * 1024;

/** `current` + `more`, stopped at MAX_TOOL_ARGS_CHARS. */
export function appendArgs(current: string, more: string): string {
  if (current.length + more.length <= MAX_TOOL_ARGS_CHARS) return current + more;
  return (current + more.slice(0, Math.max(0, MAX_TOOL_ARGS_CHARS - current.length))).slice(0, MAX_TOOL_ARGS_CHARS);
}

/** The input of a call from its argument text: `{}` when empty, else a JSON object or an `inputError`. */
export function parseToolInput(name: string, raw: string): Pick<ToolCall, "input" | "inputError"> {
  if (raw.length >= MAX_TOOL_ARGS_CHARS)
    return {
      input: {},
      inputError: `The arguments of ${JSON.stringify(name)} reached ${MAX_TOOL_ARGS_CHARS / 1024 / 1024} Mi characters and were not read. Split the work into smaller calls.`,
    };
  if (raw.trim() === "") return { input: {} };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    const shown = raw.length > 120 ? `${JSON.stringify(raw.slice(0, 120))}…` : JSON.stringify(raw);
    return {
      input: {},
      inputError: `The arguments of ${JSON.stringify(name)} are not valid JSON (${(err as Error).message}): ${shown}. Call the tool again with one complete JSON object.`,
    };
  }
  if (value && typeof value === "object" && !Array.isArray(value)) return { input: value as Record<string, unknown> };
  const what = value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;
  return {
    input: {},
    inputError: `The arguments of ${JSON.stringify(name)} are ${what}, not a JSON object. Call the tool again with an object of its fields.`,
  };
}

/**
 * Ids for calls the server left without one (older local servers, the legacy `function_call`),
 * and a suffix for an id repeated within one turn: a result must name exactly one call.
 */
export class CallIds {
  #seen = new Set<string>();

  /** The id to use for the call at `position` (0-based, in stream order) that the server named `id`. */
  take(id: string, position: number): string {
    let out = id || `call_${position}`;
    for (let n = 2; this.#seen.has(out); n++) out = `${id || `call_${position}`}_${n}`;
    this.#seen.add(out);
    return out;
  }
}

/** What both assemblers have at the end of a stream. */
export interface Assembled {
  readonly text: string;
  readonly stopReason: string | null;
  readonly usage: { inputTokens: number; outputTokens: number } | null;
  toolCalls(): ToolCall[];
}

/** A finished stream as a CompletionResult (less `attempts`): `cutBy`/`refusedBy` are the format's stop reasons for each. */
export function completion(who: { provider: string; model: string }, asm: Assembled, cutBy: string, refusedBy: string) {
  return {
    text: asm.text,
    toolCalls: asm.toolCalls(),
    provider: who.provider,
    model: who.model,
    stopReason: asm.stopReason,
    cut: asm.stopReason === cutBy,
    refused: asm.stopReason === refusedBy,
    usage: asm.usage,
  };
}
