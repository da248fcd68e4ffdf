/**
 * The agents of a brain behind the one port the brain calls (AgentPort): one Agent per configured
 * agent, made on first use and kept across reloads (its models, policy and prompt are re-read per
 * config). A run names its agent (its session key's); a run of an agent a reload removed is
 * answered with a notice instead of a model call. Calls without an agent id (status) are about
 * the default agent.
 */
import { agentRoster, type Roster, type RosterPaths } from "../agents/roster.ts";
import type { Config } from "../config/schema.ts";
import { createAgent, type Agent, type AgentHealth, type AgentOptions, type AgentRequest } from "./agent.ts";
import type { ResolvedModels } from "./models.ts";
import type { ToolSelection } from "./tools/policy.ts";

/** The sentence for a message of an agent a config reload removed. */
export function goneNotice(agentId: string): string {
  return `The agent "${agentId}" this conversation belongs to is no longer configured in this brain (agents.list), so nobody answers here. Ask the operator of this assistant.`;
}

/** Every configured agent; each method about one agent takes its id (default: the default agent). */
export interface AgentRouter {
  notConfigured(agentId?: string): string | null;
  describe(agentId?: string): string;
  reply(req: AgentRequest & { agentId?: string }): Promise<{ text: string; model: string }>;
  tools(agentId?: string): ToolSelection;
  health(agentId?: string): AgentHealth;
  models(agentId?: string): ResolvedModels;
  /** The configured agents of the config in force. */
  roster(): Roster;
}

/** Makes the router over the config's agents; `paths` resolves their workspaces. */
export function createAgentRouter(o: Omit<AgentOptions, "workspace" | "profile"> & { paths: RosterPaths }): AgentRouter {
  const roster = (): Roster => agentRoster(o.config(), o.paths);
  const agents = new Map<string, Agent>();
  /** The agent of `id`; a removed one stays made (its health is kept) but is never asked. */
  const agent = (id: string): Agent => {
    let a = agents.get(id);
    if (!a) {
      a = createAgent({ ...o, profile: (config: Readonly<Config>) => agentRoster(config, o.paths).get(id) ?? null });
      agents.set(id, a);
    }
    return a;
  };
  const idOf = (id: string | undefined): string => id ?? roster().defaultAgent.id;
  const configured = (id: string): boolean => roster().get(id) !== undefined;
  return {
    notConfigured: (id) => (configured(idOf(id)) ? agent(idOf(id)).notConfigured() : goneNotice(idOf(id))),
    describe: (id) => (configured(idOf(id)) ? agent(idOf(id)).describe() : "not configured (the agent was removed)"),
    reply: (req) => {
      const id = idOf(req.agentId);
      if (!configured(id)) return Promise.reject(new Error(goneNotice(id)));
      return agent(id).reply(req);
    },
    tools: (id) => agent(idOf(id)).tools(),
    health: (id) => agent(idOf(id)).health(),
    models: (id) => agent(idOf(id)).models(),
    roster,
  };
}
