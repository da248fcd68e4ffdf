/**
 * OpenClaw's agents (`agents.list` of Clawdbot and older OpenClaw, `agents.entries` of 2026.x)
 * and `bindings` in onebrain's form, and the workspace. Workspaces are referenced where they
 * are, never copied: the agent keeps working on the same files (and their git history); OpenClaw
 * and onebrain never run on them at once, since the import refuses while OpenClaw runs.
 */
import fs from "node:fs";
import path from "node:path";
import { AGENT_ID, BINDING_CHANNELS } from "../../config/schema-agents.ts";
import { otherKeys, sourcePath, type MapContext } from "./context.ts";
import type { ChannelAccounts } from "./map-channels.ts";
import { modelChoice, toolList } from "./map-config.ts";
import { asObject, asText, configuredAgents, show } from "./snapshot.ts";

type Section = Record<string, unknown>;

const AGENT_KEYS = ["id", "default", "name", "workspace", "model", "tools", "identity", "agentDir"];

/** Where the source's default workspace is: the configured one, else the product's default. */
function defaultWorkspace(ctx: MapContext): { dir: string; configured: boolean } {
  const w = asText(asObject(asObject(ctx.oc.agents)?.defaults)?.workspace);
  if (w) return { dir: sourcePath(ctx, w), configured: true };
  if (ctx.env.OPENCLAW_WORKSPACE_DIR?.trim()) return { dir: sourcePath(ctx, ctx.env.OPENCLAW_WORKSPACE_DIR), configured: true };
  return { dir: ctx.source.product === "OpenClaw" ? path.join(ctx.source.dir, "workspace") : path.join(ctx.home, "clawd"), configured: false };
}

/** An agent's workspace as its source resolved it (Clawdbot: ~/clawd-<id>; OpenClaw: <state>/workspace-<id>). */
function agentWorkspace(ctx: MapContext, id: string, entry: Section, isDefault: boolean, fallback: string): { dir: string; configured: boolean } {
  const w = asText(entry.workspace);
  if (w) return { dir: sourcePath(ctx, w), configured: true };
  if (isDefault) return { dir: fallback, configured: false };
  return { dir: ctx.source.product === "OpenClaw" ? path.join(ctx.source.dir, `workspace-${id}`) : path.join(ctx.home, `clawd-${id}`), configured: false };
}

const isDir = (p: string) => fs.statSync(p, { throwIfNoEntry: false })?.isDirectory() === true;

function noteWorkspace(ctx: MapContext, who: string, dir: string): void {
  const inside = !path.relative(ctx.source.dir, dir).startsWith("..");
  ctx.ledger.took(
    "workspace",
    `${who}: ${dir}`,
    `referenced, not copied${isDir(dir) ? "" : " (it does not exist yet)"}${inside ? `; it is inside ${ctx.source.dir}: keep that dir, or move the workspace and set its path` : ""}`,
  );
}

/** `agents` (defaults.workspace and list) and the ids onebrain will have. */
export function mapAgents(ctx: MapContext, defaultAgent: string): { section: Section | null; ids: string[] } {
  const L = ctx.ledger;
  const ws = defaultWorkspace(ctx);
  const section: Section = {};
  if (ws.configured || isDir(ws.dir)) {
    section.defaults = { workspace: ws.dir };
    noteWorkspace(ctx, "agents.defaults.workspace", ws.dir);
  } else L.left("workspace", `the default workspace ${ws.dir}`, "it does not exist and the config names none: onebrain's default applies");
  const list: Section[] = [];
  for (const { id, entry } of configuredAgents(ctx.oc)) {
    if (!AGENT_ID.test(id)) {
      L.left("agents", `agent ${JSON.stringify(id).slice(0, 70)}`, "an id onebrain cannot use (a-z, 0-9, _ and -, at most 64)");
      continue;
    }
    if (list.some((a) => a.id === id)) {
      L.left("agents", `agent ${id} (a second entry)`, "the id is taken by an earlier entry");
      continue;
    }
    const a: Section = { id };
    const identity = asObject(entry.identity) ?? {};
    const name = asText(identity.name) ?? asText(entry.name);
    if (name && name !== id) a.name = name;
    if (id === defaultAgent) a.default = true;
    const w = agentWorkspace(ctx, id, entry, id === defaultAgent, ws.dir);
    if (w.configured || isDir(w.dir)) {
      a.workspace = w.dir;
      noteWorkspace(ctx, `agent ${id}`, w.dir);
    }
    const model = modelChoice(ctx, entry.model, `agents ${id}.model`);
    if (model) a.model = model.fallbacks ? model : model.primary;
    const t = asObject(entry.tools);
    if (t) {
      const tools: Section = {};
      if (["minimal", "messaging", "coding", "full"].includes(String(t.profile))) tools.profile = t.profile;
      const allow = toolList(ctx, t.allow, `agent ${id} tools.allow`);
      const deny = toolList(ctx, t.deny, `agent ${id} tools.deny`);
      if (allow) tools.allow = allow;
      if (deny) tools.deny = deny;
      if (Object.keys(tools).length) a.tools = tools;
    }
    list.push(a);
    L.took(
      "agents",
      `${id}${a.default ? " (default)" : ""}${a.name ? ` "${show(a.name)}"` : ""}${a.model ? `, model ${JSON.stringify(a.model)}` : ""}${a.tools ? ", tools" : ""}`,
    );
    const rest = [...otherKeys(entry, AGENT_KEYS), ...otherKeys(identity, ["name"]).map((k) => `identity.${k}`)];
    if (rest.length)
      L.left("agents", `agent ${id}: ${rest.join(", ")}`, "no onebrain equivalent (onebrain's agent has id, name, workspace, model, tools, systemPromptFile)");
  }
  if (list.length) section.list = list;
  const d = asObject(asObject(ctx.oc.agents)?.defaults) ?? {};
  const defaultsLeft = otherKeys(d, ["workspace", "model", "models"]);
  if (defaultsLeft.length) L.left("agents", `agents.defaults: ${defaultsLeft.join(", ")}`, "no onebrain equivalent");
  return { section: Object.keys(section).length ? section : null, ids: list.length ? list.map((a) => a.id as string) : [defaultAgent] };
}

/** `bindings`: peer kind dm -> direct; an account other than the one onebrain runs is left. */
export function mapBindings(ctx: MapContext, agentIds: readonly string[], accounts: ChannelAccounts): Section[] | null {
  const L = ctx.ledger;
  const raw = Array.isArray(ctx.oc.bindings) ? ctx.oc.bindings : [];
  const out: Section[] = [];
  raw.forEach((value, i) => {
    const b = asObject(value) ?? {};
    const m = asObject(b.match) ?? {};
    const what = `bindings[${i}] (${show(m.channel ?? "?")}${m.accountId ? `:${show(m.accountId)}` : ""} -> ${show(b.agentId ?? "?")})`;
    const agentId = asText(b.agentId)?.toLowerCase();
    const channel = asText(m.channel);
    if (b.type !== undefined && b.type !== "route")
      return L.left("bindings", what, `a binding of type ${show(b.type)}: onebrain's bindings route messages only`);
    if (!agentId || !agentIds.includes(agentId))
      return L.left("bindings", what, `agent ${agentId ?? "(none)"} is not among the imported agents (${agentIds.join(", ")})`);
    if (!channel || !(BINDING_CHANNELS as readonly string[]).includes(channel)) return L.left("bindings", what, "not a onebrain channel");
    if (m.guildId !== undefined || m.teamId !== undefined)
      return L.left("bindings", what, "matches a Discord guild or Slack team: onebrain's bindings match channel, account and chat");
    const match: Section = { channel };
    const acct = asText(m.accountId);
    if (acct === "*") match.accountId = "*";
    else if (acct && acct !== accounts.runs(channel))
      return L.left("bindings", what, `account ${acct} is not the one onebrain runs on ${channel} (${accounts.runs(channel)})`);
    else if (acct) {
      const id = accounts.of(channel, acct);
      if (id) match.accountId = id; // else: onebrain runs one account, so "any" is the same
    }
    const peer = asObject(m.peer);
    if (peer) {
      const kind = peer.kind === "dm" ? "direct" : asText(peer.kind);
      const id = asText(peer.id);
      if (!kind || !["direct", "group", "channel"].includes(kind) || !id) return L.left("bindings", what, "its peer is not {kind: direct|group|channel, id}");
      match.peer = { kind, id };
    }
    out.push({ agentId, ...(typeof b.comment === "string" ? { comment: b.comment } : {}), match });
    L.took("bindings", what.replace(/^bindings\[\d+\] \((.*)\)$/, "$1"), peer?.kind === "dm" ? "peer kind dm as direct" : undefined);
  });
  return out.length ? out : null;
}
