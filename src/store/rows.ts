/**
 * Row types of the brain's tables, as node:sqlite returns them (INTEGER -> number, TEXT ->
 * string, NULL -> null). Times are epoch ms. The value lists match the CHECK constraints of the
 * migrations; a test inserts every listed value, so the two cannot drift apart unnoticed.
 */

/** Why a session ended. */
export const ENDED_REASONS = ["reset", "daily", "idle", "new"] as const;
/** Who wrote a transcript line; `notice` is a gateway-authored line (e.g. "session reset"). */
export const MESSAGE_ROLES = ["user", "assistant", "system", "notice", "tool"] as const;
/** Where an inbound message is in the pipeline. */
export const INBOUND_STATES = ["pending", "running", "answered", "failed", "dropped"] as const;
/** How an agent run ended (or `running`; a run left running by a dead gateway becomes `interrupted`). */
export const RUN_STATES = ["running", "done", "failed", "interrupted", "aborted"] as const;
/** Delivery state of an outbox entry. */
export const OUTBOX_STATES = ["pending", "delivered", "failed"] as const;

/** One of ENDED_REASONS. */
export type EndedReason = (typeof ENDED_REASONS)[number];
/** One of MESSAGE_ROLES. */
export type MessageRole = (typeof MESSAGE_ROLES)[number];
/** One of INBOUND_STATES. */
export type InboundState = (typeof INBOUND_STATES)[number];
/** One of RUN_STATES. */
export type RunState = (typeof RUN_STATES)[number];
/** One of OUTBOX_STATES. */
export type OutboxState = (typeof OUTBOX_STATES)[number];

/** `meta`: small key/value facts about the brain (e.g. `epoch`). */
export interface MetaRow {
  key: string;
  value: string;
}

/** `schema_migrations`: one row per applied migration. */
export interface SchemaMigrationRow {
  version: number;
  name: string;
  applied_at: number;
}

/** `sessions`: a conversation under a session key; at most one live (ended_at null) per key. */
export interface SessionRow {
  id: number;
  session_key: string;
  agent_id: string;
  channel: string | null;
  account: string | null;
  kind: string | null;
  peer: string | null;
  started_at: number;
  last_activity_at: number;
  ended_at: number | null;
  ended_reason: EndedReason | null;
  message_count: number;
}

/** `messages`: one transcript line of a session. */
export interface MessageRow {
  id: number;
  session_id: number;
  role: MessageRole;
  content: string;
  created_at: number;
  inbound_id: number | null;
  run_id: number | null;
}

/** `inbound`: a message a channel delivered, unique per (channel, account, message_id). */
export interface InboundRow {
  id: number;
  channel: string;
  account: string;
  message_id: string;
  session_key: string;
  kind: "dm" | "group";
  /** The conversation replies go to. */
  peer: string;
  sender: string | null;
  /** The platform message a reply threads under. */
  reply_to: string | null;
  text: string;
  received_at: number;
  state: InboundState;
}

/** `runs`: one agent turn for an inbound message, stamped with the fencing epoch of its gateway. */
export interface RunRow {
  id: number;
  inbound_id: number;
  session_id: number;
  state: RunState;
  model: string | null;
  started_at: number;
  ended_at: number | null;
  error: string | null;
  epoch: number;
}

/** `outbox`: a reply to deliver, unique per idempotency key. */
export interface OutboxRow {
  id: number;
  inbound_id: number | null;
  idempotency_key: string;
  channel: string;
  account: string;
  target: string;
  reply_to: string | null;
  text: string;
  state: OutboxState;
  attempts: number;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
  epoch: number;
  /** Set just before a send to a platform without idempotency (003); still set after a crash: that part is in doubt. */
  send_started_at: number | null;
  platform_message_id: string | null;
  /** Parts of a long reply already delivered (003). */
  parts_sent: number;
  /** The newest platform message id known in the conversation at the send's latest part (004). */
  send_floor: number | null;
}

/** `pairings`: who may talk to the agent on a channel (003); approved rows are the allow list. */
export interface PairingRow {
  channel: string;
  account: string;
  sender: string;
  sender_name: string | null;
  peer: string;
  code: string;
  created_at: number;
  expires_at: number;
  approved_at: number | null;
  approved_by: string | null;
}

/** `channel_cursors`: how far a channel account has been read. */
export interface ChannelCursorRow {
  channel: string;
  account: string;
  cursor: string;
  updated_at: number;
}

/** `approvals`: an exec approval request and its answer (005); `executed_at` is set once, before the command starts. */
export interface ApprovalRow {
  id: string;
  kind: "exec";
  run_id: number | null;
  call_id: string | null;
  session_key: string;
  channel: string;
  account: string;
  peer: string;
  command: string;
  /** JSON array of strings. */
  argv: string;
  cwd: string;
  /** JSON array of variable names. */
  env_names: string;
  /** JSON array of resolved executable paths. */
  executables: string;
  state: "pending" | "allow-once" | "allow-always" | "deny" | "expired";
  created_at: number;
  expires_at: number;
  decided_at: number | null;
  decided_by: string | null;
  reason: string | null;
  executed_at: number | null;
}

/** `exec_allowlist`: an executable allowed for ever by an "allow always" answer (005). */
export interface ExecAllowlistRow {
  executable: string;
  added_at: number;
  added_by: string;
  approval_id: string | null;
}
