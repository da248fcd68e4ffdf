/**
 * The agent: what the brain calls to answer a session. It builds the system prompt from the
 * workspace's AGENTS.md (or a default) and asks the configured models in order, streaming.
 * Models are resolved from config + env lazily and again after a config reload.
 */
import fs from "node:fs";
import path from "node:path";
import type { Config } from "../config/schema.ts";
import { OnebrainError } from "../shared/errors.ts";
import { explainFailure, type ModelErrorReport } from "./explain.ts";
import { completeWithFallback, describeModels, resolveModels, type ResolveDeps, type ResolvedModels } from "./models.ts";

export const DEFAULT_SYSTEM_PROMPT =
  "You are a helpful personal assistant reached through a chat app. Answer clearly and briefly, " +
  "in the language of the message. If you are unsure, say so.";

export interface AgentOptions {
  config: () => Readonly<Config>;
  /** The workspace directory (agents.defaults.workspace or <stateDir>/workspace). */
  workspace: string;
  env?: NodeJS.ProcessEnv;
  deps?: ResolveDeps;
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

export interface Agent {
  notConfigured(): string | null;
  reply(req: {
    history: Array<{ role: "user" | "assistant"; content: string }>;
    signal: AbortSignal;
    onDelta: (text: string) => void;
  }): Promise<{ text: string; model: string }>;
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

/** Creates the agent for a brain. */
export function createAgent(o: AgentOptions): Agent {
  const systemPrompt = promptReader(path.join(o.workspace, "AGENTS.md"));
  let resolved: { for: Readonly<Config>; models: ResolvedModels } | undefined;
  const models = (): ResolvedModels => {
    const config = o.config();
    if (resolved?.for !== config) resolved = { for: config, models: resolveModels(config.models, o.env ?? process.env, o.deps ?? {}) };
    return resolved.models;
  };
  const health: AgentHealth = { lastSuccessAt: null, lastFailureAt: null, lastFailure: null, lastError: null };
  return {
    notConfigured: () => models().notConfiguredReason,
    describe: () => describeModels(models()),
    health: () => ({ ...health }),
    models,
    async reply(req) {
      const m = models();
      try {
        const r = await completeWithFallback(m.providers, {
          system: systemPrompt(),
          messages: req.history,
          maxTokens: m.maxTokens,
          signal: req.signal,
          onDelta: req.onDelta,
        });
        health.lastSuccessAt = Date.now();
        // A cut reply says so where it is read (the stream, the transcript, the chat), not only in a log.
        // A declined reply too: an empty or silently stopped message would read as a bug.
        const empty = r.text.trim() === "";
        const notice = r.cut ? cutNotice(m.maxTokens, empty) : r.refused ? refusalNotice(empty) : "";
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
