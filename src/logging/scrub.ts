/**
 * Makes a log record safe to write: errors become plain objects (message, code, stack kept),
 * every value under a secret-named key is masked, at any depth, and no string is longer than 8 KiB. Runs before pino serializes, so
 * neither the file nor the console ever sees a secret, whatever path it was logged under.
 */
import pino from "pino";
import { isSecretKey, maskSecret } from "../shared/redact.ts";
import { clip } from "../shared/text.ts";

// Deeper than any record we log on purpose; past it we print a marker rather than risk a leak.
const MAX_DEPTH = 10;
// Longer than any string we log on purpose (a stack trace included): a backstop for client text
// that reached a log call uncut, so no single line can rotate the log away.
const MAX_STRING = 8192;

/** A copy of a log record (or bindings) with errors serialized and secrets masked. */
export function scrubRecord(record: object): Record<string, unknown> {
  const out = scrub(record, false, 0, new WeakSet());
  return typeof out === "object" && out !== null && !Array.isArray(out) ? (out as Record<string, unknown>) : { value: out };
}

function scrub(value: unknown, secret: boolean, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === "string") return secret ? maskSecret(value) : clip(value, MAX_STRING);
  if (typeof value !== "object" || value === null) return value;
  if (depth > MAX_DEPTH) return "[too deep]";
  if (seen.has(value)) return "[circular]";
  seen.add(value);
  try {
    if (value instanceof Error) return scrubEntries(serializeError(value), secret, depth, seen);
    if (Array.isArray(value)) return value.map((v) => scrub(v, secret, depth + 1, seen));
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    // Follow what JSON.stringify would write (Date, URL, OnebrainError-like objects), then scrub that.
    if (typeof toJSON === "function") return scrub(toJSON.call(value), secret, depth + 1, seen);
    return scrubEntries(Object.entries(value), secret, depth, seen);
  } finally {
    // Only ancestors count as cycles: the same object logged twice side by side is fine.
    seen.delete(value);
  }
}

function scrubEntries(entries: Array<[string, unknown]>, secret: boolean, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) {
    // Everything below a secret-named key is secret too: `password: { value: "..." }`.
    if (v !== undefined) out[k] = scrub(v, secret || isSecretKey(k), depth + 1, seen);
  }
  return out;
}

// pino's own serializer keeps type, message (with causes), stack (with causes) and enumerable
// fields such as `code`, `details` and `hint`; we take its fields and drop its `raw` back-reference.
function serializeError(err: Error): Array<[string, unknown]> {
  const serialized = pino.stdSerializers.err(err) as unknown as Record<string, unknown>;
  const entries: Array<[string, unknown]> = [];
  for (const key in serialized) {
    const v = serialized[key];
    if (v !== undefined) entries.push([key, v]);
  }
  return entries;
}
