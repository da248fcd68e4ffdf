/**
 * Approval rows in the store: created per tool call (one row per run and call id, so a resumed run
 * finds its request again), answered once (only while pending and unexpired), closed by the
 * fallback or when the run that asked is gone, and claimed for execution at most once. Every
 * function here runs inside the caller's transaction; none waits for anything.
 */
import type { AskedCommand, AskOrigin } from "./types.ts";
import type { ApprovalAnswer, ApprovalView } from "../protocol/approvals.ts";
import { OnebrainError } from "../shared/errors.ts";
import { newShortCode, normalizeCode } from "../shared/short-code.ts";
import type { StoreHandle } from "../store/handle.ts";
import type { ApprovalRow } from "../store/rows.ts";
import { addToAllowlist } from "./allowlist.ts";

/** Who closes a request nobody answered, as `decided_by` records it. */
export const BY_FALLBACK = "askFallback";
/** Who closes a request whose run ended or was cancelled. */
export const BY_GATEWAY = "gateway";

const list = (json: string): string[] => {
  const v = JSON.parse(json) as unknown;
  return Array.isArray(v) ? v.map(String) : [];
};

/** A row as the protocol shows it. */
export function approvalView(r: ApprovalRow): ApprovalView {
  return {
    id: r.id,
    kind: r.kind,
    state: r.state,
    command: r.command,
    argv: list(r.argv),
    cwd: r.cwd,
    envNames: list(r.env_names),
    executables: list(r.executables),
    sessionKey: r.session_key,
    channel: r.channel,
    account: r.account,
    peer: r.peer,
    runId: r.run_id,
    callId: r.call_id,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    decidedAt: r.decided_at,
    decidedBy: r.decided_by,
    reason: r.reason,
    executedAt: r.executed_at,
  };
}

/** The row of an id as a person typed it (case, spaces and dashes do not matter), or undefined. */
export function getApproval(store: StoreHandle, id: string): ApprovalRow | undefined {
  return store.prepare("SELECT * FROM approvals WHERE id = ?").get(normalizeCode(id)) as ApprovalRow | undefined;
}

/** The request a tool call already made (a run resumed after a restart asks again with the same ids). */
export function approvalForCall(store: StoreHandle, runId: number, callId: string): ApprovalRow | undefined {
  return store.prepare("SELECT * FROM approvals WHERE run_id = ? AND call_id = ? ORDER BY created_at DESC LIMIT 1").get(runId, callId) as
    | ApprovalRow
    | undefined;
}

/** Creates a pending request with a fresh id (unique: a taken one is drawn again). */
export function insertApproval(store: StoreHandle, ask: AskedCommand, origin: AskOrigin, now: number, expiresAt: number): ApprovalRow {
  for (;;) {
    const id = newShortCode();
    if (store.prepare("SELECT 1 FROM approvals WHERE id = ?").get(id)) continue; // 31^8 ids: rare, but PRIMARY KEY would make it an error
    return store
      .prepare(
        `INSERT INTO approvals (id, run_id, call_id, session_key, channel, account, peer, command, argv, cwd, env_names, executables, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      )
      .get(
        id,
        origin.runId,
        origin.callId,
        origin.sessionKey,
        origin.channel,
        origin.account,
        origin.peer,
        ask.command,
        JSON.stringify(ask.argv),
        ask.cwd,
        JSON.stringify(ask.envNames),
        JSON.stringify(ask.executables),
        now,
        expiresAt,
      ) as unknown as ApprovalRow;
  }
}

/** Requests newest first; `state` only when given. */
export function listApprovals(store: StoreHandle, o: { state?: ApprovalRow["state"]; limit?: number } = {}): ApprovalRow[] {
  const limit = o.limit ?? 50;
  return (o.state
    ? store.prepare("SELECT * FROM approvals WHERE state = ? ORDER BY created_at DESC, rowid DESC LIMIT ?").all(o.state, limit)
    : store.prepare("SELECT * FROM approvals ORDER BY created_at DESC, rowid DESC LIMIT ?").all(limit)) as unknown as ApprovalRow[];
}

/** Pending rows whose time is up, and (with `endedRuns`) those whose run no longer runs: what a sweep closes. */
export function staleApprovals(store: StoreHandle, now: number, endedRuns: boolean): ApprovalRow[] {
  if (!endedRuns) return store.prepare("SELECT * FROM approvals WHERE state = 'pending' AND expires_at <= ?").all(now) as unknown as ApprovalRow[];
  return store
    .prepare(
      `SELECT a.* FROM approvals a LEFT JOIN runs r ON r.id = a.run_id
       WHERE a.state = 'pending' AND (a.expires_at <= ? OR r.id IS NULL OR r.state <> 'running')`,
    )
    .all(now) as unknown as ApprovalRow[];
}

/** A person's answer, or why it cannot count. */
export type Answered = { ok: true; row: ApprovalRow } | { ok: false; error: OnebrainError };

/** `decided X ago by Y` for a closed row, in words. */
export function closedText(r: ApprovalRow): string {
  const by = r.decided_by ? ` by ${r.decided_by}` : "";
  if (r.state === "expired") return `approval ${r.id} is closed: ${r.reason ?? "it expired"}`;
  if (r.decided_by === BY_FALLBACK) return `approval ${r.id} is closed: ${r.reason ?? "askFallback decided"}`;
  return `approval ${r.id} was already answered: ${r.state}${by}${r.decided_at ? ` at ${new Date(r.decided_at).toISOString()}` : ""}`;
}

/** The coded refusal for an id nobody asked with. */
export function notFound(id: string): OnebrainError {
  return new OnebrainError("APPROVAL_NOT_FOUND", `no approval with id ${normalizeCode(id)}`, {
    hint: "`onebrain approvals list --all` shows the ids (8 characters; case does not matter).",
    details: { id: normalizeCode(id) },
  });
}

/**
 * Answers a pending, unexpired request (allow-always also puts every executable on the
 * allowlist). Anything else is refused with a coded error and nothing is written.
 */
export function answerApproval(store: StoreHandle, id: string, decision: ApprovalAnswer, by: string, reason: string | null, now: number): Answered {
  const row = getApproval(store, id);
  if (!row) return { ok: false, error: notFound(id) };
  if (row.state !== "pending") return { ok: false, error: closed(row, closedText(row)) };
  if (row.expires_at <= now) {
    const secs = Math.round((row.expires_at - row.created_at) / 1000);
    return { ok: false, error: closed(row, `approval ${row.id} expired at ${new Date(row.expires_at).toISOString()}: nobody answered within ${secs} s`) };
  }
  const updated = store
    .prepare("UPDATE approvals SET state = ?, decided_at = ?, decided_by = ?, reason = ? WHERE id = ? AND state = 'pending' RETURNING *")
    .get(decision, now, by, reason, row.id) as unknown as ApprovalRow;
  if (decision === "allow-always") addToAllowlist(store, list(row.executables), by, row.id, now);
  return { ok: true, row: updated };
}

function closed(row: ApprovalRow, message: string): OnebrainError {
  return new OnebrainError("APPROVAL_CLOSED", message, {
    hint: "An answer counts once. `onebrain approvals list` shows what is still pending.",
    details: { id: row.id, state: row.state, decidedBy: row.decided_by, decidedAt: row.decided_at },
  });
}

/** Closes a pending row without a person (fallback, cancelled or orphaned run); the row as it now is, or undefined for an unknown id. */
export function closeApproval(
  store: StoreHandle,
  id: string,
  outcome: { state: "expired" | "allow-once"; by: string; reason: string },
  now: number,
): ApprovalRow | undefined {
  store
    .prepare("UPDATE approvals SET state = ?, decided_at = ?, decided_by = ?, reason = ? WHERE id = ? AND state = 'pending'")
    .run(outcome.state, now, outcome.by, outcome.reason, id);
  return getApproval(store, id);
}

/**
 * Marks an approved request as executed, once: true when this call claimed it, false when it is
 * not an allowing answer or was already used. The journal calls it in the same write that records
 * the side effect's start (ToolContext.beginSideEffect).
 */
export function claimExecution(store: StoreHandle, id: string, now: number): boolean {
  const r = store
    .prepare("UPDATE approvals SET executed_at = ? WHERE id = ? AND state IN ('allow-once', 'allow-always') AND executed_at IS NULL")
    .run(now, normalizeCode(id));
  return Number(r.changes) === 1;
}
