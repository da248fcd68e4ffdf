/**
 * The tool extension point: one model of a tool call and its result shared by both providers'
 * assemblers, the loop and the journal; one interface every tool implements (a file or folder in
 * `src/agent/tools/`), a registry (`registry.ts`) and one contract suite they all pass
 * (`test/agent/tools/contract.test.ts`).
 *
 * A tool declares whether it has side effects. That one bit decides what a crash does to it: a
 * read-only call whose outcome was lost runs again after a restart; a side-effecting one is never
 * run twice (its start is on disk before it begins, and the model is told the outcome is unknown).
 */
import type { CronJobSummary, CronOccurrenceView } from "../../protocol/cron.ts";

/** A tool call as the model asked for it (both wire formats map to this). */
export interface ToolCall {
  /** The provider's call id (`toolu_...`, `call_...`): the result must carry it back. */
  id: string;
  name: string;
  /** The parsed JSON arguments; `{}` when the model sent none. */
  input: Record<string, unknown>;
  /**
   * Set when the arguments were not a JSON object (cut off, malformed): the loop answers the call
   * with this as a tool error the model sees, and never runs the tool.
   */
  inputError?: string;
}

/** A tool's answer to one call, as the model sees it. */
export interface ToolResult {
  callId: string;
  /** Text for the model (tools render structured output as text or JSON themselves). */
  content: string;
  /** True when the call failed; the model sees it as an error result and may try otherwise. */
  isError: boolean;
}

/** How a tool is offered to the model: both APIs take a name, a description and a JSON Schema. */
export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema (draft 2020-12 subset both APIs accept) of the input object. */
  inputSchema: Record<string, unknown>;
}

/** The policy groups of `tools.allow` / `tools.deny` (`group:fs`, ...). */
export const TOOL_GROUPS = ["fs", "runtime", "web", "messaging", "memory", "ui", "automation"] as const;
/** One of TOOL_GROUPS. */
export type ToolGroup = (typeof TOOL_GROUPS)[number];

/** Where a call comes from: the run, its session and the conversation it answers. */
export interface CallOrigin {
  runId: number;
  callId: string;
  sessionKey: string;
  agentId: string;
  channel: string;
  account: string;
  peer: string;
}

/** A message the `message` tool asks to send (through the exactly-once outbox). */
export interface MessageRequest {
  channel: string;
  account?: string;
  target: string;
  text: string;
  /** Stable for one call: a second enqueue of the same key is a no-op. */
  idempotencyKey: string;
}

/** One hit of `memory_search`. */
export interface MemoryHit {
  source: string;
  /** A transcript line's id or a note's path and line. */
  ref: string;
  snippet: string;
  createdAt: number | null;
}

/** A browser tab as the `browser` tool sees it. */
export interface BrowserTabView {
  id: string;
  url: string;
  title: string;
  current: boolean;
}

/**
 * The brain's browsers as the `browser` tool reaches them (docs/browser.md). Each call may name a
 * profile (the default one otherwise) and a tab (the current one otherwise). Failures are thrown
 * as coded errors whose message says what to do.
 */
export interface BrowserPort {
  tabs(profile?: string): Promise<BrowserTabView[]>;
  /** Opens a tab (starting the profile's browser if needed). */
  open(url: string, profile?: string): Promise<BrowserTabView>;
  navigate(url: string, tab?: string, profile?: string): Promise<BrowserTabView>;
  snapshot(tab?: string, profile?: string): Promise<{ tab: BrowserTabView; snapshot: string; truncated: boolean }>;
  /** One action by ref (`{kind: "click", ref: "e3"}`); checked by the browser service. */
  act(action: Record<string, unknown>, tab?: string, profile?: string): Promise<BrowserTabView>;
  screenshot(tab?: string, profile?: string, fullPage?: boolean): Promise<Buffer>;
  close(tab: string, profile?: string): Promise<void>;
}

/** What an approval request asks the operator (exec only today). */
export interface ApprovalAsk {
  /** Exactly what would run. */
  argv: string[];
  /** The command as the model wrote it, for display. */
  command: string;
  cwd: string;
  /** Names (never values) of the environment variables passed. */
  envNames: string[];
  /** Executables that missed the allowlist (resolved paths), for "allow always". */
  executables: string[];
}

/** The operator's answer; `fallback` when nobody answered in time and askFallback decided. */
export type ApprovalDecision =
  | { decision: "allow-once" | "allow-always"; approvalId: string; by: string }
  | { decision: "deny"; approvalId: string; by: string; reason: string };

/** The canvas host as the `canvas` tool reaches it (docs/canvas.md). */
export interface CanvasPort {
  /** The canvas root's real path, made on first need; throws a coded error naming it when it cannot be. */
  root(): string;
  /** The URLs an operator opens to see `rel` (a path below the root; "" for its index.html). */
  urls(rel: string): { gateway: string; canvas: string | null };
}

/** A cron job as the `cron` tool sees it (the wire's view, src/protocol/cron.ts). */
export type { CronJobSummary } from "../../protocol/cron.ts";

/** The brain's cron jobs, for the `cron` tool; each method throws an error whose message says what is wrong. */
export interface CronPort {
  list(): CronJobSummary[];
  add(input: {
    /** The agent whose job it is (default: the brain's default agent). */
    agent?: string;
    name: string;
    message: string;
    every?: string;
    cron?: string;
    tz?: string;
    at?: string;
    session?: string;
    deliver?: { channel: string; account?: string; target: string };
    missed?: "skip" | "latest" | "all";
  }): CronJobSummary;
  remove(job: string): { removed: string };
  runNow(job: string): { occurrenceId: number };
  runs(job: string, limit: number): CronOccurrenceView[];
}

/**
 * What the running gateway lends a tool. Tools depend on this port, never on the brain or the
 * server (layers point one way); `src/brain/` implements it.
 */
export interface ToolContext {
  origin: CallOrigin;
  /** The workspace directory, real path, created at start. */
  workspace: string;
  /** The run's signal: aborted by a cancel, the run's timeout or a stopping gateway. */
  signal: AbortSignal;
  /** The tools section of the config in force, defaults applied. */
  config: Readonly<ToolsConfig>;
  env: NodeJS.ProcessEnv;
  /** Enqueues a message in the outbox (exactly once per idempotency key); resolves once durable. */
  sendMessage(m: MessageRequest): Promise<{ outboxId: number }>;
  /** Full-text search over transcripts and workspace notes. */
  searchMemory(query: string, limit: number): MemoryHit[];
  /** One transcript line or note by ref (as memory_search returned it). */
  getMemory(ref: string): { ref: string; content: string } | null;
  /**
   * Asks the operator (console, chat `/approve`, CLI) and resolves with the answer, or with the
   * configured fallback at `askTimeoutSeconds`. Never hangs past that.
   */
  requestApproval(ask: ApprovalAsk): Promise<ApprovalDecision>;
  /**
   * A side-effecting tool calls this right before it acts (spawns, writes, enqueues), after its
   * input checks and any approval. It resolves once the journal says on disk "this call has
   * started": after a crash such a call is never run again (the model is told the outcome is
   * unknown), while a call that never got here is known to have done nothing and may run again.
   * With `approvalId`, the approval is marked executed in the same write; it rejects if that
   * approval was already used (one approval, at most one execution).
   */
  beginSideEffect(o?: { approvalId?: string }): Promise<void>;
  /** True when an allow-always answer (or config) already allows this resolved executable. */
  isAllowlisted(executable: string): boolean;
  /**
   * Records a started child process group (exec), so a gateway that dies leaves it to be reaped by
   * the next start. Called right after spawn.
   */
  recordProcess(p: { pid: number; pgid: number; startTime: number | null }): void;
  /** The brain's browsers; absent when not wired in (the service may still say it is off). */
  browser?: BrowserPort;
  /** The canvas host; absent when it is off (`canvasHost.enabled: false`) or not wired in. */
  canvas?: CanvasPort;
  /** The brain's cron jobs. */
  cron?: CronPort;
}

/** The tools config (schema in src/config/schema.ts); re-declared here as the type tools read. */
export type ToolsConfig = import("../../config/schema.ts").Config["tools"];

/** One tool. */
export interface Tool {
  readonly name: string;
  readonly group: ToolGroup;
  /** True when a call changes something outside the gateway (files, processes, messages). */
  readonly sideEffects: boolean;
  /** True when parallel calls of one turn may run at the same time as other calls. */
  readonly concurrent: boolean;
  readonly spec: ToolSpec;
  /**
   * Runs one call. Bad input, a refused path, a denied approval: return `isError: true` with a
   * sentence that says what was wrong and what to do, never throw. A throw is a bug, reported to
   * the model as an internal error.
   */
  run(input: Record<string, unknown>, ctx: ToolContext): Promise<Omit<ToolResult, "callId">>;
}
