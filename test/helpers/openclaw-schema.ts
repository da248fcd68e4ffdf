/**
 * OpenClaw's own protocol schemas (@openclaw/gateway-protocol, the package OpenClaw publishes for
 * client authors) as a judge of what onebrain sends its clients: a payload that fails here is one
 * an OpenClaw client may reject, whatever our own code thinks of it.
 */
import * as protocol from "@openclaw/gateway-protocol";
import { Value } from "typebox/value";

type SchemaName = Extract<keyof typeof protocol, `${string}Schema`>;

/** The ways `value` breaks OpenClaw's schema `name` (empty: it conforms), as `path: message` lines. */
export function schemaErrors(name: SchemaName, value: unknown): string[] {
  const schema = protocol[name] as Parameters<typeof Value.Check>[0];
  if (Value.Check(schema, value)) return [];
  return [...Value.Errors(schema, value)].slice(0, 10).map((e) => `${(e as { instancePath?: string }).instancePath || "/"}: ${e.message}`);
}
