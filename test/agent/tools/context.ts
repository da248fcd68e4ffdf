/**
 * A ToolContext for tool tests: a real workspace directory, the tools config with overrides
 * (validated by the real schema, defaults applied), and every call a tool makes on the gateway
 * (messages, approvals, recorded processes) kept for assertions. Shared by all tool tests.
 */
import fs from "node:fs";
import { configSchema } from "../../../src/config/schema.ts";
import type { ApprovalAsk, ApprovalDecision, CallOrigin, CanvasPort, MemoryHit, MessageRequest, ToolContext } from "../../../src/agent/tools/types.ts";
import { tmpDir } from "../../helpers/gateway.ts";

/** What a test context lets a test choose. */
export interface TestContextOptions {
  /** Workspace directory; a fresh temp directory (real path) when absent. */
  workspace?: string;
  /** The `tools` config section as it would be written in onebrain.json (partial, validated). */
  tools?: Record<string, unknown>;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  origin?: Partial<CallOrigin>;
  /** Answers approval requests; default: deny ("no operator in this test"). */
  approve?: (ask: ApprovalAsk) => ApprovalDecision | Promise<ApprovalDecision>;
  /** Executables the allowlist already holds (resolved paths). */
  allowlisted?: string[];
  /** Memory hits `searchMemory` returns, and `getMemory`'s store by ref. */
  memory?: MemoryHit[];
  notes?: Record<string, string>;
  /** The canvas host the canvas tool reaches; absent: the canvas is off. */
  canvas?: CanvasPort;
}

/** A ToolContext plus the calls made on it. */
export interface TestContext extends ToolContext {
  sent: MessageRequest[];
  approvals: ApprovalAsk[];
  processes: { pid: number; pgid: number; startTime: number | null }[];
  memoryQueries: { query: string; limit: number }[];
  /** Each beginSideEffect call, in order (the approval id when one was given). */
  sideEffects: Array<{ approvalId?: string }>;
}

/** A fresh test context; see TestContextOptions for the defaults. */
export function testContext(options: TestContextOptions = {}): TestContext {
  const workspace = options.workspace ?? fs.realpathSync(tmpDir("onebrain-tools-"));
  const config = configSchema.parse({ tools: options.tools ?? {} }).tools;
  const allowlisted = new Set(options.allowlisted ?? []);
  let outboxId = 0;
  const ctx: TestContext = {
    origin: {
      runId: 1,
      callId: "call_1",
      sessionKey: "agent:main:main",
      agentId: "main",
      channel: "webchat",
      account: "default",
      peer: "tester",
      ...options.origin,
    },
    workspace,
    signal: options.signal ?? new AbortController().signal,
    config,
    env: options.env ?? {},
    sent: [],
    approvals: [],
    processes: [],
    memoryQueries: [],
    sideEffects: [],
    async beginSideEffect(o) {
      ctx.sideEffects.push({ ...o });
    },
    async sendMessage(m) {
      ctx.sent.push(m);
      return { outboxId: ++outboxId };
    },
    searchMemory(query, limit) {
      ctx.memoryQueries.push({ query, limit });
      return (options.memory ?? []).slice(0, limit);
    },
    getMemory(ref) {
      const content = options.notes?.[ref];
      return content === undefined ? null : { ref, content };
    },
    async requestApproval(ask) {
      ctx.approvals.push(ask);
      if (options.approve) return options.approve(ask);
      return { decision: "deny", approvalId: `ap_${ctx.approvals.length}`, by: "test", reason: "no operator in this test" };
    },
    isAllowlisted(executable) {
      return allowlisted.has(executable);
    },
    recordProcess(p) {
      ctx.processes.push(p);
    },
    ...(options.canvas ? { canvas: options.canvas } : {}),
  };
  return ctx;
}
