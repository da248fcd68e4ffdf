/**
 * OpenClaw's own protocol schemas (@openclaw/gateway-protocol, the package OpenClaw publishes for
 * client authors) as a judge of what onebrain sends its clients: a payload that fails here is one
 * an OpenClaw client may reject, whatever our own code thinks of it.
 */
import * as protocol from "@openclaw/gateway-protocol";
import { Value } from "typebox/value";

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
};

function withoutNewer(name: SchemaName, value: unknown): unknown {
  const paths = NEWER_THAN_SCHEMA[name];
  if (!paths || value === null || typeof value !== "object") return value;
  const copy = structuredClone(value) as Record<string, unknown>;
  for (const p of paths) {
    let at: Record<string, unknown> | undefined = copy;
    for (const k of p.slice(0, -1)) at = at?.[k] as Record<string, unknown> | undefined;
    if (at) delete at[p.at(-1)!];
  }
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
