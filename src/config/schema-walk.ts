/** Reads the shape of the config schema at a key path: for "did you mean" and `config get/set`. */
import type * as z from "zod/mini";
import { isSecretKey } from "../shared/redact.ts";
import { configSchema } from "./schema.ts";

type AnySchema = z.core.$ZodType;

interface Def {
  type: string;
  innerType?: AnySchema;
  shape?: Record<string, AnySchema>;
  valueType?: AnySchema;
}

function def(schema: AnySchema): Def {
  return schema._zod.def as unknown as Def;
}

/** Strips optional/default/prefault/nullable wrappers. */
function unwrap(schema: AnySchema): AnySchema {
  let s = schema;
  for (let i = 0; i < 10; i++) {
    const d = def(s);
    if (d.innerType && ["optional", "default", "prefault", "nullable", "readonly"].includes(d.type)) s = d.innerType;
    else break;
  }
  return s;
}

/** The schema at `path` (e.g. ["gateway", "auth"]), or undefined if the path is not in the schema. */
export function schemaAt(path: readonly (string | number)[], root: AnySchema = configSchema): AnySchema | undefined {
  let s: AnySchema | undefined = root;
  for (const key of path) {
    if (!s) return undefined;
    const d = def(unwrap(s));
    if (d.type === "object" && d.shape) s = d.shape[String(key)];
    else if (d.type === "record" && d.valueType) s = d.valueType;
    else if (d.type === "array") s = (d as unknown as { element: AnySchema }).element;
    else return undefined;
  }
  return s;
}

/** The keys an object at `path` accepts; empty when the path is not an object. */
export function keysAt(path: readonly (string | number)[]): string[] {
  const s = schemaAt(path);
  if (!s) return [];
  const d = def(unwrap(s));
  return d.type === "object" && d.shape ? Object.keys(d.shape) : [];
}

/** The kind of value at a path: "object", "record", "array", "number", "string", "enum", ... */
export function kindAt(path: readonly (string | number)[]): string | undefined {
  const s = schemaAt(path);
  return s ? def(unwrap(s)).type : undefined;
}

/** Every leaf key path of the schema, dotted ("gateway.auth.token", ...). */
export function allKeyPaths(prefix: string[] = []): string[] {
  const keys = keysAt(prefix);
  if (keys.length === 0) return prefix.length ? [prefix.join(".")] : [];
  return keys.flatMap((k) => allKeyPaths([...prefix, k]));
}

/** True when a schema (or anything inside it) has a key that names a secret. */
function containsSecret(schema: AnySchema | undefined, depth = 0): boolean {
  if (!schema || depth > 12) return false;
  const d = def(unwrap(schema));
  if (d.type === "object" && d.shape) return Object.entries(d.shape).some(([k, v]) => isSecretKey(k) || containsSecret(v, depth + 1));
  if (d.type === "record" && d.valueType) return containsSecret(d.valueType, depth + 1);
  if (d.type === "array") return containsSecret((d as unknown as { element: AnySchema }).element, depth + 1);
  return false;
}

/**
 * True when a value found at `path` may be (or hold) a secret: a segment names one
 * (gateway.auth.token), or the schema there contains one (gateway.auth, a whole provider).
 * Such values are never shown in errors, whatever their type.
 */
export function holdsSecret(path: readonly (string | number)[]): boolean {
  return path.some((k) => isSecretKey(String(k))) || containsSecret(schemaAt(path));
}

/** Every key path that holds a secret, records as "*" ("models.providers.*.apiKey"). */
export function secretKeyPaths(prefix: string[] = []): string[] {
  const s = schemaAt(prefix.map((p) => (p === "*" ? "x" : p)));
  if (!s) return [];
  const d = def(unwrap(s));
  if (d.type === "object" && d.shape) return Object.keys(d.shape).flatMap((k) => secretKeyPaths([...prefix, k]));
  if (d.type === "record") return secretKeyPaths([...prefix, "*"]);
  return prefix.some(isSecretKey) ? [prefix.join(".")] : [];
}

/** What the schema expects at `path`, in words: "an object with keys mode, token, password". */
export function expectedAt(path: readonly (string | number)[]): string {
  const s = schemaAt(path);
  if (!s) return "nothing here (unknown key)";
  const d = def(unwrap(s)) as Def & { entries?: Record<string, string>; element?: AnySchema };
  switch (d.type) {
    case "object":
      return `an object with keys ${Object.keys(d.shape ?? {}).join(", ")}`;
    case "record":
      return `an object of named entries, each ${expectedAt([...path, "x"])}`;
    case "array":
      return `a list, each item ${expectedAt([...path, 0])}`;
    case "enum":
      return `one of ${Object.values(d.entries ?? {}).join(", ")}`;
    case "string":
      return "a string";
    case "number":
    case "int":
      return "a number";
    case "boolean":
      return "true or false";
    default:
      return d.type;
  }
}
