/**
 * Which agent a message belongs to, from the `bindings` of the config in force. Pure, and asked
 * once per message at ingest (the session key is built from its answer), so a later change of the
 * bindings never moves a stored message to another agent.
 *
 * Precedence, as OpenClaw's: a binding that names the message's chat (peer) wins; then one for its
 * exact account; then one for the channel with accountId "*" or none; then the default agent.
 * Within a tier, the first in config order wins, so the result never depends on anything else.
 */
import type { Config } from "../config/schema.ts";

export type Binding = Config["bindings"][number];

/** What a binding is matched against: the message's channel, account, chat kind and peer. */
export interface BindingInput {
  channel: string;
  account: string;
  /** The channel's kind of chat: dm (a person) or group (a group, channel or thread). */
  kind: "dm" | "group";
  /** The person (dm) or the group id (group). */
  peer: string;
}

/** A binding's peer kind against the message's kind: "direct" is a dm; "group" and "channel" are groups. */
function kindMatches(want: "direct" | "group" | "channel", kind: BindingInput["kind"]): boolean {
  return want === "direct" ? kind === "dm" : kind === "group";
}

/** The tier a binding matches in (0 best), or null when it does not match. */
function tier(b: Binding, m: BindingInput): number | null {
  const { channel, accountId, peer } = b.match;
  if (channel !== m.channel) return null;
  const anyAccount = accountId === undefined || accountId === "*";
  if (!anyAccount && accountId !== m.account) return null;
  if (peer) return kindMatches(peer.kind, m.kind) && peer.id === m.peer ? 0 : null;
  return anyAccount ? 2 : 1;
}

/** The agent id for a message: the best-matching binding's, else `fallback` (the default agent). */
export function bindAgent(bindings: readonly Binding[], m: BindingInput, fallback: string): string {
  let best: { tier: number; agentId: string } | null = null;
  for (const b of bindings) {
    const t = tier(b, m);
    if (t !== null && (best === null || t < best.tier)) best = { tier: t, agentId: b.agentId };
    if (best?.tier === 0) break;
  }
  return best?.agentId ?? fallback;
}
