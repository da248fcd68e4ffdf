/**
 * The config of several agents on one brain (docs/agents.md): `agents.list` (each agent's id,
 * workspace, model, tool policy and system prompt file) and the top-level `bindings` (which
 * channel, account or chat goes to which agent). Part of the one config schema (schema.ts); the
 * checks across keys (ids unique, one default, every agent a binding or hook names configured)
 * run once the whole file has parsed, with the key path of what is wrong.
 */
import * as z from "zod/mini";
import { modelRef, oneOf, text } from "./schema-parts.ts";

/** An agent id: it is part of every session key (`agent:<id>:...`) and of directory names. */
export const AGENT_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** The one agent of a brain whose `agents.list` is empty: its sessions are `agent:main:...`. */
export const DEFAULT_AGENT_ID = "main";
/** The channels a binding may name (the outside platforms and WebChat). */
export const BINDING_CHANNELS = ["telegram", "discord", "slack", "whatsapp", "webchat"] as const;
/** The tool profiles (the base sets of src/agent/tools/policy.ts). */
export const TOOL_PROFILES = ["minimal", "messaging", "coding", "full"] as const;

/** An agent id, as `agents.list[].id`, `bindings[].agentId` and `hooks.mappings.*.agent` take it. */
export const agentId = () =>
  text().check(z.refine((v) => AGENT_ID.test(v), { error: "expected an agent id of a-z, 0-9, _ and - (at most 64, starting with a letter or digit)" }));

const toolNames = () => z.array(text(), { error: 'expected a list of tool names or groups, such as ["read", "group:web"]' });

const agentSchema = z.strictObject({
  id: agentId(),
  /** A display name (status, doctor). */
  name: z.optional(text()),
  /** The agent unmatched messages go to; at most one. Default: the first of the list. */
  default: z.optional(z.boolean({ error: "expected true or false" })),
  /** Its workspace: `~` expanded, relative paths inside the state dir. Default: agents.defaults.workspace for the default agent, else <stateDir>/workspace-<id>. */
  workspace: z.optional(text()),
  /** Its model: "provider/model" (no fallbacks), or { primary, fallbacks? }; replaces models.primary and models.fallbacks. */
  model: z.optional(
    z.union(
      [
        modelRef(),
        z.strictObject({ primary: modelRef(), fallbacks: z.optional(z.array(modelRef(), { error: 'expected a list of "provider/model" strings' })) }),
      ],
      {
        error: 'expected "provider/model" or { primary: "provider/model", fallbacks: [...] }',
      },
    ),
  ),
  /** Its tool policy: each key given replaces tools.profile, tools.allow or tools.deny. */
  tools: z.optional(
    z.strictObject({
      profile: z.optional(oneOf(TOOL_PROFILES)),
      allow: z.optional(toolNames()),
      deny: z.optional(toolNames()),
    }),
  ),
  /** The file its system prompt is read from instead of <workspace>/AGENTS.md; relative paths are inside its workspace. */
  systemPromptFile: z.optional(text()),
});

/** `agents.list`: empty (the default) is one agent, "main", with agents.defaults, models and tools. */
export const agentsList = () => z._default(z.array(agentSchema, { error: "expected a list of agents, each { id, workspace?, model?, tools?, ... }" }), []);

const bindingSchema = z.strictObject({
  agentId: agentId(),
  comment: z.optional(z.string({ error: "expected a string" })),
  match: z.strictObject({
    channel: oneOf(BINDING_CHANNELS),
    /** The channel account (a bot's id, as `onebrain channels status` shows it); "*" or omitted: any. */
    accountId: z.optional(text()),
    /** One chat: a direct chat with a person, or a group (or a platform's channel). */
    peer: z.optional(z.strictObject({ kind: oneOf(["direct", "group", "channel"]), id: text() })),
  }),
});

/** `bindings`: which messages go to which agent (precedence in src/agents/bindings.ts). */
export const bindingsList = () => z._default(z.array(bindingSchema, { error: "expected a list of bindings, each { agentId, match: { channel, ... } }" }), []);

/** What the checks across keys read of the parsed config. */
interface AgentRefs {
  agents: { list: ReadonlyArray<{ id: string; default?: boolean | undefined }> };
  bindings: ReadonlyArray<{ agentId: string }>;
  hooks: { mappings: Readonly<Record<string, { agent?: string | undefined }>> };
}

/** Ids unique, at most one default, and each agent a binding or a hook mapping names configured. */
export const agentRefsCheck = () =>
  z.superRefine((c: AgentRefs, ctx) => {
    const list = c.agents.list;
    const issue = (path: Array<string | number>, message: string, input: unknown) => ctx.addIssue({ code: "custom", path, message, input });
    const seen = new Map<string, number>();
    let firstDefault: number | null = null;
    list.forEach((a, i) => {
      const earlier = seen.get(a.id);
      if (earlier !== undefined) issue(["agents", "list", i, "id"], `expected an id no other agent has (agents.list.${earlier}.id is the same)`, a.id);
      else seen.set(a.id, i);
      if (a.default !== true) return;
      if (firstDefault === null) firstDefault = i;
      else issue(["agents", "list", i, "default"], `expected at most one default agent (agents.list.${firstDefault} is already the default)`, true);
    });
    const ids = list.length ? list.map((a) => a.id) : [DEFAULT_AGENT_ID];
    const known = list.length
      ? `the id of an agent in agents.list (${ids.join(", ")})`
      : `"${DEFAULT_AGENT_ID}" (agents.list is empty, so the one agent is "${DEFAULT_AGENT_ID}"; add the agent to agents.list)`;
    c.bindings.forEach((b, i) => {
      if (!ids.includes(b.agentId)) issue(["bindings", i, "agentId"], `expected ${known}`, b.agentId);
    });
    for (const [name, m] of Object.entries(c.hooks.mappings))
      if (m.agent !== undefined && !ids.includes(m.agent)) issue(["hooks", "mappings", name, "agent"], `expected ${known}`, m.agent);
  });
