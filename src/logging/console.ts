/**
 * Console rendering of pino JSON lines: `pretty` for people, `compact` for narrow terminals and
 * journald, `json` unchanged for tools. Used by the gateway's console stream and `onebrain logs`.
 */

import { hasControlChars, isControlCode } from "../shared/text.ts";

export type ConsoleStyle = "pretty" | "compact" | "json";

export interface FormatOptions {
  /** Colour the level with ANSI codes; only for a TTY. */
  color?: boolean;
}

const LEVEL_LABELS: Record<number, string> = { 10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal" };
const LEVEL_COLORS: Record<string, string> = { trace: "90", debug: "36", info: "32", warn: "33", error: "31", fatal: "35;1" };
// pino's own fields and ones that repeat on every line; the rest is what the caller logged.
const HIDDEN_KEYS = new Set(["level", "time", "msg", "pid", "hostname", "v"]);
const COMPACT_VALUE_MAX = 80;

/** Renders one JSON log line in `style`, without a trailing newline; a non-JSON line comes back as it is. */
export function formatLine(line: string, style: ConsoleStyle, options: FormatOptions = {}): string {
  const text = line.endsWith("\n") ? line.slice(0, -1) : line;
  if (style === "json") return text;
  const record = parseRecord(text);
  if (record === null) return escapeControls(text);
  const level = levelLabel(record.level);
  const label = style === "pretty" ? level.toUpperCase().padEnd(5) : level;
  const shownLevel = options.color ? paint(level, label) : label;
  const msg = typeof record.msg === "string" ? escapeControls(record.msg) : "";
  const fields = Object.entries(record)
    .filter(([k, v]) => !HIDDEN_KEYS.has(k) && v !== undefined)
    .map(([k, v]) => `${k}=${formatValue(k, v, style === "compact")}`);
  if (style === "compact") return [shownLevel, msg, ...fields].filter((s) => s !== "").join(" ");
  const head = [clock(record.time), shownLevel, msg, ...fields].filter((s) => s !== "").join(" ");
  const stack = errorStack(record.err);
  return stack ? `${head}\n${stack}` : head;
}

/** A pino destination that renders each line in `style` and writes it to `target`. */
export function createConsoleStream(target: NodeJS.WritableStream, style: ConsoleStyle, options: FormatOptions = {}): { write(line: string): boolean } {
  return {
    write(line: string): boolean {
      target.write(style === "json" ? line : `${formatLine(line, style, options)}\n`);
      return true;
    },
  };
}

/** True when `stream` is a terminal and the environment does not ask for plain text (NO_COLOR). */
export function wantsColor(stream: unknown, env: NodeJS.ProcessEnv = process.env): boolean {
  const isTTY = typeof stream === "object" && stream !== null && (stream as { isTTY?: unknown }).isTTY === true;
  return isTTY && !env.NO_COLOR && env.TERM !== "dumb";
}

function parseRecord(text: string): Record<string, unknown> | null {
  if (!text.startsWith("{")) return null;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function levelLabel(level: unknown): string {
  if (typeof level === "number") return LEVEL_LABELS[level] ?? `L${level}`;
  return typeof level === "string" ? escapeControls(level) : "?";
}

function paint(level: string, text: string): string {
  const code = LEVEL_COLORS[level];
  return code ? `\x1b[${code}m${text}\x1b[0m` : text;
}

// Local time, as people read their terminal; the file keeps the full timestamp.
function clock(time: unknown): string {
  if (typeof time !== "number" && typeof time !== "string") return "";
  const d = new Date(time);
  if (Number.isNaN(d.getTime())) return "";
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

function formatValue(key: string, value: unknown, compact: boolean): string {
  let out: string;
  if (key === "err" && isErrorRecord(value)) out = quote(errorSummary(value));
  else if (typeof value === "string") out = quote(value);
  else if (value === null || typeof value !== "object") out = String(value);
  else out = JSON.stringify(value) ?? "undefined";
  return compact && out.length > COMPACT_VALUE_MAX ? `${out.slice(0, COMPACT_VALUE_MAX - 1)}…` : out;
}

// Bare when unambiguous, JSON-quoted otherwise, so `key=value` stays parseable and one line.
function quote(s: string): string {
  return s !== "" && /^[^\s"=\\]+$/.test(s) && !hasControlChars(s) ? s : escapeControls(JSON.stringify(s));
}

function isErrorRecord(value: unknown): value is { message?: unknown; code?: unknown; type?: unknown; stack?: unknown } {
  return typeof value === "object" && value !== null && ("message" in value || "stack" in value);
}

function errorSummary(err: { message?: unknown; code?: unknown; type?: unknown }): string {
  const label = typeof err.code === "string" ? err.code : typeof err.type === "string" ? err.type : "Error";
  return `${label}: ${typeof err.message === "string" ? err.message : ""}`;
}

// The first stack line repeats the message already shown on the head line.
function errorStack(err: unknown): string {
  if (!isErrorRecord(err) || typeof err.stack !== "string") return "";
  return err.stack
    .split("\n")
    .slice(1)
    .map((l) => `    ${escapeControls(l.trim())}`)
    .join("\n");
}

// Log text can come from chat users: never let it move the cursor, recolour or fake a new line.
function escapeControls(s: string): string {
  if (!hasControlChars(s)) return s;
  let out = "";
  for (const c of s) {
    if (!isControlCode(c.charCodeAt(0))) out += c;
    else if (c === "\n") out += "\\n";
    else if (c === "\t") out += "\\t";
    else if (c === "\r") out += "\\r";
    else out += `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  }
  return out;
}
