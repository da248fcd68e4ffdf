/**
 * What the approval machinery takes and gives, declared here because approvals (layer 4) may not
 * import agent/ (the same layer). These are structurally the types of src/agent/tools/types.ts
 * (ApprovalAsk, CallOrigin, ApprovalDecision): a test checks that ApprovalService fits the tool
 * loop's port, so the two cannot drift apart unnoticed.
 */

/** What an approval request asks (exec only today). */
export interface AskedCommand {
  /** Exactly what would run. */
  argv: string[];
  /** The command as the model wrote it, for display. */
  command: string;
  cwd: string;
  /** Names (never values) of the environment variables passed. */
  envNames: string[];
  /** Resolved executables that missed the allowlist ("allow always" adds these). */
  executables: string[];
}

/** Where a request comes from: the run and tool call, its session and conversation. */
export interface AskOrigin {
  runId: number;
  callId: string;
  sessionKey: string;
  channel: string;
  account: string;
  peer: string;
}

/** The answer a tool gets: `by` names who answered (`askFallback` when nobody did in time). */
export type Decision =
  | { decision: "allow-once" | "allow-always"; approvalId: string; by: string }
  | { decision: "deny"; approvalId: string; by: string; reason: string };

/** The part of the service the tool loop uses (BrainOptions.approvals). */
export interface ApprovalsPort {
  /** Asks and resolves with the answer, or the fallback at askTimeoutSeconds; `signal` is the run's (aborted: deny "run cancelled"). */
  request(ask: AskedCommand, origin: AskOrigin, signal?: AbortSignal): Promise<Decision>;
  /** True when config or an allow-always answer allows this resolved executable. */
  isAllowlisted(executable: string): boolean;
}
