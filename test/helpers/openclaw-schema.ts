/**
 * OpenClaw's own protocol schemas (@openclaw/gateway-protocol, the package OpenClaw publishes for
 * client authors) as a judge of what onebrain sends its clients: a payload that fails here is one
 * an OpenClaw client may reject, whatever our own code thinks of it.
 */
import * as root from "@openclaw/gateway-protocol";
import * as schemas from "@openclaw/gateway-protocol/schema";
import { Value } from "typebox/value";

// The package's root leaves some result schemas out at run time (ModelsListResultSchema); its `/schema` entry has them all.
const protocol = { ...root, ...schemas };
type SchemaName = Extract<keyof typeof protocol, `${string}Schema`>;

/**
 * Fields the real OpenClaw 2026.9.6 gateway sends that the newest published schema package
 * (2026.9.1) does not know yet; each was seen on the wire from OpenClaw's own gateway
 * (recorded against it when this was written): they are taken out before the check, nothing else is.
 */
const NEWER_THAN_SCHEMA: Partial<Record<SchemaName, string[][]>> = {
  ChannelsStatusResultSchema: [["statusIssues"]],
  HelloOkSchema: [["auth", "method"]],
  AgentEventSchema: [["sessionKey"], ["agentId"], ["sessionId"]],
  // models.list as the 2026.9.6 gateway answers the Control UI (recorded): `manualSelectionAllowed` per model, `accountSelection`.
  ModelsListResultSchema: [["models", "*", "manualSelectionAllowed"], ["accountSelection"]],
};

/** Deletes `path` under `at`; a `*` step goes into every element of an array. */
function drop(at: unknown, path: readonly string[]): void {
  if (at === null || typeof at !== "object") return;
  const [k, ...rest] = path;
  if (k === "*") {
    if (Array.isArray(at)) for (const el of at) drop(el, rest);
    return;
  }
  if (rest.length === 0) delete (at as Record<string, unknown>)[k!];
  else drop((at as Record<string, unknown>)[k!], rest);
}

function withoutNewer(name: SchemaName, value: unknown): unknown {
  const paths = NEWER_THAN_SCHEMA[name];
  if (!paths || value === null || typeof value !== "object") return value;
  const copy = structuredClone(value);
  for (const p of paths) drop(copy, p);
  return copy;
}

/** The ways `value` breaks OpenClaw's schema `name` (empty: it conforms), as `path: message` lines. */
export function schemaErrors(name: SchemaName, raw: unknown): string[] {
  const schema = protocol[name] as Parameters<typeof Value.Check>[0];
  const value = withoutNewer(name, raw);
  if (Value.Check(schema, value)) return [];
  return [...Value.Errors(schema, value)].slice(0, 10).map((e) => `${(e as { instancePath?: string }).instancePath || "/"}: ${e.message}`);
}

/** The same check against the health snapshot (OpenClaw's `health` answer and `hello-ok.snapshot.health`). */
export function healthErrors(value: unknown): string[] {
  const schema = (protocol.SnapshotSchema as unknown as { properties: { health: Parameters<typeof Value.Check>[0] } }).properties.health;
  if (Value.Check(schema, value)) return [];
  return [...Value.Errors(schema, value)].slice(0, 10).map((e) => `${(e as { instancePath?: string }).instancePath || "/"}: ${e.message}`);
}
