/**
 * Gateway log lines (pino JSON) made readable: time, level, message and the other fields in
 * one compact string, plus the level filter and search of the Logs page. A bounded buffer keeps
 * a long-open tab from growing without limit.
 */

export const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;
export type Level = (typeof LEVELS)[number];

const BY_NUMBER: Record<number, Level> = { 10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal" };

export interface LogLine {
  /** Position in the stream, for stable rendering keys. */
  seq: number;
  time: string;
  level: Level;
  msg: string;
  /** The remaining fields, `key=value` separated by spaces. */
  fields: string;
  /** Lower-cased raw line, for the search box. */
  haystack: string;
}

// Present on every line (pid/hostname) or already shown: they would only add noise.
const HIDDEN = new Set(["level", "time", "msg", "pid", "hostname", "v"]);

function levelOf(v: unknown): Level {
  if (typeof v === "number") return BY_NUMBER[Math.round(v / 10) * 10] ?? (v >= 60 ? "fatal" : "trace");
  return typeof v === "string" && (LEVELS as readonly string[]).includes(v) ? (v as Level) : "info";
}

function timeOf(v: unknown): string {
  const d = typeof v === "number" || typeof v === "string" ? new Date(v) : null;
  if (!d || Number.isNaN(d.getTime())) return "";
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

function compact(v: unknown): string {
  if (typeof v === "string") return /[\s"=]/.test(v) || v === "" ? JSON.stringify(v) : v;
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 300 ? `${s.slice(0, 300)}…` : s;
}

/** Parses one raw line; a line that is not JSON is shown as it is, at level info. */
export function parseLogLine(raw: string, seq: number): LogLine {
  let rec: Record<string, unknown> | null = null;
  try {
    const v: unknown = JSON.parse(raw);
    if (v && typeof v === "object" && !Array.isArray(v)) rec = v as Record<string, unknown>;
  } catch {
    // not JSON: shown raw below
  }
  if (!rec) return { seq, time: "", level: "info", msg: raw, fields: "", haystack: raw.toLowerCase() };
  const fields = Object.entries(rec)
    .filter(([k]) => !HIDDEN.has(k))
    .map(([k, v]) => `${k}=${compact(v)}`)
    .join(" ");
  return { seq, time: timeOf(rec.time), level: levelOf(rec.level), msg: typeof rec.msg === "string" ? rec.msg : "", fields, haystack: raw.toLowerCase() };
}

/** Appends lines and drops the oldest beyond `cap`. */
export function appendCapped(buffer: LogLine[], lines: LogLine[], cap: number): LogLine[] {
  const all = buffer.concat(lines);
  return all.length > cap ? all.slice(all.length - cap) : all;
}

/** Lines at `minLevel` or above whose text contains `search` (case-insensitive). */
export function filterLines(lines: LogLine[], minLevel: Level, search: string): LogLine[] {
  const min = LEVELS.indexOf(minLevel);
  const q = search.trim().toLowerCase();
  return lines.filter((l) => LEVELS.indexOf(l.level) >= min && (!q || l.haystack.includes(q)));
}
