/** Reads the shape of the config schema at a key path: for "did you mean" and `config get/set`. */
import type * as z from "zod/mini";
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
