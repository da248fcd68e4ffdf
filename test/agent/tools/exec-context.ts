/**
 * A small ToolContext for the exec tests: a real workspace, the config's exec section with
 * overrides, an approver that answers as told and records what it was asked, and the process
 * records the tool reports.
 */
import fs from "node:fs";
import { configSchema } from "../../../src/config/schema.ts";
import type { ApprovalAsk, ApprovalDecision, ToolContext } from "../../../src/agent/tools/types.ts";
import { tmpDir } from "../../helpers/gateway.ts";

export interface ExecHarness {
  ctx: ToolContext;
  asks: ApprovalAsk[];
  records: { pid: number; pgid: number; startTime: number | null }[];
  workspace: string;
  /** beginSideEffect calls, in order: one per command that started, with its approval id. */
  begun: Array<{ approvalId?: string }>;
}

/** Options: exec config keys, the gateway env, the approver's answer, allow-always identities, the run's signal. */
export function execHarness(
  opts: {
    exec?: Record<string, unknown>;
    env?: NodeJS.ProcessEnv;
    answer?: "allow-once" | "deny";
    allowlisted?: string[];
    signal?: AbortSignal;
    onRecord?: (p: { pid: number; pgid: number; startTime: number | null }) => void;
  } = {},
): ExecHarness {
  const workspace = fs.realpathSync(tmpDir("onebrain-exec-"));
  const config = configSchema.parse({ tools: { exec: opts.exec ?? {} } }).tools;
  const asks: ApprovalAsk[] = [];
  const records: ExecHarness["records"] = [];
  const begun: Array<{ approvalId?: string }> = [];
  const ctx: ToolContext = {
    origin: { runId: 1, callId: "call_1", sessionKey: "agent:main:main", agentId: "main", channel: "webchat", account: "default", peer: "op" },
    workspace,
    signal: opts.signal ?? new AbortController().signal,
    config,
    env: opts.env ?? { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: workspace },
    sendMessage: () => Promise.reject(new Error("not in exec tests")),
    searchMemory: () => [],
    getMemory: () => null,
    requestApproval(ask: ApprovalAsk): Promise<ApprovalDecision> {
      asks.push(ask);
      const approvalId = `ap${asks.length}`;
      if (opts.answer === "allow-once") return Promise.resolve({ decision: "allow-once", approvalId, by: "test" });
      return Promise.resolve({ decision: "deny", approvalId, by: "test", reason: "denied by the test" });
    },
    async beginSideEffect(o?: { approvalId?: string }) {
      begun.push({ ...o });
    },
    isAllowlisted: (exe) => opts.allowlisted?.includes(exe) ?? false,
    recordProcess(p) {
      records.push(p);
      opts.onRecord?.(p);
    },
  };
  return { ctx, asks, records, workspace, begun };
}
