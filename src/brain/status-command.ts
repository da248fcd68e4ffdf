/**
 * `/status` typed in a chat (or Discord's /status slash command): what the conversation's session
 * is, answered from the store without the model. Nothing secret: the session key, its age and
 * size, and the model the agent would use.
 */
import { formatDuration } from "../shared/duration.ts";
import type { StoreHandle } from "../store/handle.ts";
import type { ClaimedRun } from "./runs.ts";

/** The answer to `/status` for the run's session. */
export function sessionStatusText(store: StoreHandle, run: Pick<ClaimedRun, "sessionId" | "sessionKey">, model: string, now: number): string {
  const s = store.prepare("SELECT started_at, last_activity_at, message_count FROM sessions WHERE id = ?").get(run.sessionId) as
    | { started_at: number; last_activity_at: number; message_count: number }
    | undefined;
  const queued = store.prepare("SELECT count(*) AS n FROM inbound WHERE session_key = ? AND state = 'pending'").get(run.sessionKey) as { n: number };
  const lines = [`Session ${run.sessionKey}`];
  if (s) {
    const count = `${s.message_count} message${s.message_count === 1 ? "" : "s"}`;
    lines.push(`Started ${formatDuration(now - s.started_at)} ago, ${count}, last active ${formatDuration(Math.max(0, now - s.last_activity_at))} ago.`);
  }
  if (queued.n) lines.push(`${queued.n} more message${queued.n === 1 ? "" : "s"} waiting in this conversation.`);
  lines.push(`Model: ${model}.`, "Send /new to start a new session.");
  return lines.join("\n");
}
