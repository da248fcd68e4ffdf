/**
 * The agents of a brain as the config in force resolves them: each one's id, workspace, models,
 * tool policy and system prompt file, and which one is the default. An empty `agents.list` is
 * the one agent "main" with agents.defaults, models and tools, exactly as before several agents
 * existed, so its sessions stay `agent:main:...`. Configs are frozen and replaced on reload, so a
 * roster is cached per config object and never goes stale.
 */
import path from "node:path";
import { workspaceDir } from "../config/effective.ts";
import { DEFAULT_AGENT_ID } from "../config/schema-agents.ts";
import type { Config } from "../config/schema.ts";

export { DEFAULT_AGENT_ID };

/** One configured agent, resolved. */
export interface AgentProfile {
  id: string;
  name: string | null;
  isDefault: boolean;
  /** Absolute (not yet through symlinks: the tools take its real path when they first use it). */
  workspace: string;
  /** Where the workspace came from: the agent's own key, agents.defaults (the default agent), or `<stateDir>/workspace-<id>`. */
  workspaceFrom: "agent" | "defaults" | "derived";
  /** The `models` section in force for this agent: its model replaces primary and fallbacks. */
  models: Readonly<Config["models"]>;
  /** The `tools` section in force for this agent: its policy replaces profile, allow and deny. */
  tools: Readonly<Config["tools"]>;
  /** The system prompt's file: its `systemPromptFile`, else `<workspace>/AGENTS.md`. */
  promptFile: string;
}

/** The configured agents, the default one first. */
export interface Roster {
  agents: readonly AgentProfile[];
  /** The ids, the default agent's first (cron's and the CLI's order). */
  ids: readonly string[];
  defaultAgent: AgentProfile;
  get(id: string): AgentProfile | undefined;
}

/** Where relative paths and `~` point. */
export interface RosterPaths {
  stateDir: string;
  home: string;
}

/** `~` expanded against home; a relative path inside `base`. */
function resolveIn(p: string, base: string, home: string): string {
  if (p === "~") return home;
  if (p.startsWith("~/")) return path.join(home, p.slice(2));
  return path.resolve(base, p);
}

type AgentEntry = Config["agents"]["list"][number];

function profileOf(config: Readonly<Config>, a: AgentEntry, isDefault: boolean, at: RosterPaths): AgentProfile {
  // The default agent keeps the workspace a single-agent brain had, so its files stay where they are.
  const workspaceFrom = a.workspace !== undefined ? "agent" : isDefault ? "defaults" : "derived";
  const workspace =
    a.workspace !== undefined
      ? resolveIn(a.workspace, at.stateDir, at.home)
      : isDefault
        ? path.resolve(workspaceDir(config, at.stateDir))
        : path.join(at.stateDir, `workspace-${a.id}`);
  const model =
    a.model === undefined
      ? null
      : typeof a.model === "string"
        ? { primary: a.model, fallbacks: [] }
        : { primary: a.model.primary, fallbacks: a.model.fallbacks ?? [] };
  return Object.freeze({
    id: a.id,
    name: a.name ?? null,
    isDefault,
    workspace,
    workspaceFrom,
    models: model ? Object.freeze({ ...config.models, ...model }) : config.models,
    tools: a.tools ? Object.freeze({ ...config.tools, ...a.tools }) : config.tools,
    promptFile: a.systemPromptFile !== undefined ? resolveIn(a.systemPromptFile, workspace, at.home) : path.join(workspace, "AGENTS.md"),
  });
}

function build(config: Readonly<Config>, at: RosterPaths): Roster {
  const list: readonly AgentEntry[] = config.agents.list.length ? config.agents.list : [{ id: DEFAULT_AGENT_ID }];
  const marked = list.findIndex((a) => a.default === true);
  const defaultIndex = marked === -1 ? 0 : marked;
  const agents = list.map((a, i) => profileOf(config, a, i === defaultIndex, at));
  const defaultAgent = agents[defaultIndex]!;
  const byId = new Map(agents.map((a) => [a.id, a]));
  return Object.freeze({
    agents,
    ids: [defaultAgent.id, ...agents.filter((a) => a !== defaultAgent).map((a) => a.id)],
    defaultAgent,
    get: (id: string) => byId.get(id),
  });
}

const cache = new WeakMap<object, Map<string, Roster>>();

/** The agents of `config`, resolved once per config object (and state dir). */
export function agentRoster(config: Readonly<Config>, at: RosterPaths): Roster {
  let byPaths = cache.get(config);
  if (!byPaths) cache.set(config, (byPaths = new Map()));
  const key = `${at.stateDir}\0${at.home}`;
  let roster = byPaths.get(key);
  if (!roster) byPaths.set(key, (roster = build(config, at)));
  return roster;
}
