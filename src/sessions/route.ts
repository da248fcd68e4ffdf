/**
 * Routing: the session key a message is stored under, decided once, when it is ingested. The
 * agent comes from the bindings (src/agents/bindings.ts), the session from the dm scopes
 * (keys.ts); the key then carries both for good, so a later config change never moves a stored
 * message to another agent or session.
 */
import { bindAgent } from "../agents/bindings.ts";
import type { Roster } from "../agents/roster.ts";
import type { Config } from "../config/schema.ts";
import { isRoutableSessionKey, sessionKey, sessionKeyForms } from "./keys.ts";

/** The part of an inbound message routing reads. */
export interface RoutedMessage {
  kind: "dm" | "group";
  /** The person (dm) or group; for WebChat, the client or the session key it named. */
  peer: string;
  /** A sender let in who is not the owner (pairing, an open policy). */
  guest?: boolean;
}

/** The channel whose messages may name their session key (a console tab picks a session). */
const KEY_NAMING_CHANNEL = "webchat";

/** True when a client may name `key`: a key of one of the configured agents (keys.ts says which forms). */
export function isRoutableForAgents(key: string, roster: Roster): boolean {
  return roster.ids.some((id) => isRoutableSessionKey(key, id));
}

/** The key forms a client may name, for a refusal: the default agent's, and which other agents there are. */
export function routableKeyForms(roster: Roster): string {
  const others = roster.ids.filter((id) => id !== roster.defaultAgent.id);
  return sessionKeyForms(roster.defaultAgent.id) + (others.length ? `; the same under agent:<id>: for agents ${others.join(", ")}` : "");
}

/** The session key of a message of `channel`/`account`, with the config and agents in force now. */
export function routeMessage(
  config: Readonly<Pick<Config, "bindings" | "session">>,
  roster: Roster,
  channel: string,
  account: string,
  m: RoutedMessage,
): string {
  if (channel === KEY_NAMING_CHANNEL && isRoutableForAgents(m.peer, roster)) return m.peer;
  const bound = bindAgent(config.bindings, { channel, account, kind: m.kind, peer: m.peer }, roster.defaultAgent.id);
  // The schema refuses a binding to an agent that is not configured; this only guards the invariant.
  const agentId = roster.get(bound) ? bound : roster.defaultAgent.id;
  // A guest (let in, not the owner) never shares the owner's session unless session.pairedDmScope says "main".
  const scope = m.guest ? config.session.pairedDmScope : config.session.dmScope;
  return sessionKey({ agentId, channel, account, kind: m.kind, peer: m.peer }, scope);
}
