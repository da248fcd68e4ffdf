/**
 * One agent: what the brain calls to answer a session. It builds the system prompt from the
 * workspace's AGENTS.md (or the agent's systemPromptFile, or a default) and asks its models in
 * order, streaming, through the tool loop (loop.ts) with the tools its policy enables
 * (tools/policy.ts), loaded on the first run that needs them. With no tool enabled a reply is one
 * plain model call. Models, policy and prompt file are resolved from config + env lazily and again
 * after a config reload. Several agents on one brain are one of these each (router.ts).
 */
import fs from "node:fs";
import path from "node:path";
import type { AgentProfile } from "../agents/roster.ts";
import type { Config } from "../config/schema.ts";
import { OnebrainError } from "../shared/errors.ts";
import { explainFailure, type ModelErrorReport } from "./explain.ts";
import type { RunHooks } from "./journal.ts";
import { describeModels, resolveModels, type ModelsConfig, type ResolveDeps, type ResolvedModels } from "./models.ts";
import type { ChatTurn } from "./provider.ts";
import { CATALOG } from "./tools/catalog.ts";
import type { ToolLog } from "./tools/execute.ts";
import { selectTools, type ToolSelection } from "./tools/policy.ts";
import { ToolRegistry } from "./tools/registry.ts";
import type { Tool } from "./tools/types.ts";

export const DEFAULT_SYSTEM_PROMPT =
  "You are a helpful personal assistant reached through a chat app. Answer clearly and briefly, " +
  "in the language of the message. If you are unsure, say so.";

export interface AgentOptions {
  config: () => Readonly<Config>;
  /** The workspace directory (agents.defaults.workspace or <stateDir>/workspace), when no `profile` is given. */
  workspace?: string;
  /**
   * This agent as a config resolves it (src/agents/roster.ts): its models, tool policy and prompt
   * file. Null: the agent is no longer configured. Without it: config.models, config.tools and
   * <workspace>/AGENTS.md.
   */
  profile?: (config: Readonly<Config>) => AgentProfile | null;
  env?: NodeJS.ProcessEnv;
  deps?: ResolveDeps;
  /** The tools the agent may offer (default: the catalog's). */
  registry?: ToolRegistry;
  /** Where policy warnings and tool failures are logged. */
  log?: ToolLog;
  /** Config + env to models (default: resolveModels); tests pass scripted providers here. */
  resolve?: (config: ModelsConfig, env: NodeJS.ProcessEnv, deps: ResolveDeps) => ResolvedModels;
}

/** What a reply needs: the history to answer, the run's signal and stream, and its tool hooks. */
export interface AgentRequest {
  sessionKey?: string;
  history: readonly ChatTurn[];
  signal: AbortSignal;
  onDelta: (text: string) => void;
  /** The run's journal and tool contexts; without them no tool is offered. */
  run?: RunHooks;
}

export interface AgentHealth {
  lastSuccessAt: number | null;
  lastFailureAt: number | null;
  lastFailure: string | null;
  /** The last failure explained: its kind, whether retrying can help, and what the user was told. */
  lastError: ModelErrorReport | null;
}

/**
 * The line appended to a reply that the token limit cut short. A reasoning model can spend the
 * whole limit thinking and write nothing: then the line is the whole reply, and says so.
 */
export function cutNotice(maxTokens: number, empty = false): string {
  if (empty) return `[reply cut: the model hit its max tokens limit (${maxTokens}) before writing anything; raise models.maxTokens]`;
  return `\n\n[reply cut: the model hit its max tokens limit (${maxTokens}); raise models.maxTokens]`;
}

/**
 * What a reply the model declined says (Anthropic stop_reason "refusal", OpenAI finish_reason
 * "content_filter"): the whole reply when nothing was written, else a line after what was.
 */
export function refusalNotice(empty: boolean): string {
  if (empty) return "[The model declined to answer this message (the provider's content filter or the model's own refusal). Try rephrasing it.]";
  return "\n\n[reply stopped: the model declined to go on (the provider's content filter or the model's own refusal)]";
}

/**
 * The line a reply that hit `agents.defaults.maxToolSteps` ends with (the model still asked for
 * tools, which were not run); the whole reply when the model wrote nothing.
 */
export function stepLimitNotice(maxSteps: number, empty: boolean): string {
  const what = `the limit of ${maxSteps} tool steps for one message (agents.defaults.maxToolSteps)`;
  if (empty) return `[I stopped at ${what} before finishing. Ask me to go on, or raise the limit.]`;
  return `\n\n[stopped at ${what}; ask me to go on, or raise the limit]`;
}

/** The reply when the model used tools and then wrote nothing. */
export function doneLine(toolCalls: number): string {
  return `Done (${toolCalls} tool call${toolCalls === 1 ? "" : "s"}).`;
}

export interface Agent {
  notConfigured(): string | null;
  reply(req: AgentRequest): Promise<{ text: string; model: string }>;
  /** The tools the policy enables now (nothing is loaded) and its warnings, for status. */
  tools(): ToolSelection;
  /** One line for status: the models in order (keys masked), or "not configured". */
  describe(): string;
  /** When a reply last succeeded and last failed (epoch ms), and why it failed (no secret in it). */
  health(): AgentHealth;
  models(): ResolvedModels;
}

/**
 * The system prompt from AGENTS.md, re-read only when it changed (mtime + size), and looked at
 * no more than once a second: a stat per reply was measurable at hundreds of messages a second.
 */
function promptReader(file: string, now: () => number = Date.now): () => string {
  let cache: { stamp: string; text: string } | undefined;
  let checkedAt = -Infinity;
  let current = DEFAULT_SYSTEM_PROMPT;
  return () => {
    if (now() - checkedAt < 1000) return current;
    checkedAt = now();
    let stamp: string;
    try {
      const st = fs.statSync(file);
      stamp = `${st.mtimeMs}:${st.size}`;
    } catch {
      return (current = DEFAULT_SYSTEM_PROMPT);
    }
    if (cache?.stamp !== stamp) {
      const text = fs.readFileSync(file, "utf8").trim();
      cache = { stamp, text: text || DEFAULT_SYSTEM_PROMPT };
    }
    return (current = cache.text);
  };
}

const NO_TOOLS = { tools: [] as Tool[], disabled: new Set<string>() as ReadonlySet<string> };

let loopModule: Promise<typeof import("./loop.ts")> | undefined;
/** The tool loop, imported at the first reply: an idle gateway does not hold its code. */
function loop(): Promise<typeof import("./loop.ts")> {
  return (loopModule ??= import("./loop.ts"));
}

/** What an agent reads of a config: its models, tools and prompt file. */
type Settings = Pick<AgentProfile, "models" | "tools" | "promptFile">;

/** Creates one agent. */
export function createAgent(o: AgentOptions): Agent {
  const ownPrompt = path.join(o.workspace ?? "", "AGENTS.md");
  // Null for an agent a reload removed: the router never asks it, so the brain's sections stand in.
  const settingsOf = (config: Readonly<Config>): Settings | null =>
    o.profile ? o.profile(config) : { models: config.models, tools: config.tools, promptFile: ownPrompt };
  // A reader per prompt file: a reload that names another file starts reading that one.
  let prompt: { file: string; read: () => string } | undefined;
  const systemPrompt = (file: string): string => {
    if (prompt?.file !== file) prompt = { file, read: promptReader(file) };
    return prompt.read();
  };
  const promptFile = (): string => settingsOf(o.config())?.promptFile ?? ownPrompt;
  const registry = o.registry ?? new ToolRegistry(CATALOG);
  let resolved: { for: Readonly<Config>; models: ResolvedModels } | undefined;
  const models = (): ResolvedModels => {
    const config = o.config();
    if (resolved?.for !== config) {
      const models = settingsOf(config)?.models ?? config.models;
      resolved = { for: config, models: (o.resolve ?? resolveModels)(models, o.env ?? process.env, o.deps ?? {}) };
    }
    return resolved.models;
  };
  let selected: { for: Readonly<Config>; selection: ToolSelection } | undefined;
  /** Policy warnings and load failures already logged: each once, not per reply or per reload. */
  const warned = new Set<string>();
  const selection = (): ToolSelection => {
    const config = o.config();
    if (selected?.for === config) return selected.selection;
    selected = { for: config, selection: selectTools(settingsOf(config)?.tools ?? config.tools, registry.list()) };
    for (const w of selected.selection.warnings) if (!warned.has(w) && warned.add(w)) o.log?.warn({ warning: w }, "tool policy");
    return selected.selection;
  };
  /** The enabled tools, loaded (the first run that needs one imports its module). */
  // One loaded list per selection (a reload makes a new one): the same array run after run.
  let loaded: { for: ToolSelection; tools: Promise<{ tools: Tool[]; disabled: ReadonlySet<string> }> } | undefined;
  const loadTools = (): Promise<{ tools: Tool[]; disabled: ReadonlySet<string> }> => {
    const current = selection();
    if (loaded?.for !== current) loaded = { for: current, tools: loadSelected() };
    return loaded.tools;
  };
  const loadSelected = async (): Promise<{ tools: Tool[]; disabled: ReadonlySet<string> }> => {
    const { enabled } = selection();
    const { tools, failures } = enabled.length ? await registry.load(enabled) : { tools: [], failures: [] };
    for (const f of failures) if (!warned.has(f) && warned.add(f)) o.log?.error({ failure: f }, "a tool could not be loaded; runs go on without it");
    // A failed import is tried again by the next run, not remembered for the life of this config.
    if (failures.length) loaded = undefined;
    const on = new Set(tools.map((t) => t.name));
    return { tools, disabled: new Set(registry.list().flatMap((t) => (on.has(t.name) ? [] : [t.name]))) };
  };
  const health: AgentHealth = { lastSuccessAt: null, lastFailureAt: null, lastFailure: null, lastError: null };
  return {
    notConfigured: () => models().notConfiguredReason,
    describe: () => describeModels(models()),
    health: () => ({ ...health }),
    models,
    tools: selection,
    async reply(req) {
      const m = models();
      try {
        const maxSteps = o.config().agents.defaults.maxToolSteps;
        const { tools, disabled } = req.run && selection().enabled.length ? await loadTools() : NO_TOOLS;
        const {
          final: r,
          toolCalls,
          stepLimitHit,
        } = await (
          await loop()
        ).runLoop({
          providers: m.providers,
          system: systemPrompt(promptFile()),
          history: req.history,
          maxTokens: m.maxTokens,
          tools,
          disabled,
          maxSteps,
          signal: req.signal,
          onDelta: req.onDelta,
          ...(req.run ? { hooks: req.run } : {}),
          ...(o.log ? { log: o.log } : {}),
        });
        health.lastSuccessAt = Date.now();
        // A cut reply says so where it is read (the stream, the transcript, the chat), not only in a log.
        // A declined reply too: an empty or silently stopped message would read as a bug.
        const empty = r.text.trim() === "";
        let notice = r.cut ? cutNotice(m.maxTokens, empty) : r.refused ? refusalNotice(empty) : "";
        if (stepLimitHit) notice += stepLimitNotice(maxSteps, empty && !notice);
        else if (!notice && empty && toolCalls > 0) notice = doneLine(toolCalls);
        if (notice) req.onDelta(notice);
        return { text: r.text + notice, model: `${r.provider}/${r.model}` };
      } catch (err) {
        // An abort by the user or a stopping gateway says nothing about the model.
        if (!req.signal.aborted || (req.signal.reason as Error | undefined)?.name === "TimeoutError") {
          const report = explainFailure(err, m.descriptions);
          health.lastFailureAt = report.at;
          health.lastFailure = report.message;
          health.lastError = report;
          // The brain answers the chat with `userReply`: what failed and the fix, not a vague "try again".
          if (err instanceof OnebrainError) Object.assign(err.details, { userReply: report.reply, errorKind: report.kind, permanent: report.permanent });
        }
        throw err;
      }
    },
  };
}
