/**
 * OpenClaw's gateway protocol versions (OpenClaw 2026.9: packages/gateway-protocol/src/version.ts),
 * and which dialect a `connect` asks for. One port serves both: onebrain's own protocol 1, and
 * OpenClaw's 3 and 4 for its CLI, Control UI, companion apps and `openclaw-node`.
 */

/** The version an OpenClaw gateway answers in `hello-ok.protocol`, whatever the client asked. */
export const OPENCLAW_PROTOCOL = 4;
/** Operator and UI clients must cover 4; nodes may still speak 3; probes accept 3 or 4. */
export const OPENCLAW_MIN_NODE_PROTOCOL = 3;
export const OPENCLAW_MIN_PROBE_PROTOCOL = 3;

export type Dialect = "onebrain" | "openclaw";

/**
 * The dialect of a connect from its version range: a range that reaches 3 or more is an OpenClaw
 * client (onebrain's own clients ask for 1); anything else is answered in onebrain's protocol.
 */
export function dialectOf(minProtocol: unknown, maxProtocol: unknown): Dialect {
  return typeof maxProtocol === "number" && maxProtocol >= OPENCLAW_MIN_NODE_PROTOCOL && (typeof minProtocol !== "number" || minProtocol <= OPENCLAW_PROTOCOL)
    ? "openclaw"
    : "onebrain";
}

/** Whether an OpenClaw gateway admits this range: 4 for everyone, 3 for nodes (role and mode node) and probes. */
export function openclawAdmits(p: { minProtocol: number; maxProtocol: number; role: string; mode: string }): boolean {
  const current = p.maxProtocol >= OPENCLAW_PROTOCOL && p.minProtocol <= OPENCLAW_PROTOCOL;
  const probe = p.mode === "probe" && p.maxProtocol >= OPENCLAW_MIN_PROBE_PROTOCOL && p.minProtocol <= OPENCLAW_PROTOCOL;
  const node = p.role === "node" && p.mode === "node" && p.maxProtocol >= OPENCLAW_MIN_NODE_PROTOCOL && p.minProtocol <= OPENCLAW_MIN_NODE_PROTOCOL;
  return current || probe || node;
}
