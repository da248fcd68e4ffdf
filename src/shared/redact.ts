/** Secret handling: how secrets are shown (`abc…xyz`) and which keys hold them. */

import { hasControlChars, isControlCode } from "./text.ts";

const SECRET_KEY = /(token|password|secret|authorization|api[-_]?key|cookie)/i;

/** True when an object key names a secret (token, password, apiKey, authorization, ...). */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** Shows a secret by its ends only: `abc…xyz`; short secrets are fully hidden. */
export function maskSecret(value: string | undefined | null): string | null {
  if (value === undefined || value === null || value === "") return null;
  if (value.length < 12) return "…";
  return `${value.slice(0, 3)}…${value.slice(-3)}`;
}

/** A deep copy of `value` with every secret-named key masked. Cycles and depth are bounded. */
export function redactDeep(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = isSecretKey(k) && typeof v === "string" ? maskSecret(v) : redactDeep(v, depth + 1);
  }
  return out;
}

/** Names a value's shape without its content, for errors about secrets: `an array of 2 items`. */
export function describeHidden(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "boolean") return String(value);
  if (typeof value === "string") return `a string of ${value.length} character${value.length === 1 ? "" : "s"}`;
  if (Array.isArray(value)) return `a list of ${value.length} item${value.length === 1 ? "" : "s"}`;
  if (typeof value === "object") {
    const n = Object.keys(value).length;
    return `an object with ${n} key${n === 1 ? "" : "s"}`;
  }
  return `a ${typeof value}`;
}

/** Longest secret accepted (config or flag): tokens travel in headers, where a megabyte is never right. */
export const MAX_SECRET_LENGTH = 4096;

/** True when a secret holds a control character (a newline or tab is a paste error, never part of a header). */
export function hasControlCharacter(value: string): boolean {
  return hasControlChars(value);
}

/**
 * What breaks the secret rule (1-MAX_SECRET_LENGTH characters, no control character), in words that
 * never show the secret: "5006 characters", "a control character (U+000A at position 9)"; null when it holds.
 */
export function secretProblem(value: string): string | null {
  if (value === "") return "an empty string";
  if (value.length > MAX_SECRET_LENGTH) return `${value.length} characters`;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (isControlCode(c)) return `a control character (U+${c.toString(16).toUpperCase().padStart(4, "0")} at position ${i + 1})`;
  }
  return null;
}
