/**
 * Messages the `message` tool sends, on the brain's side: the target is checked, then the message
 * is written to the outbox like a reply (the same delivery, order per conversation and
 * exactly-once: the key `tool:<runId>:<callId>` makes a second enqueue of one call a no-op).
 *
 * Which targets are allowed: a channel running in this gateway, and either the conversation the
 * run answers or one this brain has answered before (an outbox row for it, from a run). A model
 * talked into it cannot write to arbitrary chats the bot can reach.
 *
 * WebChat delivers nothing itself: what a WebChat user sees is the transcript (`chat.history`)
 * and the event stream. So a tool message to WebChat is also appended, in the same write, to the
 * transcript of that conversation's session, as a `notice` line: shown to the user, but not fed
 * back to the model as its own words (it already sees the text in its tool call, and an assistant
 * line written mid-run would sit between a tool call and its result). The caller should then emit
 * an event for open tabs (`transcript` in the result says which session and line).
 */
import type { MessageRequest } from "../agent/tools/types.ts";
import { WEBCHAT } from "../channels/webchat.ts";
import { appendMessage } from "../sessions/store.ts";
import type { StoreHandle } from "../store/handle.ts";
import { enqueueReply } from "./runs.ts";

/** The conversation a run answers (CallOrigin's fields that matter here). */
export interface MessageOrigin {
  sessionKey: string;
  channel: string;
  account: string;
  peer: string;
}

export interface ToolMessageOptions {
  origin: MessageOrigin;
  /** The channel accounts running in this gateway. */
  channels: ReadonlyArray<{ id: string; account: string }>;
  epoch: number;
  now: number;
}

/** What an enqueue did: the outbox row (new or, for a repeated key, the first one), or why it was refused. */
export type ToolMessageResult =
  | {
      ok: true;
      outboxId: number;
      /** True when the key was already in the outbox: nothing was written. */
      duplicate: boolean;
      /** Set for a new WebChat message: the transcript line written, for the event open tabs get. */
      transcript: { sessionKey: string; messageId: number } | null;
    }
  | { ok: false; refused: string };

function list(values: string[]): string {
  return values.length ? values.map((v) => JSON.stringify(v)).join(", ") : "none";
}

/** The account a message goes out on: as named, the run's own on its channel, or the channel's only one. */
function resolveAccount(m: MessageRequest, o: ToolMessageOptions): { account: string } | { refused: string } {
  const accounts = o.channels.filter((c) => c.id === m.channel).map((c) => c.account);
  if (!accounts.length)
    return { refused: `no channel ${JSON.stringify(m.channel)} runs in this gateway (running: ${list([...new Set(o.channels.map((c) => c.id))])}).` };
  if (m.account !== undefined) {
    return accounts.includes(m.account)
      ? { account: m.account }
      : { refused: `channel ${JSON.stringify(m.channel)} has no account ${JSON.stringify(m.account)} (accounts: ${list(accounts)}).` };
  }
  if (m.channel === o.origin.channel && accounts.includes(o.origin.account)) return { account: o.origin.account };
  if (accounts.length === 1) return { account: accounts[0]! };
  return { refused: `channel ${JSON.stringify(m.channel)} has several accounts (${list(accounts)}): name one as target.account.` };
}

/**
 * The session key of a conversation this agent has answered, from its newest reply; null when it
 * never answered there. Another agent's conversations are not this agent's to write to: `agent`
 * is the key prefix (`agent:<id>:`) of the run's own session.
 */
function answeredConversation(store: StoreHandle, channel: string, account: string, target: string, agent: string): string | null {
  const row = store
    .prepare(
      `SELECT i.session_key AS sessionKey FROM outbox o JOIN inbound i ON i.id = o.inbound_id
       WHERE o.channel = ? AND o.account = ? AND o.target = ? AND substr(i.session_key, 1, length(?)) = ? ORDER BY o.id DESC LIMIT 1`,
    )
    .get(channel, account, target, agent, agent) as { sessionKey: string } | undefined;
  return row?.sessionKey ?? null;
}

/** The session a transcript line for `key` goes to: the live one, else the newest (its history still shows it). */
function sessionOf(store: StoreHandle, key: string): number | null {
  const row = store.prepare("SELECT id FROM sessions WHERE session_key = ? ORDER BY ended_at IS NULL DESC, id DESC LIMIT 1").get(key) as
    | { id: number }
    | undefined;
  return row?.id ?? null;
}

/**
 * Checks a tool message's target and writes it to the outbox (and, for WebChat, the transcript).
 * Call inside a write (a transaction or `grouped`); a repeated idempotency key writes nothing
 * and returns the first row.
 */
export function enqueueToolMessage(store: StoreHandle, m: MessageRequest, o: ToolMessageOptions): ToolMessageResult {
  const existing = store.prepare("SELECT id FROM outbox WHERE idempotency_key = ?").get(m.idempotencyKey) as { id: number } | undefined;
  if (existing) return { ok: true, outboxId: existing.id, duplicate: true, transcript: null };
  const resolved = resolveAccount(m, o);
  if ("refused" in resolved) return { ok: false, refused: resolved.refused };
  const { account } = resolved;
  const own = m.channel === o.origin.channel && account === o.origin.account && m.target === o.origin.peer;
  const agent = /^agent:[^:]+:/.exec(o.origin.sessionKey)?.[0] ?? o.origin.sessionKey;
  const sessionKey = own ? o.origin.sessionKey : answeredConversation(store, m.channel, account, m.target, agent);
  if (sessionKey === null)
    return {
      ok: false,
      refused: `${JSON.stringify(m.target)} is not a conversation this assistant has answered on ${m.channel}; send to the current conversation (leave target out) or to one it has answered.`,
    };
  const outboxId = enqueueReply(store, {
    inboundId: null,
    key: m.idempotencyKey,
    channel: m.channel,
    account,
    target: m.target,
    replyTo: null,
    text: m.text,
    epoch: o.epoch,
    now: o.now,
  });
  let transcript: { sessionKey: string; messageId: number } | null = null;
  if (m.channel === WEBCHAT) {
    const sessionId = sessionOf(store, sessionKey);
    if (sessionId !== null) transcript = { sessionKey, messageId: appendMessage(store, { sessionId, role: "notice", content: m.text, now: o.now }) };
  }
  return { ok: true, outboxId, duplicate: false, transcript };
}

/**
 * `ToolContext.sendMessage` over the store: enqueues in the current write group and resolves
 * once it is durable; a refused target rejects with the sentence saying why (the tool shows it
 * to the model). The caller then starts delivery and, for `transcript`, tells open tabs.
 */
export async function sendToolMessage(store: StoreHandle, m: MessageRequest, o: ToolMessageOptions): Promise<ToolMessageResult & { ok: true }> {
  const { value, durable } = store.grouped(() => enqueueToolMessage(store, m, o));
  if (!value.ok) throw new Error(value.refused);
  await durable;
  return value;
}
