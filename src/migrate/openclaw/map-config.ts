/**
 * OpenClaw's gateway, model, session and tool settings in onebrain's config form. Each function
 * returns onebrain's section (or null) and reports to the ledger what it took and what it left.
 * The result is checked against onebrain's schema later (config-write.ts), which drops what
 * still does not fit, with the schema's own words as the reason.
 */
import { CATALOG } from "../../agent/tools/catalog.ts";
import { TOOL_GROUPS } from "../../agent/tools/types.ts";
import { takeSecret, otherKeys, type MapContext } from "./context.ts";
import { asObject, asText, show, type SourceAuthStore } from "./snapshot.ts";

type Section = Record<string, unknown>;

const MODEL_REF = /^[A-Za-z0-9_.-]+\/\S+$/;
/** Providers onebrain knows without a baseUrl (src/agent/models.ts), and the variable each reads its key from. */
const PRESET_KEYS: Record<string, string> = { anthropic: "ANTHROPIC_API_KEY", openai: "OPENAI_API_KEY", openrouter: "OPENROUTER_API_KEY" };

/** `gateway`: port, bind, auth (token or password), trusted proxies. */
export function mapGateway(ctx: MapContext): Section | null {
  const g = asObject(ctx.oc.gateway);
  if (!g) return null;
  const L = ctx.ledger;
  const out: Section = {};
  if (g.mode === "remote") L.left("gateway", "gateway.mode remote", "this OpenClaw was a client of a gateway elsewhere: import on that gateway's host");
  if (Number.isInteger(g.port)) {
    out.port = g.port;
    L.took("gateway", `port ${String(g.port)}`);
  }
  const bind = asText(g.bind);
  if (bind && ["loopback", "lan", "tailnet", "custom"].includes(bind)) {
    out.bind = bind;
    if (bind === "custom" && asText(g.customBindHost)) out.customBindHost = g.customBindHost;
    L.took("gateway", `bind ${bind}`);
  } else if (bind) L.left("gateway", `gateway.bind ${bind}`, "onebrain binds loopback, lan, tailnet or custom: its default loopback applies");
  const a = asObject(g.auth) ?? {};
  const auth: Section = {};
  const mode = asText(a.mode);
  if (mode === "token" || mode === "password" || mode === "none") auth.mode = mode;
  else if (mode) L.left("gateway", `gateway.auth.mode ${mode}`, "onebrain has token, password or none");
  for (const k of ["token", "password"] as const) {
    const s = takeSecret(ctx, "gateway", `gateway.auth.${k}`, a[k], k === "token" ? "ONEBRAIN_GATEWAY_TOKEN" : "ONEBRAIN_GATEWAY_PASSWORD");
    if (s && "value" in s) auth[k] = s.value;
  }
  if (Object.keys(auth).length && (mode !== "trusted-proxy" || auth.token || auth.password)) {
    out.auth = auth;
    L.took("gateway", `auth${auth.mode ? ` mode ${show(auth.mode)}` : ""}${auth.token ? " with its token" : ""}${auth.password ? " with its password" : ""}`);
  }
  if (Array.isArray(g.trustedProxies) && g.trustedProxies.length) {
    out.trustedProxies = g.trustedProxies;
    L.took("gateway", `trustedProxies (${g.trustedProxies.length})`);
  }
  const origins = asObject(g.controlUi)?.allowedOrigins;
  if (Array.isArray(origins) && origins.length) {
    out.allowedOrigins = origins;
    L.took("gateway", `allowedOrigins (${origins.length}, from controlUi.allowedOrigins)`);
  }
  const ts = asText(asObject(g.tailscale)?.mode);
  if (ts && ts !== "off")
    L.left(
      "gateway",
      `gateway.tailscale.mode ${ts}`,
      "onebrain does not run Tailscale serve/funnel: bind tailnet, or put a proxy in front (docs/reverse-proxy.md)",
    );
  const rest = otherKeys(g, ["mode", "port", "bind", "customBindHost", "auth", "trustedProxies", "controlUi", "tailscale", "remote"]);
  if (rest.length) L.left("gateway", `gateway: ${rest.join(", ")}`, "no onebrain equivalent");
  return Object.keys(out).length ? out : null;
}

/** A model ref, with the source's aliases (`agents.defaults.models.<ref>.alias`) resolved. */
export function modelRef(ctx: MapContext, v: unknown): string | null {
  const ref = asText(v);
  if (!ref) return null;
  if (MODEL_REF.test(ref)) return ref;
  const aliases = asObject(asObject(asObject(ctx.oc.agents)?.defaults)?.models) ?? {};
  const hit = Object.entries(aliases).find(([, o]) => asObject(o)?.alias === ref)?.[0];
  return hit && MODEL_REF.test(hit) ? hit : null;
}

/** `{primary, fallbacks}` or a plain ref, as onebrain's agent `model` takes it; null when unusable. */
export function modelChoice(ctx: MapContext, v: unknown, where: string): { primary: string; fallbacks?: string[] } | null {
  const o = asObject(v);
  const primary = modelRef(ctx, o ? o.primary : v);
  if (!primary) {
    if (v !== undefined) ctx.ledger.left("models", where, 'not a "provider/model" reference or a known alias');
    return null;
  }
  const fallbacks = Array.isArray(o?.fallbacks) ? o.fallbacks.map((f) => modelRef(ctx, f)).filter((f): f is string => f !== null) : undefined;
  return fallbacks ? { primary, fallbacks } : { primary };
}

/** `models`: the primary model and fallbacks, the providers with their keys (config and stored profiles). */
export function mapModels(ctx: MapContext, auth: readonly SourceAuthStore[], defaultAgent: string): Section | null {
  const L = ctx.ledger;
  const out: Section = {};
  const providers: Record<string, Section> = {};
  for (const [name, value] of Object.entries(asObject(asObject(ctx.oc.models)?.providers) ?? {})) {
    const p = asObject(value) ?? {};
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
      L.left("models", `models.providers.${name}`, "a provider name onebrain cannot use in a model reference (a-z, 0-9, _ . -)");
      continue;
    }
    const entry: Section = {};
    const api = asText(p.api);
    if (api === "anthropic-messages") entry.kind = "anthropic";
    else if (api === "openai-completions" || api === "openai") entry.kind = "openai";
    else if (api === "openai-responses") {
      entry.kind = "openai";
      L.took("models", `models.providers.${name}.api openai-responses`, "as openai: onebrain speaks Chat Completions, which the same endpoints serve");
    } else if (api) {
      L.left("models", `models.providers.${name}`, `its API ${api} is not one onebrain speaks (anthropic-messages, openai-completions)`);
      continue;
    }
    if (typeof p.baseUrl === "string") entry.baseUrl = p.baseUrl;
    const key = takeSecret(ctx, "models", `models.providers.${name}.apiKey`, p.apiKey);
    if (key && "value" in key) entry.apiKey = key.value;
    if (key && "env" in key) entry.apiKeyEnv = key.env;
    if (asObject(p.headers) && Object.keys(asObject(p.headers)!).length)
      L.left("models", `models.providers.${name}.headers`, "onebrain sends no extra headers to a provider");
    providers[name] = entry;
    L.took("models", `provider ${name}${entry.apiKeyEnv ? ` (key from ${show(entry.apiKeyEnv)})` : entry.apiKey ? " (key set)" : ""}`);
  }
  // Keys stored by `models auth` (auth profiles): the default agent's first; onebrain has one key per provider.
  const ordered = [...auth].sort((a, b) => Number(b.agentId === defaultAgent) - Number(a.agentId === defaultAgent));
  for (const store of ordered) {
    for (const [id, prof] of Object.entries(store.profiles)) {
      const provider = asText(prof.provider) ?? id.split(":")[0]!;
      const what = `auth profile ${id} of agent ${store.agentId}`;
      if (prof.type === "oauth" || prof.type === "token") {
        L.left(
          "models",
          what,
          `a ${prof.type === "oauth" ? "sign-in (OAuth)" : "subscription token"}: onebrain takes API keys; set models.providers.${provider}.apiKey or its variable`,
        );
        continue;
      }
      if (prof.type !== "api_key" || typeof prof.key !== "string") continue;
      const entry = providers[provider] ?? {};
      if (!providers[provider] && !PRESET_KEYS[provider]) {
        L.left("models", what, `provider ${provider} is not built into onebrain: add models.providers.${provider} with its baseUrl, then its key`);
        continue;
      }
      if (entry.apiKey || entry.apiKeyEnv) {
        if (entry.apiKey !== prof.key)
          L.left(
            "models",
            what,
            `onebrain has one key per provider: ${provider}'s key is taken from ${entry.apiKeyEnv ? show(entry.apiKeyEnv) : "the first store"}`,
          );
        continue;
      }
      const key = takeSecret(ctx, "models", what, prof.key);
      if (!key) continue;
      providers[provider] = { ...entry, ...("value" in key ? { apiKey: key.value } : { apiKeyEnv: key.env }) };
      L.took("models", `key of ${provider}`, `from ${what}`);
    }
  }
  for (const [provider, variable] of Object.entries(PRESET_KEYS)) {
    if (providers[provider]?.apiKey || providers[provider]?.apiKeyEnv || !ctx.sources.origin.has(variable)) continue;
    L.todo(`set ${variable} in the gateway's environment (OpenClaw read it from ${ctx.sources.origin.get(variable)}; onebrain reads no .env file)`);
  }
  if (Object.keys(providers).length) out.providers = providers;
  const defaults = asObject(asObject(ctx.oc.agents)?.defaults) ?? {};
  const choice = modelChoice(ctx, defaults.model, "agents.defaults.model");
  if (choice) {
    out.primary = choice.primary;
    if (choice.fallbacks?.length) out.fallbacks = choice.fallbacks;
    L.took("models", `primary ${choice.primary}${choice.fallbacks?.length ? `, fallbacks ${choice.fallbacks.join(", ")}` : ""}`);
  }
  if (asObject(defaults.models) && Object.keys(asObject(defaults.models)!).length)
    L.left(
      "models",
      "agents.defaults.models (aliases and the model allowlist)",
      'onebrain names models as "provider/model"; aliases used in the config were resolved',
    );
  return Object.keys(out).length ? out : null;
}

/** `session`: dmScope (and pairedDmScope to match), the reset policy. */
export function mapSession(ctx: MapContext): Section | null {
  const s = asObject(ctx.oc.session);
  if (!s) return null;
  const L = ctx.ledger;
  const out: Section = {};
  const scope = asText(s.dmScope);
  if (scope === "main" || scope === "per-peer" || scope === "per-channel-peer" || scope === "per-account-channel-peer") {
    out.dmScope = scope === "per-account-channel-peer" ? "per-channel-peer" : scope;
    // OpenClaw splits everyone's DMs by dmScope; onebrain splits guests' by pairedDmScope: keep them alike.
    if (out.dmScope !== "main") out.pairedDmScope = out.dmScope;
    L.took("session", `dmScope ${scope}`, out.dmScope !== scope ? "as per-channel-peer (onebrain's includes the account)" : undefined);
  } else if (scope) L.left("session", `session.dmScope ${scope}`, "not a onebrain scope");
  const reset = asObject(s.reset);
  const mode = asText(reset?.mode) ?? (Number.isInteger(s.idleMinutes) ? "idle" : undefined);
  if (mode === "daily" || mode === "idle") {
    const r: Section = { mode };
    if (Number.isInteger(reset?.atHour)) r.atHour = reset!.atHour;
    const idle = reset?.idleMinutes ?? s.idleMinutes;
    if (Number.isInteger(idle)) r.idleMinutes = idle;
    out.reset = r;
    L.took(
      "session",
      `reset ${mode}${mode === "idle" && r.idleMinutes ? ` after ${show(r.idleMinutes)} min` : ""}${mode === "daily" && r.atHour !== undefined ? ` at ${show(r.atHour)}:00` : ""}`,
    );
  } else if (mode) L.left("session", `session.reset.mode ${mode}`, "onebrain resets daily or when idle");
  else L.left("session", "no reset policy", "the config sets none; onebrain's default (a new session daily at 4:00) applies: set session.reset to change it");
  for (const k of ["resetByType", "resetByChannel"]) if (s[k] !== undefined) L.left("session", `session.${k}`, "onebrain has one reset policy for all chats");
  const triggers = Array.isArray(s.resetTriggers) ? s.resetTriggers : [];
  const extra = triggers.filter((t) => t !== "/new" && t !== "/reset");
  if (extra.length) L.left("session", `session.resetTriggers ${extra.join(" ")}`, "onebrain's reset commands are /new and /reset");
  const rest = otherKeys(s, ["dmScope", "reset", "idleMinutes", "resetByType", "resetByChannel", "resetTriggers", "mainKey", "store"]);
  if (rest.length) L.left("session", `session: ${rest.join(", ")}`, "no onebrain equivalent");
  return Object.keys(out).length ? out : null;
}

/** Tool names and groups onebrain knows, from an OpenClaw list; the rest reported. */
export function toolList(ctx: MapContext, list: unknown, where: string): string[] | undefined {
  if (!Array.isArray(list)) return undefined;
  const known = (t: string) => CATALOG.some((c) => c.name === t) || (t.startsWith("group:") && (TOOL_GROUPS as readonly string[]).includes(t.slice(6)));
  const names = list.filter((t): t is string => typeof t === "string");
  const unknown = names.filter((t) => !known(t));
  if (unknown.length) ctx.ledger.left("agents", `${where}: ${unknown.join(", ")}`, "not onebrain tools or groups (docs/tools.md)");
  return names.filter(known);
}

/** `tools`: the profile and allow/deny lists (OpenClaw's profiles have onebrain's names). */
export function mapTools(ctx: MapContext): Section | null {
  const t = asObject(ctx.oc.tools);
  if (!t) return null;
  const out: Section = {};
  if (["minimal", "messaging", "coding", "full"].includes(String(t.profile))) out.profile = t.profile;
  const allow = toolList(ctx, t.allow, "tools.allow");
  const deny = toolList(ctx, t.deny, "tools.deny");
  if (allow?.length) out.allow = allow;
  if (deny?.length) out.deny = deny;
  if (Object.keys(out).length) ctx.ledger.took("agents", `tools: ${Object.keys(out).join(", ")}`);
  const rest = otherKeys(t, ["profile", "allow", "deny"]);
  if (rest.length) ctx.ledger.left("agents", `tools: ${rest.join(", ")}`, "no onebrain equivalent (docs/tools.md)");
  return Object.keys(out).length ? out : null;
}
