/**
 * What each hook asks of the brain, checked before anything is stored: the agent, the message,
 * its session and where its answer goes. `/hooks/agent` takes them from its JSON body,
 * `/hooks/wake` puts a system line into an existing session, a mapping renders its template over
 * the request. The agent is the one named (`agent`), else the one whose session is named, else the
 * default agent; a session must be that agent's. Every refusal is HOOK_INVALID and names the
 * field (or the config key) that is wrong.
 */
import type { Config } from "../config/schema.ts";
import { CHAT_TEXT_MAX_BYTES } from "../protocol/methods.ts";
import { agentOfKey, chatCommand } from "../sessions/keys.ts";
import { OnebrainError } from "../shared/errors.ts";
import { parseTemplate, renderTemplate, type TemplateData } from "../shared/template.ts";
import type { PlannedMessage } from "./deliveries.ts";

export type HooksConfig = Config["hooks"];
export type HookMapping = HooksConfig["mappings"][string];

/** The line before a wake's text: the model reads it as an event, not as something a person typed. */
export const WAKE_PREFIX = "[system event] ";

/** What a plan is checked against: the running brain's agents, channel accounts and sessions. */
export interface PlanContext {
  /** The configured agents (the default one first) and the default agent's id. */
  agents: { ids: readonly string[]; defaultId: string };
  channels: ReadonlyArray<{ id: string; account: string }>;
  sessionExists(key: string): boolean;
}

/**
 * The agent that answers: the one named, else the one whose session is named (a key of a
 * configured agent), else the default agent.
 */
export function agentFor(named: string | undefined, session: string | undefined, ctx: PlanContext, field: string): string {
  if (named !== undefined) {
    if (!ctx.agents.ids.includes(named))
      throw invalid(`${field}: no agent ${JSON.stringify(named.slice(0, 64))} in this brain (agents: ${ctx.agents.ids.join(", ")})`);
    return named;
  }
  const owner = session === undefined ? null : agentOfKey(session);
  return owner !== null && ctx.agents.ids.includes(owner) ? owner : ctx.agents.defaultId;
}

const invalid = (message: string, hint = "See docs/hooks.md for the fields of each hook."): OnebrainError =>
  new OnebrainError("HOOK_INVALID", message, { hint });

/** The body as a JSON object, or a refusal naming what it is instead. */
function object(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== "object" || Array.isArray(body))
    throw invalid(`The body must be a JSON object, not ${Array.isArray(body) ? "an array" : body === null ? "null" : `a ${typeof body}`}`);
  return body as Record<string, unknown>;
}

function onlyKeys(o: Record<string, unknown>, allowed: readonly string[]): void {
  const extra = Object.keys(o).filter((k) => !allowed.includes(k));
  if (extra.length)
    throw invalid(`Unknown field${extra.length > 1 ? "s" : ""} ${extra.map((k) => JSON.stringify(k.slice(0, 64))).join(", ")}: expected ${allowed.join(", ")}`);
}

function str(o: Record<string, unknown>, field: string, max: number, required: boolean): string | undefined {
  const v = o[field];
  if (v === undefined && !required) return undefined;
  if (typeof v !== "string" || v.trim() === "") throw invalid(`"${field}" must be a non-empty string`);
  if (v.length > max) throw invalid(`"${field}" is ${v.length} characters: at most ${max}`);
  return v;
}

/** The message text: non-empty, at most 64 KiB of UTF-8 (as chat.send), and not a chat command. */
function messageText(text: string, field: string): string {
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > CHAT_TEXT_MAX_BYTES) throw invalid(`"${field}" is ${bytes} bytes: at most ${CHAT_TEXT_MAX_BYTES}`);
  if (chatCommand(text)) throw invalid(`"${field}" is a chat command (${text.trim().slice(0, 20)}): a hook sends messages, never commands`);
  return text;
}

/** The session a hook's message runs in: its own (`agent:<agent>:hook:<name>`), or an existing one of that agent. */
export function sessionFor(requested: string | undefined, agent: string, own: string, ctx: PlanContext, field: string): string {
  if (requested === undefined || requested === "isolated") return own;
  const main = `agent:${agent}:main`;
  if (!requested.startsWith(`agent:${agent}:`) || requested.length > 512)
    throw invalid(`${field} ${JSON.stringify(requested.slice(0, 80))} is not a session of agent ${agent}: use "isolated" or a key such as ${main}`);
  if (requested !== main && requested !== own && !ctx.sessionExists(requested))
    throw invalid(`${field}: no session ${JSON.stringify(requested.slice(0, 80))} in this brain: use "isolated", ${main}, or a key from \`onebrain status\``);
  return requested;
}

/** Where an answer goes, checked against the running brain's channel accounts. */
export function routeFor(d: unknown, ctx: PlanContext, field: string): PlannedMessage["reply"] {
  if (d === undefined) return null;
  if (d === null || typeof d !== "object" || Array.isArray(d)) throw invalid(`${field} must be an object { channel, account?, target }`);
  const o = d as Record<string, unknown>;
  const extra = Object.keys(o).filter((k) => !["channel", "account", "target"].includes(k));
  if (extra.length) throw invalid(`${field} has unknown field ${JSON.stringify(extra[0]!.slice(0, 64))}: expected channel, account, target`);
  if (typeof o.channel !== "string" || o.channel === "") throw invalid(`${field}.channel must be a channel name such as telegram or webchat`);
  const accounts = ctx.channels.filter((c) => c.id === o.channel).map((c) => c.account);
  const known = [...new Set(ctx.channels.map((c) => c.id))].join(", ") || "none";
  if (!accounts.length) throw invalid(`${field}.channel: no channel ${JSON.stringify(o.channel.slice(0, 64))} runs in this brain (channels: ${known})`);
  if (o.account !== undefined && (typeof o.account !== "string" || !accounts.includes(o.account)))
    throw invalid(
      `${field}.account: channel ${o.channel} has no account ${typeof o.account === "string" ? JSON.stringify(o.account.slice(0, 64)) : `of type ${typeof o.account}`} (accounts: ${accounts.join(", ")})`,
    );
  const account = (o.account as string | undefined) ?? (accounts.length === 1 ? accounts[0]! : undefined);
  if (account === undefined) throw invalid(`${field}.account: channel ${o.channel} has several accounts (${accounts.join(", ")}): name one`);
  if (typeof o.target !== "string" || o.target.trim() === "" || o.target.length > 256)
    throw invalid(`${field}.target must be the chat, channel or user id to post to on ${o.channel} (1-256 characters)`);
  return { channel: o.channel, account, target: o.target.trim() };
}

function timeout(v: unknown, field: string): number | null {
  if (v === undefined) return null;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 86_400) throw invalid(`"${field}" must be an integer number of seconds, 1-86400`);
  return v;
}

/** `POST /hooks/agent {message, agent?, session?, deliver?, name?, timeoutSeconds?}`. */
export function planAgent(body: unknown, ctx: PlanContext): PlannedMessage {
  const o = object(body);
  onlyKeys(o, ["message", "agent", "session", "deliver", "name", "timeoutSeconds"]);
  const text = messageText(str(o, "message", CHAT_TEXT_MAX_BYTES, true)!, "message");
  const name = str(o, "name", 64, false);
  if (name !== undefined && !/^[\x20-\x7e]+$/.test(name)) throw invalid('"name" must be printable ASCII (it is shown as the sender)');
  const session = str(o, "session", 512, false);
  const agent = agentFor(str(o, "agent", 64, false), session, ctx, '"agent"');
  return {
    sessionKey: sessionFor(session, agent, `agent:${agent}:hook:agent`, ctx, '"session"'),
    text,
    sender: name === undefined ? "hook:agent" : `hook:agent/${name}`,
    reply: routeFor(o.deliver, ctx, '"deliver"'),
    timeoutSeconds: timeout(o.timeoutSeconds, "timeoutSeconds"),
    onInterrupt: "resume",
  };
}

/** `POST /hooks/wake {text, agent?, session?, deliver?}`: a system line in an existing session (default the agent's main one). */
export function planWake(body: unknown, ctx: PlanContext): PlannedMessage {
  const o = object(body);
  onlyKeys(o, ["text", "agent", "session", "deliver"]);
  const line = str(o, "text", CHAT_TEXT_MAX_BYTES, true)!;
  const session = str(o, "session", 512, false);
  const agent = agentFor(str(o, "agent", 64, false), session, ctx, '"agent"');
  const main = `agent:${agent}:main`;
  if (session === "isolated") throw invalid(`"session": a wake goes to an existing session (default ${main}), not "isolated"`);
  return {
    sessionKey: sessionFor(session, agent, main, ctx, '"session"'),
    text: messageText(`${WAKE_PREFIX}${line}`, "text"),
    sender: "hook:wake",
    reply: routeFor(o.deliver, ctx, '"deliver"'),
    timeoutSeconds: null,
    onInterrupt: "resume",
  };
}

/** Cuts a text to at most `max` bytes of UTF-8, on a character boundary, with an ellipsis. */
function cutBytes(text: string, max: number): string {
  if (Buffer.byteLength(text, "utf8") <= max) return text;
  return `${Buffer.from(text, "utf8")
    .subarray(0, max - 3)
    .toString("utf8")
    .replace(/\uFFFD$/, "")}…`;
}

/** `POST /hooks/<name>`: the mapping's template rendered over the request (cut at 64 KiB). */
export function planMapping(name: string, m: HookMapping, data: TemplateData, ctx: PlanContext): PlannedMessage {
  const text = cutBytes(renderTemplate(parseTemplate(m.message), data), CHAT_TEXT_MAX_BYTES);
  const key = `hooks.mappings.${name}`;
  if (text.trim() === "")
    throw invalid(`The message of ${key} rendered empty for this request`, `Check the placeholders of ${key}.message against the body sent.`);
  if (chatCommand(text)) throw invalid(`The message of ${key} rendered as a chat command (${text.trim().slice(0, 20)}): a hook sends messages, never commands`);
  const agent = agentFor(m.agent, m.session, ctx, `${key}.agent`);
  return {
    sessionKey: sessionFor(m.session, agent, `agent:${agent}:hook:${name}`, ctx, `${key}.session`),
    text,
    sender: `hook:${name}`,
    reply: routeFor(m.deliver, ctx, `${key}.deliver`),
    timeoutSeconds: m.timeoutSeconds ?? null,
    onInterrupt: "resume",
  };
}
