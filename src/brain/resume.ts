/**
 * After a restart: runs a dead (or stopped) gateway left 'running' are resumed from their journal
 * by this process, under the same run id, with this process's epoch. Their messages stay
 * 'running' meanwhile, so no second run of them starts.
 *
 * For each call of the run's last turn without a result: a read-only call runs again; a
 * side-effecting call that never started ('planned', or waiting for an approval) runs again (a
 * pending approval is asked again and found by run and call id); a side-effecting call that had
 * started gets "outcome unknown" and is never run again. A model call that was in flight is made
 * again. A run that cannot be resumed (its agent is gone, its journal is unreadable, or restarts
 * keep interrupting it) is answered with a notice that says why. A submitted message whose source
 * says `abandon` (a cron occurrence) is not resumed: its run ends `interrupted`, delivering nothing.
 */
import type { ToolCall } from "../agent/tools/types.ts";
import type { ChatTurn } from "../agent/provider.ts";
import { chatCommand } from "../sessions/keys.ts";
import { modelHistory, turnsOf, type HistoryRow } from "../sessions/history.ts";
import { appendMessage } from "../sessions/store.ts";
import type { StoreHandle } from "../store/handle.ts";
import type { ProcessGroupRecord } from "./ports.ts";
import { finishRun, SUBMISSION_COLUMNS, submissionOf, type ClaimedRun, type SubmissionColumns } from "./runs.ts";

/** Restarts that may resume one run; the next interruption ends it with a notice (a crash loop). */
export const MAX_RESUMES = 3;

/** The result of a side-effecting call that had started when the gateway died. */
export const UNKNOWN_OUTCOME =
  "Interrupted by a restart of the gateway: this call had started, so it may have acted, but its outcome is unknown. It was not run again. Check before repeating it.";

/** The transcript line of a submitted run (a cron occurrence) that a restart ended: it is not run again. */
export const ABANDONED = "Interrupted by a restart of the gateway: not run again, so its outcome is unknown.";

/** The notice for a run that restarts kept interrupting: why it stopped, and what it had done. */
export function crashLoopNotice(interruptions: number, calls: number, lastTool: string | null): string {
  const done = calls === 0 ? "no tool had run yet" : `I had made ${calls} tool call${calls === 1 ? "" : "s"}, the last one to ${lastTool}`;
  return `This message was interrupted by ${interruptions} restarts in a row while I was working on it, so I stopped to avoid a loop (${done}). Send it again if you still want it.`;
}

/** The notice for a run that cannot be resumed at all, saying why. */
export function notResumableNotice(why: string): string {
  return `I was restarted while answering this message and could not pick it up again: ${why}. Please send it again.`;
}

/** A run left 'running', with what its message and session say. */
interface RunningRow
  extends Pick<ClaimedRun, "runId" | "sessionId" | "inboundId" | "sessionKey" | "channel" | "account" | "peer" | "replyTo" | "text">, SubmissionColumns {
  resumes: number;
  steps: number;
  agentId: string;
}

/** What recovery did: runs to resume (in order) and how many were answered with a notice instead. */
export interface Recovery {
  resumed: ClaimedRun[];
  ended: number;
}

/** Resumes (or, if it cannot, answers) every run left 'running', in one transaction. */
export function recoverRuns(store: StoreHandle, o: { epoch: number; now: number; agentIds: readonly string[]; historyLimit: number }): Recovery {
  return store.transaction(() => {
    const rows = store
      .prepare(
        `SELECT r.id AS runId, r.session_id AS sessionId, r.resumes, r.steps, i.id AS inboundId, i.session_key AS sessionKey, i.channel,
           i.account, i.peer, i.reply_to AS replyTo, i.text, ss.agent_id AS agentId, ${SUBMISSION_COLUMNS}
         FROM runs r JOIN inbound i ON i.id = r.inbound_id JOIN sessions ss ON ss.id = r.session_id LEFT JOIN submitted s ON s.inbound_id = i.id
         WHERE r.state = 'running' ORDER BY r.id`,
      )
      .all() as unknown as RunningRow[];
    const out: Recovery = { resumed: [], ended: 0 };
    for (const row of rows) {
      const run: ClaimedRun = {
        runId: row.runId,
        inboundId: row.inboundId,
        sessionId: row.sessionId,
        sessionKey: row.sessionKey,
        agentId: row.agentId,
        channel: row.channel,
        account: row.account,
        peer: row.peer,
        replyTo: row.replyTo,
        text: row.text,
        history: [],
        command: chatCommand(row.text),
        expired: null,
      };
      const submission = submissionOf(row);
      if (submission) run.submission = submission;
      // Stamped first, so finishing it here (a notice) is this process's to do.
      store.prepare("UPDATE runs SET epoch = ?, resumes = resumes + 1 WHERE id = ?").run(o.epoch, row.runId);
      markUnknown(store, row, o.now);
      let notice: string | null = null;
      if (submission?.onInterrupt === "abandon") notice = ABANDONED;
      else if (!o.agentIds.includes(row.agentId)) notice = notResumableNotice(`the agent "${row.agentId}" that was answering it is no longer configured`);
      else if (row.resumes + 1 > MAX_RESUMES) notice = crashLoopNotice(row.resumes + 1, ...toolsDone(store, row.runId));
      else {
        try {
          Object.assign(run, rebuild(store, row, o.historyLimit));
        } catch (err) {
          notice = notResumableNotice(`its journal could not be read (${(err as Error).message})`);
        }
      }
      if (notice === null) out.resumed.push(run);
      else {
        finishRun(store, run, { kind: "notice", text: notice, state: "interrupted" }, o.epoch, o.now);
        out.ended++;
      }
    }
    return out;
  });
}

/** Side-effecting calls that had started get "outcome unknown" (row and tool line); read-only ones go back to 'planned'. */
function markUnknown(store: StoreHandle, row: RunningRow, now: number): void {
  const started = store
    .prepare("SELECT id, call_id AS callId, name, side_effects AS sideEffects FROM tool_calls WHERE run_id = ? AND state = 'started' ORDER BY id")
    .all(row.runId) as Array<{ id: number; callId: string; name: string; sideEffects: number }>;
  for (const c of started) {
    if (c.sideEffects === 0) {
      store.prepare("UPDATE tool_calls SET state = 'planned' WHERE id = ?").run(c.id);
      continue;
    }
    store.prepare("UPDATE tool_calls SET state = 'unknown', result = ?, is_error = 1 WHERE id = ?").run(UNKNOWN_OUTCOME, c.id);
    const data = JSON.stringify({ callId: c.callId, name: c.name, isError: true });
    appendMessage(store, { sessionId: row.sessionId, role: "tool", content: UNKNOWN_OUTCOME, now, runId: row.runId, data });
  }
}

function toolsDone(store: StoreHandle, runId: number): [number, string | null] {
  const r = store
    .prepare(
      "SELECT count(*) AS n, (SELECT name FROM tool_calls WHERE run_id = ?1 AND state <> 'planned' ORDER BY id DESC LIMIT 1) AS last FROM tool_calls WHERE run_id = ?1 AND state <> 'planned'",
    )
    .get(runId) as { n: number; last: string | null };
  return [r.n, r.last];
}

/**
 * The run's history (the session up to its user line, then its journaled turns) and where it
 * resumes. Throws when the journal cannot be read.
 */
function rebuild(store: StoreHandle, row: RunningRow, historyLimit: number): { history: ChatTurn[]; resume: { step: number; pending: ToolCall[] } } {
  if (chatCommand(row.text)) return { history: [], resume: { step: 0, pending: [] } };
  const user = store.prepare("SELECT id FROM messages WHERE inbound_id = ? AND role = 'user'").get(row.inboundId) as { id: number } | undefined;
  if (!user) throw new Error("its message is missing from the transcript");
  const past = modelHistory(store, row.sessionId, historyLimit, user.id) as ChatTurn[];
  const lines = store
    .prepare("SELECT id, role, content, data FROM messages WHERE run_id = ? AND role IN ('assistant', 'tool') ORDER BY id")
    .all(row.runId) as unknown as HistoryRow[];
  const own = turnsOf(lines, { leaveLastOpen: true, strict: true }) as ChatTurn[];
  return { history: [...past, ...own], resume: { step: row.steps, pending: openCalls(store, row, own) } };
}

/** The calls of the last turn without a result, each one that may run again (see the header). */
function openCalls(store: StoreHandle, row: RunningRow, turns: readonly ChatTurn[]): ToolCall[] {
  const last = turns.at(-1);
  const asked = last?.role === "tool" ? turns.at(-2) : last;
  if (asked?.role !== "assistant" || !asked.toolCalls?.length) return [];
  const answered = new Set(last?.role === "tool" ? last.results.map((r) => r.callId) : []);
  const state = store.prepare("SELECT state FROM tool_calls WHERE run_id = ? AND step = ? AND call_id = ?");
  return asked.toolCalls.filter((c) => {
    if (answered.has(c.id)) return false;
    const s = (state.get(row.runId, row.steps, c.id) as { state: string } | undefined)?.state;
    if (s === "planned" || s === "awaiting-approval") return true;
    throw new Error(`call ${c.id} (${c.name}) has no result and is in state ${s ?? "none"}`);
  });
}

/** Process groups that exec calls of an earlier gateway left and nobody has reaped. */
export function orphanGroups(store: StoreHandle, epoch: number): Array<ProcessGroupRecord & { id: number }> {
  return store
    .prepare("SELECT id, pid, pgid, proc_start AS startTime FROM tool_calls WHERE pgid IS NOT NULL AND ended_at IS NULL AND epoch < ?")
    .all(epoch) as unknown as Array<ProcessGroupRecord & { id: number }>;
}

/** Marks reaped process groups as ended, so the next start does not reap them again. */
export function markReaped(store: StoreHandle, ids: readonly number[], now: number): void {
  store.transaction(() => {
    for (const id of ids) store.prepare("UPDATE tool_calls SET ended_at = ? WHERE id = ? AND ended_at IS NULL").run(now, id);
  });
}
