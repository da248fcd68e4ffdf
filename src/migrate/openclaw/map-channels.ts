/**
 * `channels.*` of OpenClaw in onebrain's form: Telegram, Discord and Slack with their token(s),
 * `enabled`, DM policy and `allowFrom` (Clawdbot kept Discord's and Slack's under `dm`);
 * WhatsApp's settings, but not its linked device. OpenClaw runs several bots of a platform
 * (`accounts.<id>`); onebrain runs one per brain, the default account's: the others are left with
 * their bot id named. Also works out which onebrain account (a bot's id from its token) each
 * OpenClaw account is, for session keys, pairings, bindings and cron deliveries.
 */
import fs from "node:fs";
import path from "node:path";
import { platformOf } from "../../channels/platforms.ts";
import { takeSecret, otherKeys, sourcePath, type MapContext } from "./context.ts";
import { envRef, readTokenFile, valueOf } from "./env.ts";
import { asObject, asText } from "./snapshot.ts";

export interface ChannelAccounts {
  /** onebrain's account of an OpenClaw account of `channel`, when its credential is known. */
  of(channel: string, account: string): string | null;
  /** The OpenClaw account whose bot onebrain runs on `channel` (its default account). */
  runs(channel: string): string;
}

const POLICIES = ["pairing", "allowlist", "open"];
const PREFIX: Record<string, RegExp> = { telegram: /^(tg|telegram):/i, discord: /^(discord|user):/i, slack: /^(slack|user):/i, whatsapp: /^whatsapp:/i };
/** Each platform's credential key, its env variable, and (Slack) the second token. */
const TOKENS: Record<string, { key: string; env: string; second?: { key: string; env: string } }> = {
  telegram: { key: "botToken", env: "TELEGRAM_BOT_TOKEN" },
  discord: { key: "token", env: "DISCORD_BOT_TOKEN" },
  slack: { key: "appToken", env: "SLACK_APP_TOKEN", second: { key: "botToken", env: "SLACK_BOT_TOKEN" } },
};
const KNOWN: Record<string, readonly string[]> = {
  telegram: ["enabled", "botToken", "tokenFile", "apiRoot", "dmPolicy", "allowFrom", "groups", "requireMention", "accounts", "defaultAccount", "name"],
  discord: ["enabled", "token", "dmPolicy", "allowFrom", "dm", "accounts", "defaultAccount", "name"],
  slack: ["enabled", "appToken", "botToken", "dmPolicy", "allowFrom", "dm", "accounts", "defaultAccount", "name", "mode"],
  whatsapp: ["enabled", "dmPolicy", "allowFrom", "groups", "groupPolicy", "accounts", "defaultAccount", "name"],
};

/** A token file's content (a regular file of at most 4 KiB), or null. */
const tokenFile = (ctx: MapContext, file: string): string | null => readTokenFile(sourcePath(ctx, file));

const CREDENTIAL_KEYS = ["botToken", "tokenFile", "token", "appToken", "authDir"];

/**
 * The settings of one account: the root's, with the account's own over them. Credentials are not
 * inherited by a named account (the root's token is the default account's bot, not a second one).
 */
function accountSettings(section: Record<string, unknown>, name: string): Record<string, unknown> {
  const own = asObject(asObject(section.accounts)?.[name]);
  if (!own) return section;
  const base = Object.fromEntries(Object.entries(section).filter(([k]) => !CREDENTIAL_KEYS.includes(k)));
  return { ...base, ...own };
}

/** The credential value of an account (for its bot id only; env values are never written). */
function credentialValue(ctx: MapContext, channel: string, s: Record<string, unknown>, isDefault: boolean): string | undefined {
  const t = TOKENS[channel];
  if (!t) return undefined;
  const v = s[t.key];
  const ref = envRef(v);
  if (ref) return valueOf(ref, ctx.sources, ctx.env);
  if (typeof v === "string" && v) return v;
  if (channel === "telegram" && typeof s.tokenFile === "string") return tokenFile(ctx, s.tokenFile) ?? undefined;
  return isDefault ? valueOf(t.env, ctx.sources, ctx.env) : undefined;
}

/** The number a WhatsApp account is linked to (creds.json `me.id`), read-only. */
function linkedNumber(ctx: MapContext, account: string, s: Record<string, unknown>): string | null {
  const dir = typeof s.authDir === "string" ? sourcePath(ctx, s.authDir) : path.join(ctx.source.dir, "credentials", "whatsapp", account);
  try {
    const creds = asObject(JSON.parse(fs.readFileSync(path.join(dir, "creds.json"), "utf8")));
    const id = asText(asObject(creds?.me)?.id);
    return id ? (/^(\d{5,20})[:@]/.exec(id)?.[1] ?? null) : null;
  } catch {
    return null;
  }
}

function allowList(ctx: MapContext, channel: string, list: unknown, key: string): string[] | undefined {
  if (!Array.isArray(list)) return undefined;
  const out: string[] = [];
  for (const v of list) {
    const e = asText(v)?.trim().replace(PREFIX[channel]!, "");
    if (!e) continue;
    if (channel === "whatsapp" && e !== "*" && !/^\+[1-9]\d{6,14}$/.test(e)) {
      ctx.ledger.left("channels", `${key} entry ${JSON.stringify(e).slice(0, 40)}`, "not a phone number in E.164 form (+4915123456789)");
      continue;
    }
    if (!out.includes(e)) out.push(e);
  }
  return out;
}

/** Maps one platform's section; returns onebrain's section (or null) and records the accounts. */
function mapOne(ctx: MapContext, channel: string, oc: Record<string, unknown>, accounts: Map<string, Map<string, string>>): Record<string, unknown> | null {
  const L = ctx.ledger;
  const at = `channels.${channel}`;
  const runs = asText(oc.defaultAccount) ?? "default";
  const s = accountSettings(oc, runs);
  const known = new Map<string, string>();
  accounts.set(channel, known);
  const names = [...new Set(["default", ...Object.keys(asObject(oc.accounts) ?? {})])];
  for (const name of names) {
    const a = accountSettings(oc, name);
    const value = channel === "whatsapp" ? linkedNumber(ctx, name, a) : credentialValue(ctx, channel, a, name === runs);
    const id = value ? (channel === "whatsapp" ? value : platformOf(channel as "telegram")?.accountOf(value)) : null;
    if (id) known.set(name, id);
    if (name !== runs && asObject(asObject(oc.accounts)?.[name]))
      L.left(
        "channels",
        `${at}.accounts.${name}${id ? ` (${channel === "whatsapp" ? "number" : "bot"} ${id})` : ""}`,
        `onebrain runs one ${channel} account per brain (the default one, "${runs}"): run this one in a brain of its own (onebrain --profile NAME import openclaw ...)`,
      );
  }
  const out: Record<string, unknown> = {};
  if (typeof s.enabled === "boolean") out.enabled = s.enabled;
  const t = TOKENS[channel];
  if (t) {
    for (const k of [t, ...(t.second ? [t.second] : [])]) {
      let taken = takeSecret(ctx, "channels", `${at}.${k.key}`, s[k.key], k.env);
      if (!taken && channel === "telegram" && typeof s.tokenFile === "string") {
        const v = tokenFile(ctx, s.tokenFile);
        if (v) L.took("channels", `${at}.botToken`, `read from its tokenFile ${s.tokenFile}`);
        else
          L.left("channels", `${at}.tokenFile`, `${s.tokenFile} is not a readable file of at most 4 KiB: set channels.telegram.botToken or TELEGRAM_BOT_TOKEN`);
        taken = v ? { value: v } : null;
      }
      if (taken && "value" in taken) out[k.key] = taken.value;
    }
  }
  if (channel === "telegram" && typeof s.apiRoot === "string" && /^https?:\/\//.test(s.apiRoot)) out.apiRoot = s.apiRoot;
  const dm = asObject(s.dm) ?? {};
  const policy = asText(s.dmPolicy) ?? asText(dm.policy);
  if (policy && POLICIES.includes(policy)) out.dmPolicy = policy;
  else if (policy === "disabled") {
    out.dmPolicy = "allowlist";
    L.took("channels", `${at}.dmPolicy disabled`, "as allowlist: only allowFrom may write (onebrain has no policy that refuses everyone)");
  } else if (policy) L.left("channels", `${at}.dmPolicy ${policy}`, "not a onebrain policy (pairing, allowlist, open)");
  const allow = allowList(ctx, channel, s.allowFrom ?? dm.allowFrom, `${at}.allowFrom`);
  if (allow?.length) out.allowFrom = allow;
  const groups = asObject(s.groups) ?? {};
  const mention = asObject(groups["*"])?.requireMention ?? s.requireMention;
  if (channel === "telegram" || channel === "whatsapp") {
    const g: Record<string, unknown> = {};
    if (typeof mention === "boolean") g.requireMention = mention;
    if (channel === "whatsapp") {
      const gp = asText(s.groupPolicy);
      if (gp && ["allowlist", "open", "disabled"].includes(gp)) g.policy = gp;
      const jids = Object.keys(groups).filter((k) => /^[0-9-]{5,40}@g\.us$/.test(k));
      if (jids.length) g.allow = jids;
    }
    if (Object.keys(g).length) out.groups = g;
  }
  const perGroup = Object.keys(groups).filter((k) => k !== "*" && !(channel === "whatsapp" && k.endsWith("@g.us")));
  if (perGroup.length)
    L.left(
      "channels",
      `${at}.groups (${perGroup.length} group${perGroup.length === 1 ? "" : "s"} with own settings)`,
      "onebrain has one group rule per channel (requireMention, an allow list)",
    );
  const rest = otherKeys(s, [...KNOWN[channel]!, "groups"]);
  if (rest.length) L.left("channels", `${at}: ${rest.join(", ")}`, "no onebrain equivalent (docs/config.md lists what onebrain has)");
  if (channel === "slack" && s.mode === "http")
    L.left("channels", `${at}.mode http`, "onebrain uses Socket Mode: give the app an app-level token (xapp-...) as channels.slack.appToken");
  const took = Object.keys(out).filter((k) => !k.toLowerCase().includes("token"));
  const tokens = Object.keys(out).filter((k) => k.toLowerCase().includes("token"));
  L.took(
    "channels",
    `${channel}: ${[...tokens.map((k) => `${k} (set)`), ...took.map((k) => (k === "allowFrom" ? `allowFrom (${allow!.length})` : k))].join(", ") || "nothing but its presence"}`,
  );
  return Object.keys(out).length ? out : null;
}

/** Maps `channels`; returns onebrain's section and the account map. */
export function mapChannels(ctx: MapContext): { section: Record<string, unknown>; accounts: ChannelAccounts } {
  const ocChannels = asObject(ctx.oc.channels) ?? {};
  const section: Record<string, unknown> = {};
  const accounts = new Map<string, Map<string, string>>();
  const runs = new Map<string, string>();
  for (const [channel, value] of Object.entries(ocChannels)) {
    const oc = asObject(value);
    if (!oc) continue;
    if (!KNOWN[channel]) {
      ctx.ledger.left("channels", `channels.${channel}`, "not a onebrain channel (onebrain has telegram, discord, slack, whatsapp)");
      continue;
    }
    runs.set(channel, asText(oc.defaultAccount) ?? "default");
    const mapped = mapOne(ctx, channel, oc, accounts);
    if (mapped) section[channel] = mapped;
  }
  // Baileys' keys are a live Signal session of the phone's: a copy used beside the original would fight it.
  if (fs.existsSync(path.join(ctx.source.dir, "credentials", "whatsapp"))) {
    ctx.ledger.left(
      "channels",
      "WhatsApp's linked device",
      "its keys are not carried over (two copies of one linked device fight each other): link again with `onebrain channels login whatsapp`",
    );
    ctx.ledger.todo("link WhatsApp again: onebrain channels login whatsapp");
  }
  return {
    section,
    accounts: {
      of: (channel, account) => accounts.get(channel)?.get(account) ?? null,
      runs: (channel) => runs.get(channel) ?? "default",
    },
  };
}
