/**
 * An approval request posted into the chat it came from: an outbox message under the key
 * `approval:<id>` (so asking again after a restart posts nothing twice), threaded under the
 * message whose run asked, and a notice in the session's transcript (WebChat shows the request
 * from there; the model never sees notices). The owner answers with `/approve` (approve-command.ts).
 */
import { askText } from "../approvals/text.ts";
import type { ApprovalView } from "../protocol/approvals.ts";
import { appendMessage } from "../sessions/store.ts";
import type { StoreHandle } from "../store/handle.ts";
import { enqueueReply } from "./runs.ts";

/** Writes the request's chat message (one transaction); false when it was already posted. */
export function postApprovalRequest(store: StoreHandle, a: ApprovalView, epoch: number, now: number): boolean {
  const key = `approval:${a.id}`;
  return store.transaction(() => {
    if (store.prepare("SELECT 1 FROM outbox WHERE idempotency_key = ?").get(key)) return false;
    const asked = a.runId
      ? (store.prepare("SELECT i.reply_to FROM runs r JOIN inbound i ON i.id = r.inbound_id WHERE r.id = ?").get(a.runId) as
          | { reply_to: string | null }
          | undefined)
      : undefined;
    const text = askText(a, now);
    enqueueReply(store, { inboundId: null, key, channel: a.channel, account: a.account, target: a.peer, replyTo: asked?.reply_to ?? null, text, epoch, now });
    const session = store.prepare("SELECT id FROM sessions WHERE session_key = ? AND ended_at IS NULL").get(a.sessionKey) as { id: number } | undefined;
    // No run id on the notice: the console ties a run's lines to its streamed reply.
    if (session) appendMessage(store, { sessionId: session.id, role: "notice", content: text, now });
    return true;
  });
}

/** The `announce` hook of ApprovalService for a running brain: post, then deliver. */
export function announceInChat(o: { store: StoreHandle; epoch: number; deliver: () => void; now?: () => number }): (a: ApprovalView) => void {
  const now = o.now ?? Date.now;
  return (a) => {
    if (postApprovalRequest(o.store, a, o.epoch, now())) o.deliver();
  };
}
