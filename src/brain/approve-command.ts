/**
 * `/approve ID allow-once|allow-always|deny` typed in a chat. It is answered at ingest, never as a
 * run: the session's run is busy waiting for that very approval, so the message cannot wait in
 * the session's queue behind it. In the ingest transaction that stores the message, the answer
 * is recorded, the message is marked answered and a short confirmation (or the reason it did not
 * count) goes to the outbox as its reply and to the session's transcript as a notice (the model
 * never sees notices, nor the `/approve` itself); the waiting run wakes only once that is durable.
 * WebChat delivers nothing from the outbox, so its tabs learn of the reply from a `chat` notice
 * event (BrainEvent) the brain sends once the batch is durable.
 *
 * Who may answer: the owner of the conversation that asked (same channel, account and peer), or
 * the operator (WebChat senders are authenticated to the gateway). Anyone else gets a notice.
 */
import type { AnswerWithin } from "../approvals/service.ts";
import { displayArgv } from "../approvals/text.ts";
import type { InboundMessage } from "../channels/channel.ts";
import { WEBCHAT } from "../channels/webchat.ts";
import { APPROVAL_DECISIONS, type ApprovalAnswer, type ApprovalView } from "../protocol/approvals.ts";
import type { StoreHandle } from "../store/handle.ts";
import type { IngestCommand } from "./inbox.ts";
import { appendMessage } from "../sessions/store.ts";
import { enqueueReply } from "./runs.ts";

/** What the brain needs to answer approvals from a chat (ApprovalService implements it). */
export interface ChatApprovals {
  get(id: string): ApprovalView | null;
  /** Answers inside the caller's transaction; `settle` wakes the waiter once that is durable. */
  answerWithin(id: string, decision: ApprovalAnswer, by: string, reason?: string): AnswerWithin;
}

/** A parsed `/approve`: an answer to record, or the notice that says what was wrong with it. */
export type ApproveCommand = { ok: true; id: string; decision: ApprovalAnswer; reason?: string } | { ok: false; notice: string };

const ANSWERS = "allow-once, allow-always or deny";

/** Parses `/approve ID ANSWER [reason]` (also `/approve@bot ...`); null when the text is not an /approve command. */
export function parseApprove(text: string): ApproveCommand | null {
  const m = /^\/approve(?:@\S+)?(?:\s+([\s\S]*))?$/i.exec(text.trim());
  if (!m) return null;
  const [id, verb, ...rest] = (m[1] ?? "").trim().split(/\s+/).filter(Boolean);
  if (!id) return { ok: false, notice: `Usage: /approve ID ${APPROVAL_DECISIONS.join(" | ")}. The ID is in the approval request.` };
  const decision = APPROVAL_DECISIONS.find((d) => d === verb?.toLowerCase());
  if (!decision) {
    const what = verb ? `"${verb}" is not an answer` : "The answer is missing";
    return { ok: false, notice: `${what}: reply /approve ${id} followed by ${ANSWERS}.` };
  }
  return { ok: true, id, decision, ...(rest.length ? { reason: rest.join(" ") } : {}) };
}

/** What the owner is told when their answer counted. */
function confirmation(a: ApprovalView): string {
  const cmd = `\`${displayArgv(a.argv)}\``;
  if (a.state === "deny") return `Denied (${a.id}): ${cmd} will not run.`;
  if (a.state === "allow-always")
    return `Allowed (${a.id}): ${cmd} runs now, and ${a.executables.join(", ") || "its executables"} will run without asking from now on.`;
  return `Allowed once (${a.id}): ${cmd} runs now.`;
}

/** A coded refusal as a sentence for the chat. */
const sentence = (s: string): string => `${s.charAt(0).toUpperCase()}${s.slice(1)}${/[.!?]$/.test(s) ? "" : "."}`;

/** Decides what an /approve from `m` does; returns the reply text and, when it counted, the wake-up to run after commit. */
function answer(approvals: ChatApprovals, channel: string, account: string, m: InboundMessage, cmd: ApproveCommand): { text: string; settle?: () => void } {
  if (!cmd.ok) return { text: cmd.notice };
  const operator = channel === WEBCHAT;
  if (!m.owner && !operator) return { text: "Only the owner of this chat can answer approvals." };
  const a = approvals.get(cmd.id);
  if (!a) return { text: `There is no approval ${cmd.id.toUpperCase()}: check the ID in the request (8 characters).` };
  if (!operator && (a.channel !== channel || a.account !== account || a.peer !== m.peer))
    return { text: `Approval ${a.id} was asked in another conversation: answer it there, in the console, or with \`onebrain approvals allow ${a.id}\`.` };
  const r = approvals.answerWithin(a.id, cmd.decision, `${channel}:${m.sender}`, cmd.reason);
  if (!r.ok) return { text: sentence(r.error.message) };
  return { text: confirmation(r.approval), settle: r.settle };
}

/** The reply to one `/approve`, for the session whose chat it was typed in. */
export interface ApproveReply {
  sessionKey: string;
  text: string;
}

/**
 * The ingest hook for one batch of a channel account: answers each `/approve` inside the ingest
 * transaction (message answered, reply in the outbox and the transcript). After the batch is
 * durable, `afterDurable` wakes the runs whose approvals were answered and returns the replies written.
 */
export function approveCommands(o: { store: StoreHandle; approvals: ChatApprovals; channel: string; account: string; epoch: number; now: number }): {
  command: IngestCommand;
  afterDurable(): ApproveReply[];
} {
  const settles: Array<() => void> = [];
  const replies: ApproveReply[] = [];
  const command: IngestCommand = (m, inboundId) => {
    const cmd = parseApprove(m.text);
    if (!cmd) return false;
    const r = answer(o.approvals, o.channel, o.account, m, cmd);
    o.store.prepare("UPDATE inbound SET state = 'answered' WHERE id = ?").run(inboundId);
    enqueueReply(o.store, {
      inboundId,
      key: `reply:${inboundId}`,
      channel: o.channel,
      account: o.account,
      target: m.peer,
      replyTo: m.replyTo ?? null,
      text: r.text,
      epoch: o.epoch,
      now: o.now,
    });
    const { session_key: sessionKey } = o.store.prepare("SELECT session_key FROM inbound WHERE id = ?").get(inboundId) as { session_key: string };
    const session = o.store.prepare("SELECT id FROM sessions WHERE session_key = ? AND ended_at IS NULL").get(sessionKey) as { id: number } | undefined;
    if (session) appendMessage(o.store, { sessionId: session.id, role: "notice", content: r.text, now: o.now, inboundId });
    if (r.settle) settles.push(r.settle);
    replies.push({ sessionKey, text: r.text });
    return true;
  };
  return {
    command,
    afterDurable: () => {
      for (const s of settles.splice(0)) s();
      return replies.splice(0);
    },
  };
}
