/**
 * Exec approvals on the wire (docs/protocol.md): one approval as `approvals.list`, `approvals.resolve`
 * and the `approval` event show it, typed once here for the server, the CLI and the console.
 */

/** The answers an operator may give. */
export const APPROVAL_DECISIONS = ["allow-once", "allow-always", "deny"] as const;
/** One of APPROVAL_DECISIONS. */
export type ApprovalAnswer = (typeof APPROVAL_DECISIONS)[number];

/** Every state of an approval row: pending, one of the answers, or expired (nobody answered, or its run ended). */
export const APPROVAL_STATES = ["pending", "allow-once", "allow-always", "deny", "expired"] as const;
/** One of APPROVAL_STATES. */
export type ApprovalState = (typeof APPROVAL_STATES)[number];

/** One approval request and its answer. Times are epoch ms. */
export interface ApprovalView {
  /** 8 characters from an alphabet without look-alikes: what `/approve ID` and `approvals allow ID` take. */
  id: string;
  kind: "exec";
  state: ApprovalState;
  /** The command as the model wrote it. */
  command: string;
  /** Exactly what would run. */
  argv: string[];
  cwd: string;
  /** Names (never values) of the environment variables passed. */
  envNames: string[];
  /** Resolved executables that missed the allowlist (what "allow always" adds). */
  executables: string[];
  /** The requesting session and the conversation it answers. */
  sessionKey: string;
  channel: string;
  account: string;
  peer: string;
  runId: number | null;
  callId: string | null;
  createdAt: number;
  expiresAt: number;
  decidedAt: number | null;
  /** Who answered: a client id (`onebrain-console`, `onebrain-cli`), `<channel>:<sender>` from a chat, `askFallback`, or `gateway`. */
  decidedBy: string | null;
  reason: string | null;
  /** When the approved command started (at most once). */
  executedAt: number | null;
}

/** The payload of the `approval` event. */
export interface ApprovalEventPayload {
  /** requested: a new (or re-announced) request; decided: someone answered; expired: nobody did in time, or its run ended. */
  state: "requested" | "decided" | "expired";
  approval: ApprovalView;
}
