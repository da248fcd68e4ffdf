/**
 * The ToolContext the brain lends each tool call (src/agent/tools/types.ts): the call's origin,
 * the workspace, the run's signal, the config in force, and the gateway's services through
 * ports, each optional: a service not wired in is refused with a sentence the model reads.
 */
import fs from "node:fs";
import { ToolRefusedError } from "../agent/tools/refused.ts";
import type { ApprovalDecision, CallOrigin, ToolCall, ToolContext } from "../agent/tools/types.ts";
import type { BrainJournal } from "./journal.ts";
import type { BrainToolPorts } from "./ports.ts";
import type { ClaimedRun } from "./runs.ts";

/** The workspace's real path, created (0700) on first use; cached per configured path. */
const workspaces = new Map<string, string>();
function realWorkspace(dir: string): string {
  let real = workspaces.get(dir);
  if (real === undefined) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    real = fs.realpathSync(dir);
    workspaces.set(dir, real);
  }
  return real;
}

/** The context for call `call` of step `step` of `run`. */
export function createToolContext(o: {
  ports: BrainToolPorts;
  run: ClaimedRun;
  step: number;
  call: ToolCall;
  signal: AbortSignal;
  journal: BrainJournal;
}): ToolContext {
  const { ports, run, step, call, journal } = o;
  const origin: CallOrigin = {
    runId: run.runId,
    callId: call.id,
    sessionKey: run.sessionKey,
    agentId: run.agentId,
    channel: run.channel,
    account: run.account,
    peer: run.peer,
  };
  let began: Promise<void> | undefined;
  return {
    origin,
    // The run's agent's workspace: an agent's tools never work in another agent's files.
    workspace: realWorkspace(ports.workspaceOf(run.agentId)),
    signal: o.signal,
    config: ports.config(),
    env: ports.env ?? process.env,
    async sendMessage(m) {
      if (!ports.sendMessage) throw new ToolRefusedError("Messaging is not available in this gateway, so the message was not sent.");
      return ports.sendMessage(m, origin);
    },
    searchMemory(query, limit) {
      if (!ports.searchMemory) throw new ToolRefusedError("Memory is not available in this gateway.");
      return ports.searchMemory(query, limit, run.agentId);
    },
    getMemory(ref) {
      if (!ports.getMemory) throw new ToolRefusedError("Memory is not available in this gateway.");
      return ports.getMemory(ref, run.agentId);
    },
    async requestApproval(ask): Promise<ApprovalDecision> {
      // Still "never acted": after a restart the call runs again and asks again (the same request).
      journal.awaitingApproval(step, call.id);
      if (!ports.approvals) return { decision: "deny", approvalId: "", by: "gateway", reason: "approvals are not available in this gateway" };
      // The run's signal: a cancelled run stops waiting (and closes its request) at once.
      return ports.approvals.request(ask, origin, o.signal);
    },
    beginSideEffect(b) {
      // One start per call: a second call of this method is the same start, not a new one.
      began ??= journal.begin(step, call.id, b?.approvalId);
      return began;
    },
    isAllowlisted: (executable) => ports.approvals?.isAllowlisted(executable) ?? false,
    recordProcess: (p) => journal.recordProcess(step, call.id, p),
    ...(ports.browser ? { browser: ports.browser } : {}),
    ...(ports.canvas ? { canvas: ports.canvas } : {}),
    ...(ports.cron ? { cron: ports.cron } : {}),
  };
}
