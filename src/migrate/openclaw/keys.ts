/**
 * OpenClaw's session keys in onebrain's form, so a chat continues where it was: the next
 * Telegram message of a person lands in the session their history was imported into.
 *
 *   agent:<id>:<mainKey>                       -> agent:<id>:main
 *   agent:<id>:(dm|direct):<peer>              -> agent:<id>:<channel>:*:dm:<peer>        (per-peer; channel from the entry)
 *   agent:<id>:<ch>:(dm|direct):<peer>         -> agent:<id>:<ch>:<account>:dm:<peer>     (per-channel-peer)
 *   agent:<id>:<ch>:<acct>:(dm|direct):<peer>  -> agent:<id>:<ch>:<account>:dm:<peer>     (per-account-channel-peer)
 *   agent:<id>:<ch>:(group|channel|room):<g>[:topic:<t>] -> agent:<id>:<ch>:<account>:group:<g>
 *   cron:<job>, hook:<id> (Clawdbot)           -> agent:<default>:cron:<job>, agent:<default>:hook:<id>
 *   global                                     -> agent:<default>:main
 *   agent:<id>:<anything else>                 -> unchanged (a name of the user's own)
 *
 * `<account>` is onebrain's account of the bot (a Telegram bot's id from its token), or
 * OpenClaw's account name when the token is unknown. Keys with whitespace, control characters or
 * broken Unicode, and agent ids onebrain cannot use, are refused with the reason.
 */
import { AGENT_ID } from "../../config/schema-agents.ts";
import { sessionKey } from "../../sessions/keys.ts";
import type { SourceSession } from "./snapshot.ts";

export interface KeyContext {
  /** `session.mainKey` of the source ("main" unless changed). */
  mainKey: string;
  defaultAgent: string;
  /** onebrain's account of an OpenClaw channel account, or null when its token is unknown. */
  accountOf(channel: string, account: string): string | null;
}

export interface MappedKey {
  key: string;
  agentId: string;
  channel: string | null;
  account: string | null;
  kind: "dm" | "group" | null;
  peer: string | null;
  /** A forum topic or thread of a group: onebrain keeps one session per group. */
  topicMerged: boolean;
}

/** The channels whose keys onebrain builds itself. */
const CHANNELS = new Set(["telegram", "discord", "slack", "whatsapp"]);
const MAX_KEY = 512;

/** Why a key cannot be used as it is, or null. */
export function oddKey(key: string): string | null {
  if (key.length === 0) return "it is empty";
  if (key.length > MAX_KEY) return `it is ${key.length} characters long (at most ${MAX_KEY})`;
  if (/\p{Surrogate}/u.test(key)) return "it is not well-formed Unicode (a lone UTF-16 surrogate)";
  if (/[\s\p{Cc}]/u.test(key)) return "it contains whitespace or a control character";
  return null;
}

/** The onebrain key of an OpenClaw session, or why there is none. */
export function mapSessionKey(s: Pick<SourceSession, "key" | "hints">, ctx: KeyContext): MappedKey | { problem: string } {
  const odd = oddKey(s.key);
  if (odd) return { problem: odd };
  let key = s.key;
  if (key === "global") key = `agent:${ctx.defaultAgent}:${ctx.mainKey}`;
  else if (/^(cron|hook):./.test(key)) key = `agent:${ctx.defaultAgent}:${key}`;
  const parts = key.split(":");
  if (parts[0] !== "agent" || parts.length < 3) return { problem: "it is not an agent's session key (agent:<id>:...)" };
  const agentId = parts[1]!;
  if (!AGENT_ID.test(agentId)) return { problem: `its agent id ${JSON.stringify(agentId)} is not one onebrain can use (a-z, 0-9, _ and -)` };
  const rest = parts.slice(2);
  const same: MappedKey = { key, agentId, channel: null, account: null, kind: null, peer: null, topicMerged: false };
  if (rest.length === 1 && (rest[0] === ctx.mainKey || rest[0] === "main")) return { ...same, key: `agent:${agentId}:main` };
  const account = (channel: string, named: string | undefined) => ctx.accountOf(channel, named ?? "default") ?? named ?? "default";
  const dm = (channel: string | undefined, acct: string | undefined, peer: string, scope: "per-peer" | "per-channel-peer"): MappedKey => {
    if (!channel || !CHANNELS.has(channel)) return same;
    const a = scope === "per-peer" ? "*" : account(channel, acct);
    return { key: sessionKey({ agentId, channel, account: a, kind: "dm", peer }, scope), agentId, channel, account: a, kind: "dm", peer, topicMerged: false };
  };
  const isDm = (w: string | undefined) => w === "dm" || w === "direct";
  if (rest.length >= 2 && isDm(rest[0])) return dm(s.hints.channel, s.hints.accountId, rest.slice(1).join(":"), "per-peer");
  if (rest.length >= 3 && isDm(rest[1])) return dm(rest[0], s.hints.accountId, rest.slice(2).join(":"), "per-channel-peer");
  if (rest.length >= 4 && isDm(rest[2])) return dm(rest[0], rest[1], rest.slice(3).join(":"), "per-channel-peer");
  if (rest.length >= 3 && CHANNELS.has(rest[0]!) && ["group", "channel", "room"].includes(rest[1]!)) {
    const channel = rest[0]!;
    const a = account(channel, s.hints.accountId);
    const peer = rest[2]!;
    return {
      key: sessionKey({ agentId, channel, account: a, kind: "group", peer }, "main"),
      agentId,
      channel,
      account: a,
      kind: "group",
      peer,
      topicMerged: rest.length > 3,
    };
  }
  return same;
}
