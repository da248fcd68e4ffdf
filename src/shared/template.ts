/**
 * The message templates of webhook mappings (docs/hooks.md): text with `{{body.a.b}}`,
 * `{{headers.x-name}}` and `{{query.x}}` placeholders, and `{{body}}` for the whole body. A tiny
 * renderer on purpose: placeholders are looked up, never evaluated, and a value is inserted once
 * (a value that itself holds `{{...}}` stays that text: a sender's data is never read as a
 * template). Secret-bearing headers (Authorization, Cookie, the hook token's) cannot be named.
 */
import { isSecretKey } from "./redact.ts";

export type TemplateRoot = "body" | "headers" | "query";

export interface Placeholder {
  root: TemplateRoot;
  /** Keys (or array indexes) below the root; empty: the whole body. */
  path: readonly string[];
}

export type TemplatePart = string | Placeholder;

/** What a template is rendered with: the parsed body (or its raw text), the headers (lower-case names) and the query. */
export interface TemplateData {
  body: unknown;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  query: Readonly<Record<string, string>>;
}

/** A template that cannot be used, with the sentence that says why. */
export class TemplateError extends Error {}

/** The longest value one placeholder inserts; the rest is cut with an ellipsis. */
export const MAX_VALUE_CHARS = 16 * 1024;

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const SEGMENT = /^[A-Za-z0-9_-]{1,128}$/;

function placeholder(inner: string): Placeholder {
  const [root, ...path] = inner.split(".");
  if (root !== "body" && root !== "headers" && root !== "query")
    throw new TemplateError(`Unknown placeholder {{${inner}}}: expected {{body}}, {{body.KEY...}}, {{headers.NAME}} or {{query.NAME}}`);
  if (path.length > 32) throw new TemplateError(`Placeholder {{${inner}}} is ${path.length} levels deep: at most 32`);
  for (const p of path) {
    if (!SEGMENT.test(p)) throw new TemplateError(`Placeholder {{${inner}}} has a key ${JSON.stringify(p)}: keys are 1-128 of A-Z, a-z, 0-9, _ and -`);
  }
  if (root !== "body" && path.length !== 1)
    throw new TemplateError(`Placeholder {{${inner}}} must name one ${root === "headers" ? "header" : "query parameter"}`);
  if (root === "headers" && isSecretKey(path[0]!))
    throw new TemplateError(`Placeholder {{${inner}}} names a header that carries a secret: it is never put in a message`);
  return { root, path: root === "headers" ? [path[0]!.toLowerCase()] : path };
}

/** Reads a template; throws TemplateError naming the first bad placeholder, or a `{{` that opens none. */
export function parseTemplate(text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let at = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    if (m.index > at) parts.push(text.slice(at, m.index));
    parts.push(placeholder(m[1]!));
    at = m.index + m[0].length;
  }
  if (at < text.length) parts.push(text.slice(at));
  for (const p of parts) {
    if (typeof p === "string" && (p.includes("{{") || p.includes("}}")))
      throw new TemplateError("A template has a '{{' or '}}' that is not part of a placeholder such as {{body.title}}");
  }
  return parts;
}

/** Why a template cannot be used, or null (for the config schema). */
export function templateProblem(text: string): string | null {
  try {
    parseTemplate(text);
    return null;
  } catch (err) {
    if (err instanceof TemplateError) return err.message;
    throw err;
  }
}

/** Own properties and array indexes only: `__proto__` or `constructor` read nothing. */
function child(value: unknown, key: string): unknown {
  if (Array.isArray(value)) return /^\d+$/.test(key) ? value[Number(key)] : undefined;
  if (value !== null && typeof value === "object" && Object.hasOwn(value, key)) return (value as Record<string, unknown>)[key];
  return undefined;
}

function lookup(p: Placeholder, data: TemplateData): unknown {
  if (p.root === "headers") {
    const v = data.headers[p.path[0]!];
    return Array.isArray(v) ? v.join(", ") : v;
  }
  if (p.root === "query") return Object.hasOwn(data.query, p.path[0]!) ? data.query[p.path[0]!] : undefined;
  let v: unknown = data.body;
  for (const key of p.path) v = child(v, key);
  return v;
}

function show(v: unknown, maxChars: number): string {
  if (v === undefined) return "";
  const text = typeof v === "string" ? v : (JSON.stringify(v) ?? "");
  return text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
}

/** Renders parsed parts: missing values are empty, non-strings JSON, each value cut at `maxValueChars`. */
export function renderTemplate(parts: readonly TemplatePart[], data: TemplateData, maxValueChars = MAX_VALUE_CHARS): string {
  return parts.map((p) => (typeof p === "string" ? p : show(lookup(p, data), maxValueChars))).join("");
}
