/**
 * Session keys: which conversation a message belongs to. The owner's direct chats share
 * `agent:<agentId>:main` by default, so the assistant has one memory across channels; groups
 * always get their own session; `session.dmScope` can split direct chats per person, and
 * `session.pairedDmScope` places the people the owner lets in (their own session by default).
 */

export type DmScope = "main" | "per-peer" | "per-channel-peer";

export interface SessionAddress {
  agentId: string;
  channel: string;
  account: string;
  /** dm: a direct chat; group: a group, channel or thread. */
  kind: "dm" | "group";
  /** The person (dm) or the group id (group). */
  peer: string;
}

// Keys are joined with ':', so the parts must not contain it; ids from platforms can.
function part(s: string): string {
  return encodeURIComponent(s).replace(/%40/g, "@");
}

/**
 * The session key for a message.
 * - groups: `agent:<agentId>:<channel>:<account>:group:<groupId>`, always;
 * - dm, scope main: `agent:<agentId>:main`;
 * - dm, scope per-channel-peer: `agent:<agentId>:<channel>:<account>:dm:<peer>` (a person on
 *   each bot account of each channel has their own session);
 * - dm, scope per-peer: `agent:<agentId>:<channel>:*:dm:<peer>` (one session per person per
 *   channel, shared across that channel's accounts).
 */
export function sessionKey(address: SessionAddress, dmScope: DmScope): string {
  const agent = `agent:${part(address.agentId)}`;
  if (address.kind === "group") return `${agent}:${part(address.channel)}:${part(address.account)}:group:${part(address.peer)}`;
  if (dmScope === "main") return `${agent}:main`;
  const account = dmScope === "per-peer" ? "*" : part(address.account);
  return `${agent}:${part(address.channel)}:${account}:dm:${part(address.peer)}`;
}

/** The parts of a key built by sessionKey (for display and filtering); null for a foreign string. */
export function parseSessionKey(
  key: string,
): { agentId: string; scope: "main" } | { agentId: string; scope: "dm" | "group"; channel: string; account: string; peer: string } | null {
  let p: string[];
  try {
    p = key.split(":").map(decodeURIComponent);
  } catch {
    return null; // a malformed %-escape: not a key sessionKey built
  }
  if (p[0] !== "agent" || !p[1]) return null;
  if (p.length === 3 && p[2] === "main") return { agentId: p[1], scope: "main" };
  if (p.length === 6 && (p[4] === "dm" || p[4] === "group")) return { agentId: p[1], scope: p[4], channel: p[2]!, account: p[3]!, peer: p[5]! };
  return null;
}

/**
 * The agent a key belongs to (`agent:<id>:...`, whatever follows), or null for a key of no agent.
 * The agent of a run is its key's: the route chose it when the message was ingested.
 */
export function agentOfKey(key: string): string | null {
  const m = /^agent:([^:]+):./s.exec(key);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return null; // a malformed %-escape: not a key sessionKey built
  }
}

/** The key forms a client may name (chat.send), for refusals. */
export function sessionKeyForms(agentId: string): string {
  return `agent:${agentId}:main (the shared session), agent:${agentId}:<channel>:<account>:dm:<peer> or :group:<group> (a channel's session), or agent:${agentId}:<name> (a session of your own)`;
}

/**
 * True when a client may route a message to `key`: a key in this agent's namespace
 * (`agent:<agentId>:...`, as sessionKey builds them, or a name of the client's own after the
 * prefix), with no whitespace or control characters. Anything else would silently land in some
 * other session than the one the client named.
 */
export function isRoutableSessionKey(key: string, agentId: string): boolean {
  const prefix = `agent:${part(agentId)}:`;
  return key.startsWith(prefix) && key.length > prefix.length && !/[\s\p{Cc}]/u.test(key);
}

/** True when the text is a reset command typed in a chat (`/new`, `/reset`, optionally with @botname). */
export function isResetCommand(text: string): "new" | "reset" | null {
  const c = chatCommand(text);
  return c === "new" || c === "reset" ? c : null;
}

/**
 * The command a chat line is, answered without the model: `/new` and `/reset` start a new
 * session, `/status` tells what the session is (optionally with @botname, as Telegram sends
 * commands in groups). Null for anything else.
 */
export function chatCommand(text: string): "new" | "reset" | "status" | null {
  const m = /^\/(new|reset|status)(@\S+)?\s*$/i.exec(text.trim());
  return m ? (m[1]!.toLowerCase() as "new" | "reset" | "status") : null;
}
