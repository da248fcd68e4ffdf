/**
 * OpenClaw's gateway protocol versions (OpenClaw 2026.9: packages/gateway-protocol/src/version.ts),
 * and which dialect a `connect` asks for. One port serves both: onebrain's own protocol 1, and
 * OpenClaw's 3 and 4 for its CLI, Control UI, companion apps and `openclaw-node`.
 */
import { OPENCLAW_CLIENT_IDS } from "./connect.ts";

/** The version an OpenClaw gateway answers in `hello-ok.protocol`, whatever the client asked. */
export const OPENCLAW_PROTOCOL = 4;
/** Operator and UI clients must cover 4; nodes may still speak 3; probes accept 3 or 4. */
export const OPENCLAW_MIN_NODE_PROTOCOL = 3;
export const OPENCLAW_MIN_PROBE_PROTOCOL = 3;

export type Dialect = "onebrain" | "openclaw";

/**
 * The dialect of a connect: OpenClaw's when one of OpenClaw's own client ids asks for a range that
 * reaches 3 or more and leaves out 1 (OpenClaw's clients ask for 4, 3-4 or 3); onebrain's for
 * anything else, so onebrain's clients keep protocol 1's answers, refusals included.
 */
export function dialectOf(minProtocol: unknown, maxProtocol: unknown, clientId: unknown): Dialect {
  const min = typeof minProtocol === "number" ? minProtocol : 1;
  const max = typeof maxProtocol === "number" ? maxProtocol : 1;
  const openclawId = typeof clientId === "string" && (OPENCLAW_CLIENT_IDS as readonly string[]).includes(clientId);
  return openclawId && max >= OPENCLAW_MIN_NODE_PROTOCOL && min <= OPENCLAW_PROTOCOL && min > 1 ? "openclaw" : "onebrain";
}

/** Whether an OpenClaw gateway admits this range: 4 for everyone, 3 for nodes (role and mode node) and probes. */
export function openclawAdmits(p: { minProtocol: number; maxProtocol: number; role: string; mode: string }): boolean {
  const current = p.maxProtocol >= OPENCLAW_PROTOCOL && p.minProtocol <= OPENCLAW_PROTOCOL;
  const probe = p.mode === "probe" && p.maxProtocol >= OPENCLAW_MIN_PROBE_PROTOCOL && p.minProtocol <= OPENCLAW_PROTOCOL;
  const node = p.role === "node" && p.mode === "node" && p.maxProtocol >= OPENCLAW_MIN_NODE_PROTOCOL && p.minProtocol <= OPENCLAW_MIN_NODE_PROTOCOL;
  return current || probe || node;
}
