/**
 * Run bookkeeping in the store. A run is claimed and finished in single transactions, so after
 * a crash every message is in exactly one of: pending (never started: run it), running (the run
 * was interrupted: resume it from its journal, resume.ts), or answered/failed (its reply is in
 * the outbox).
 */
import type { ResumePoint } from "../agent/journal.ts";
import type { ChatTurn } from "../agent/provider.ts";
import type { StoreHandle } from "../store/handle.ts";
import { chatCommand } from "../sessions/keys.ts";
import type { ResetPolicy } from "../sessions/reset.ts";
import { appendMessage, liveSession, modelHistory, resetSessionKey } from "../sessions/store.ts";

export interface ClaimedRun {
  runId: number;
  inboundId: number;
  sessionId: number;
  sessionKey: string;
  channel: string;
  account: string;
  peer: string;
  replyTo: string | null;
  text: string;
  /** What the model sees: the last historyLimit lines, ending with this message (and, resumed, the run's journaled turns). */
  history: ChatTurn[];
  /** Set when the message was `/new`, `/reset` or `/status`: no model run, just a notice. */
  command: "new" | "reset" | "status" | null;
  /** Set when the previous session expired just now. */
  expired: "daily" | "idle" | null;
  /** Set when the run resumes after a restart: where its journal left it. */
  resume?: ResumePoint;
}

export interface ClaimOptions {
  agentId: string;
  historyLimit: number;
  policy: ResetPolicy;
  epoch: number;
  now: number;
  /** Sessions that already have a run in this process (belt and braces with the SQL guard). */
  busy: ReadonlySet<string>;
}

interface InboundRow {
  id: number;
  session_key: string;
  channel: string;
  account: string;
  peer: string;
  reply_to: string | null;
  text: string;
}

/** Claims the oldest pending message of a session with no run going; null when there is none. */
export function claimNext(store: StoreHandle, o: ClaimOptions): ClaimedRun | null {
  return store.transaction(() => {
    const candidates = store
      .prepare(
        `SELECT i.id, i.session_key, i.channel, i.account, i.peer, i.reply_to, i.text FROM inbound i
         WHERE i.state = 'pending'
           AND NOT EXISTS (SELECT 1 FROM inbound r WHERE r.session_key = i.session_key AND r.state = 'running')
           AND i.id = (SELECT MIN(f.id) FROM inbound f WHERE f.session_key = i.session_key AND f.state = 'pending')
         ORDER BY i.id LIMIT 16`,
      )
      .all() as unknown as InboundRow[];
    const row = candidates.find((c) => !o.busy.has(c.session_key));
    if (!row) return null;
    const command = chatCommand(row.text);
    store.prepare("UPDATE inbound SET state = 'running' WHERE id = ? AND state = 'pending'").run(row.id);
    if (command === "new" || command === "reset") resetSessionKey(store, row.session_key, command, o.now);
    const session = liveSession(store, row.session_key, o.agentId, o.now, o.policy);
    if (!command) appendMessage(store, { sessionId: session.id, role: "user", content: row.text, now: o.now, inboundId: row.id });
    const run = store
      .prepare("INSERT INTO runs (inbound_id, session_id, state, started_at, epoch) VALUES (?, ?, 'running', ?, ?) RETURNING id")
      .get(row.id, session.id, o.now, o.epoch) as { id: number };
    return {
      runId: run.id,
      inboundId: row.id,
      sessionId: session.id,
      sessionKey: row.session_key,
      channel: row.channel,
      account: row.account,
      peer: row.peer,
      replyTo: row.reply_to,
      text: row.text,
      history: command ? [] : modelHistory(store, session.id, o.historyLimit),
      command,
      expired: session.expired,
    };
  });
}

export type RunOutcome =
  | { kind: "reply"; text: string; model: string }
  | { kind: "notice"; text: string; state: "done" | "aborted" | "interrupted" }
  | { kind: "error"; text: string; error: string };

/**
 * Finishes a run in one transaction: transcript, outbox row, inbound and run states. Returns the
 * outbox id, or null when the run is no longer this process's to finish (another process took
 * the brain and resumed it, stamping its own epoch): then nothing is written.
 */
export function finishRun(store: StoreHandle, run: ClaimedRun, outcome: RunOutcome, epoch: number, now: number): number | null {
  return store.transaction(() => {
    const runState = outcome.kind === "reply" ? "done" : outcome.kind === "error" ? "failed" : outcome.state;
    const mine = store
      .prepare("UPDATE runs SET state = ?, ended_at = ?, model = ?, error = ? WHERE id = ? AND state = 'running' AND epoch = ?")
      .run(runState, now, outcome.kind === "reply" ? outcome.model : null, outcome.kind === "error" ? outcome.error : null, run.runId, epoch);
    if (Number(mine.changes) === 0) return null;
    const role = outcome.kind === "reply" ? "assistant" : "notice";
    appendMessage(store, { sessionId: run.sessionId, role, content: outcome.text, now, inboundId: run.inboundId, runId: run.runId });
    store.prepare("UPDATE inbound SET state = ? WHERE id = ?").run(outcome.kind === "error" ? "failed" : "answered", run.inboundId);
    return enqueueReply(store, {
      inboundId: run.inboundId,
      key: `reply:${run.inboundId}`,
      channel: run.channel,
      account: run.account,
      target: run.peer,
      replyTo: run.replyTo,
      text: outcome.text,
      epoch,
      now,
    });
  });
}

/** Writes a reply to the outbox (inside the caller's transaction). The key makes a second write of the same reply a no-op. */
export function enqueueReply(
  store: StoreHandle,
  r: {
    inboundId: number | null;
    key: string;
    channel: string;
    account: string;
    target: string;
    replyTo: string | null;
    text: string;
    epoch: number;
    now: number;
  },
): number {
  const row = store
    .prepare(
      `INSERT INTO outbox (inbound_id, idempotency_key, channel, account, target, reply_to, text, created_at, epoch)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO UPDATE SET idempotency_key = excluded.idempotency_key RETURNING id`,
    )
    .get(r.inboundId, r.key, r.channel, r.account, r.target, r.replyTo, r.text, r.now, r.epoch) as { id: number };
  return row.id;
}
