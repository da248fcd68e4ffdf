/**
 * What the brain is given: the agent, the settings in force, and the gateway's services that
 * tools use. Each is an interface here, implemented elsewhere (src/agent/, src/approvals/,
 * src/proc/) and wired by the server, so the brain depends on no implementation.
 */
import type { Logger } from "pino";
import type { RunHooks } from "../agent/journal.ts";
import type { ChatTurn } from "../agent/provider.ts";
import type {
  ApprovalAsk,
  ApprovalDecision,
  BrowserPort,
  CallOrigin,
  CanvasPort,
  CronPort,
  MemoryHit,
  MessageRequest,
  ToolsConfig,
} from "../agent/tools/types.ts";
import type { InboundMessage } from "../channels/channel.ts";
import type { ResetPolicy } from "../sessions/reset.ts";
import type { StoreHandle } from "../store/handle.ts";
import type { ChatApprovals } from "./approve-command.ts";

/**
 * What the brain needs from the agents (src/agent/router.ts implements it over the configured
 * agents, each with its model providers and tools). `agentId` is the run's: its session key's.
 */
export interface AgentPort {
  /** Null when that agent has a model; otherwise the sentence telling the user what to set (or that the agent is gone). */
  notConfigured(agentId: string): string | null;
  /** The model that agent would use, in words (for `/status`): "anthropic/claude-sonnet-4-5 (fallback openai/gpt-5)". */
  describe(agentId: string): string;
  /**
   * Answers the history's last user turn as agent `agentId`. With `run`, the agent may call tools:
   * it journals each turn and result through `run.journal`, and a resumed run continues from `run.resume`.
   */
  reply(req: {
    agentId: string;
    sessionKey: string;
    history: ChatTurn[];
    signal: AbortSignal;
    onDelta: (text: string) => void;
    run?: RunHooks;
  }): Promise<{ text: string; model: string }>;
}

/** Events for WebSocket clients: every tab sees the same stream. */
export type BrainEvent =
  | { type: "chat"; state: "delta"; runId: number; sessionKey: string; delta: string }
  | { type: "chat"; state: "final"; runId: number; sessionKey: string; text: string; model: string | null }
  | { type: "chat"; state: "error" | "aborted"; runId: number; sessionKey: string; text: string }
  /** A line that is not a run's reply (the answer to an `/approve`, a `message` tool's WebChat message): also a notice in the transcript. */
  | { type: "chat"; state: "notice"; runId: null; sessionKey: string; text: string }
  | { type: "fenced"; epoch: number }
  | { type: "store-failed"; error: Error };

/** The approvals service (src/approvals/) as tools reach it. */
export interface ApprovalsPort {
  /**
   * Asks the operator and resolves with the answer or the configured fallback, in time. A call
   * that asks again after a restart (same run and call id) gets the same request, not a new one.
   */
  request(ask: ApprovalAsk, origin: CallOrigin, signal?: AbortSignal): Promise<ApprovalDecision>;
  /** True when config or an allow-always answer allows this resolved executable. */
  isAllowlisted(executable: string): boolean;
}

/** A process group an exec call started, as the journal recorded it. */
export interface ProcessGroupRecord {
  pid: number;
  pgid: number;
  /** The process's start time (/proc/PID/stat field 22), so a recycled pid is not mistaken for it. */
  startTime: number | null;
}

/** The gateway's services that tools use. Without this option, runs get no tools: plain chat. */
export interface BrainToolPorts {
  /** An agent's workspace directory; created if missing, and given to its tools as its real path. */
  workspaceOf: (agentId: string) => string;
  /** The `tools` section of the config in force. */
  config: () => Readonly<ToolsConfig>;
  env?: NodeJS.ProcessEnv;
  /** Enqueues a message of the `message` tool in the outbox, once per idempotency key; resolves once durable. */
  sendMessage?: (m: MessageRequest, origin: CallOrigin) => Promise<{ outboxId: number }>;
  /** Memory of one agent: its own sessions' transcripts and its workspace's notes, never another agent's. */
  searchMemory?: (query: string, limit: number, agentId: string) => MemoryHit[];
  getMemory?: (ref: string, agentId: string) => { ref: string; content: string } | null;
  approvals?: ApprovalsPort;
  /** The brain's browsers (the browser control service's manager). */
  browser?: BrowserPort;
  /** The canvas host, when it is on. */
  canvas?: CanvasPort;
  /** The brain's cron jobs (src/cron/service.ts). */
  cron?: CronPort;
}

/** The settings a brain reads at each claim (the config in force). */
export interface BrainSettings {
  /** The configured agents (a run of another agent gets a notice, not a model call). */
  agentIds: readonly string[];
  /** The agent of a session key that names none (keys are `agent:<id>:...`, so only a foreign one). */
  defaultAgentId: string;
  historyLimit: number;
  reset: ResetPolicy;
  timeoutSeconds: number;
  maxConcurrentRuns: number;
}

export interface BrainOptions {
  store: StoreHandle;
  /** The epoch this process got when it took the brain lock. */
  epoch: number;
  agent: AgentPort;
  logger: Logger;
  emit: (event: BrainEvent) => void;
  settings: () => BrainSettings;
  /** Routes a message to its session key. */
  sessionKeyOf: (channel: string, account: string, m: InboundMessage) => string;
  now?: () => number;
  maxDeliveryAttempts?: number;
  /** Answers `/approve` typed in a chat at ingest (src/brain/approve-command.ts); without it, `/approve` is an ordinary message. */
  chatApprovals?: ChatApprovals;
  tools?: BrainToolPorts;
  /**
   * Kills the process groups that exec calls of a dead gateway left running (src/proc/groups.ts);
   * called at start with each recorded group. Without it they are only logged.
   */
  reapProcessGroups?: (groups: ProcessGroupRecord[]) => void | Promise<void>;
}
