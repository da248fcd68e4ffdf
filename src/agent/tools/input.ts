/**
 * Checks a tool call's input against the tool's own JSON Schema, so the schema the model is shown is
 * the one place the inputs are defined. Only the subset tools use is understood: an object of
 * properties typed string, integer, number, boolean or array of those, with minimum/maximum,
 * minLength/maxLength, enum, required and additionalProperties: false.
 */

/** One property of a tool's input schema. */
export interface PropertySchema {
  type: "string" | "integer" | "number" | "boolean" | "array";
  description: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  enum?: readonly string[];
  items?: { type: "string" | "integer" | "number" | "boolean" };
  maxItems?: number;
  default?: unknown;
}

/** A tool's input schema: always an object whose properties are listed. */
export interface ObjectSchema {
  type: "object";
  properties: Record<string, PropertySchema>;
  required?: readonly string[];
  additionalProperties?: false;
}

/** What a value is, in words, for "got ..." in an error. */
function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return "a string";
  if (typeof v === "number") return Number.isInteger(v) ? "an integer" : "a number";
  return `a ${typeof v}`;
}

/** Why one value does not fit its property schema, or null when it does. */
function checkValue(key: string, schema: PropertySchema | { type: string }, v: unknown): string | null {
  const p = schema as PropertySchema;
  switch (p.type) {
    case "string":
      if (typeof v !== "string") return `"${key}" must be a string (got ${kindOf(v)})`;
      if (p.minLength !== undefined && v.length < p.minLength) return `"${key}" must not be empty`;
      if (p.maxLength !== undefined && v.length > p.maxLength) return `"${key}" is ${v.length} characters long; at most ${p.maxLength} are accepted`;
      if (p.enum && !p.enum.includes(v)) return `"${key}" must be one of ${p.enum.map((e) => `"${e}"`).join(", ")} (got "${v}")`;
      return null;
    case "integer":
    case "number":
      if (typeof v !== "number" || !Number.isFinite(v) || (p.type === "integer" && !Number.isInteger(v)))
        return `"${key}" must be ${p.type === "integer" ? "an integer" : "a number"} (got ${kindOf(v)})`;
      if (p.minimum !== undefined && v < p.minimum) return `"${key}" must be at least ${p.minimum} (got ${v})`;
      if (p.maximum !== undefined && v > p.maximum) return `"${key}" must be at most ${p.maximum} (got ${v})`;
      return null;
    case "boolean":
      return typeof v === "boolean" ? null : `"${key}" must be true or false (got ${kindOf(v)})`;
    case "array": {
      if (!Array.isArray(v)) return `"${key}" must be an array (got ${kindOf(v)})`;
      if (p.maxItems !== undefined && v.length > p.maxItems) return `"${key}" has ${v.length} items; at most ${p.maxItems} are accepted`;
      const item = p.items;
      if (!item) return null;
      for (const [i, x] of v.entries()) {
        const why = checkValue(`${key}[${i}]`, item, x);
        if (why) return why;
      }
      return null;
    }
    default:
      return `"${key}" has a schema type this checker does not know`;
  }
}

/**
 * Why `input` does not fit `schema`, as one sentence ending in what to do; null when it fits.
 * Unknown keys are refused: a model that writes `file_path` for `path` learns the right name.
 */
export function checkInput(schema: ObjectSchema, input: unknown): string | null {
  const names = Object.keys(schema.properties);
  const takes = `this tool takes ${names.map((n) => `"${n}"`).join(", ")}`;
  if (typeof input !== "object" || input === null || Array.isArray(input)) return `The input must be a JSON object (got ${kindOf(input)}); ${takes}.`;
  const obj = input as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!Object.hasOwn(schema.properties, key) && schema.additionalProperties === false) return `Unknown input "${key}": ${takes}.`;
  }
  for (const key of schema.required ?? []) {
    if (obj[key] === undefined) return `Missing required input "${key}": ${takes}.`;
  }
  for (const [key, prop] of Object.entries(schema.properties)) {
    if (obj[key] === undefined) continue;
    const why = checkValue(key, prop, obj[key]);
    if (why) return `Invalid input: ${why}.`;
  }
  return null;
}
