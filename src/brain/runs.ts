/**
 * Run bookkeeping in the store. A run is claimed and finished in single transactions, so after
 * a crash every message is in exactly one of: pending (never started: run it), running (the run
 * was interrupted: resume it from its journal, resume.ts), or answered/failed (its reply is in
 * the outbox).
 */
import type { ResumePoint } from "../agent/journal.ts";
import type { ChatTurn } from "../agent/provider.ts";
import type { StoreHandle } from "../store/handle.ts";
import { agentOfKey, chatCommand } from "../sessions/keys.ts";
import type { ResetPolicy } from "../sessions/reset.ts";
import { appendMessage, liveSession, modelHistory, resetSessionKey } from "../sessions/store.ts";

export interface ClaimedRun {
  runId: number;
  inboundId: number;
  sessionId: number;
  sessionKey: string;
  /** The agent answering: its session's (the key's, as the route chose it at ingest). */
  agentId: string;
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
  /** Set when no chat sent the message (a cron occurrence, a webhook): submitted.ts. */
  submission?: Submission;
}

/** A message no chat sent: where its reply goes (or nowhere), its own timeout, what a restart does to it. */
export interface Submission {
  reply: { channel: string; account: string; target: string } | null;
  timeoutSeconds: number | null;
  onInterrupt: "abandon" | "resume";
}

/** The submitted table's columns, as claim and recovery read them (LEFT JOIN submitted s). */
export const SUBMISSION_COLUMNS =
  "s.inbound_id AS subId, s.reply_channel AS subChannel, s.reply_account AS subAccount, s.reply_target AS subTarget, s.timeout_seconds AS subTimeout, s.on_interrupt AS subInterrupt";

/** A row's SUBMISSION_COLUMNS (all null for a chat's message). */
export interface SubmissionColumns {
  subId?: number | null;
  subChannel?: string | null;
  subAccount?: string | null;
  subTarget?: string | null;
  subTimeout?: number | null;
  subInterrupt?: string | null;
}

/** The submission of a row read with SUBMISSION_COLUMNS; undefined for a chat's message. */
export function submissionOf(row: SubmissionColumns): Submission | undefined {
  if (row.subId === null || row.subId === undefined) return undefined;
  return {
    reply: row.subChannel && row.subTarget ? { channel: row.subChannel, account: row.subAccount ?? "default", target: row.subTarget } : null,
    timeoutSeconds: row.subTimeout ?? null,
    onInterrupt: row.subInterrupt === "resume" ? "resume" : "abandon",
  };
}

export interface ClaimOptions {
  /** The agent of a key that names none. */
  defaultAgentId: string;
  historyLimit: number;
  policy: ResetPolicy;
  epoch: number;
  now: number;
  /** Sessions that already have a run in this process (belt and braces with the SQL guard). */
  busy: ReadonlySet<string>;
}

interface InboundRow extends SubmissionColumns {
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
        `SELECT i.id, i.session_key, i.channel, i.account, i.peer, i.reply_to, i.text, ${SUBMISSION_COLUMNS}
         FROM inbound i LEFT JOIN submitted s ON s.inbound_id = i.id
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
    const agentId = agentOfKey(row.session_key) ?? o.defaultAgentId;
    const session = liveSession(store, row.session_key, agentId, o.now, o.policy);
    if (!command) appendMessage(store, { sessionId: session.id, role: "user", content: row.text, now: o.now, inboundId: row.id });
    const run = store
      .prepare("INSERT INTO runs (inbound_id, session_id, state, started_at, epoch) VALUES (?, ?, 'running', ?, ?) RETURNING id")
      .get(row.id, session.id, o.now, o.epoch) as { id: number };
    const submission = submissionOf(row);
    return {
      ...(submission ? { submission } : {}),
      runId: run.id,
      inboundId: row.id,
      sessionId: session.id,
      sessionKey: row.session_key,
      agentId,
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
 * outbox id (null when nothing is to be delivered: a submitted message's failure or no route), or
 * null instead of the object when the run is no longer this process's to finish (another process
 * took the brain and resumed it, stamping its own epoch): then nothing is written.
 */
export function finishRun(store: StoreHandle, run: ClaimedRun, outcome: RunOutcome, epoch: number, now: number): { outboxId: number | null } | null {
  return store.transaction(() => {
    const runState = outcome.kind === "reply" ? "done" : outcome.kind === "error" ? "failed" : outcome.state;
    const mine = store
      .prepare("UPDATE runs SET state = ?, ended_at = ?, model = ?, error = ? WHERE id = ? AND state = 'running' AND epoch = ?")
      .run(runState, now, outcome.kind === "reply" ? outcome.model : null, outcome.kind === "error" ? outcome.error : null, run.runId, epoch);
    if (Number(mine.changes) === 0) return null;
    const role = outcome.kind === "reply" ? "assistant" : "notice";
    appendMessage(store, { sessionId: run.sessionId, role, content: outcome.text, now, inboundId: run.inboundId, runId: run.runId });
    store.prepare("UPDATE inbound SET state = ? WHERE id = ?").run(outcome.kind === "error" ? "failed" : "answered", run.inboundId);
    // A submitted message's reply goes to its route, and only an answer does: a failure, a timeout
    // or an interruption is the job's state (cron_runs, hook runs), not a message to its audience.
    const sub = run.submission;
    const route = sub ? sub.reply : { channel: run.channel, account: run.account, target: run.peer };
    const answered = outcome.kind === "reply" || (outcome.kind === "notice" && outcome.state === "done");
    if (!route || (sub && !answered)) return { outboxId: null };
    const key = `reply:${run.inboundId}`;
    const replyTo = sub ? null : run.replyTo;
    return { outboxId: enqueueReply(store, { inboundId: run.inboundId, key, ...route, replyTo, text: outcome.text, epoch, now }) };
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
