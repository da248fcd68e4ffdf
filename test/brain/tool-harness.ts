/**
 * An in-process brain whose agent is the real one (createAgent: policy, registry, tool loop) over
 * a scripted model, with the test tools registered through the tool registry and the brain's real
 * journal and ToolContext. `crash()` stops it as a dead process would: from that instant it writes
 * nothing more and its tools act no more; a new harness on the same file is the restarted gateway.
 */
import type { ApprovalsPort, ProcessGroupRecord } from "../../src/brain/brain.ts";
import { createAgent } from "../../src/agent/agent.ts";
import { ToolRegistry } from "../../src/agent/tools/registry.ts";
import type { Tool } from "../../src/agent/tools/types.ts";
import { configSchema } from "../../src/config/schema.ts";
import { tmpDir } from "../helpers/gateway.ts";
import { ScriptedModel } from "../helpers/scripted-model.ts";
import { appendTool, Gates, peekTool } from "../helpers/test-tools.ts";
import { harness, type Harness } from "./harness.ts";

export interface ToolHarness extends Harness {
  model: ScriptedModel;
  gates: Gates;
  /** How often `peek` ran in this process. */
  peeks: { n: number };
  workspace: string;
  /** Stops this brain as a crash would (see above). */
  crash(): void;
}

/** A brain with tools; pass `file` and `workspace` of an earlier one to restart it. */
export function toolHarness(
  o: {
    file?: string;
    workspace?: string;
    model?: ScriptedModel;
    config?: Record<string, unknown>;
    extraTools?: (gates: Gates) => Tool[];
    approvals?: ApprovalsPort;
    reapProcessGroups?: (groups: ProcessGroupRecord[]) => void | Promise<void>;
  } = {},
): ToolHarness {
  const model = o.model ?? new ScriptedModel();
  const gates = new Gates();
  const peeks = { n: 0 };
  const registry = new ToolRegistry([appendTool(gates), peekTool(gates, peeks), ...(o.extraTools?.(gates) ?? [])]);
  const workspace = o.workspace ?? tmpDir();
  const config = configSchema.parse(o.config ?? {});
  const agent = createAgent({
    config: () => config,
    workspace,
    env: {},
    registry,
    resolve: () => ({ providers: [model], descriptions: [], problems: [], notConfiguredReason: null, maxTokens: 1000 }),
  });
  const h = harness({
    ...(o.file ? { file: o.file } : {}),
    port: agent,
    tools: { workspaceOf: () => workspace, config: () => config.tools, env: {}, ...(o.approvals ? { approvals: o.approvals } : {}) },
    ...(o.reapProcessGroups ? { reapProcessGroups: o.reapProcessGroups } : {}),
  });
  return {
    ...h,
    model,
    gates,
    peeks,
    workspace,
    crash() {
      gates.dead = true;
      // What reached the WAL stays (a process crash keeps it); nothing after this is written.
      h.store.close();
      void h.brain.stop(0);
    },
  };
}
