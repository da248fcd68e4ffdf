/**
 * From a read source to a plan: onebrain's config sections mapped from OpenClaw's (cut down to
 * what the schema accepts), the sessions under their onebrain keys, the cron jobs and the pairing
 * approvals, with everything left reported. Writes nothing: import.ts carries the plan out.
 */
import type { Env } from "../../paths/paths.ts";
import type { MapContext } from "./context.ts";
import { planCron, type CronPlan } from "./cron.ts";
import { envSources } from "./env.ts";
import { mapSessionKey, type KeyContext } from "./keys.ts";
import { mapAgents, mapBindings } from "./map-agents.ts";
import { mapChannels, type ChannelAccounts } from "./map-channels.ts";
import { mapGateway, mapModels, mapSession, mapTools } from "./map-config.ts";
import { pruneToSchema } from "./config-write.ts";
import type { PlannedPairing, PlannedSession } from "./apply.ts";
import type { Ledger } from "./report.ts";
import { asObject, asText, defaultAgentOf, type Snapshot } from "./snapshot.ts";
import type { SourceDir } from "./source.ts";

export interface ImportPlan {
  /** onebrain's config as mapped (only keys the import sets). */
  config: Record<string, unknown>;
  agentIds: string[];
  accounts: ChannelAccounts;
  /** Accounts the mapped channels will run (for cron deliveries). */
  channelAccounts: Array<{ id: string; account: string }>;
  sessions: PlannedSession[];
  cron: CronPlan[];
  pairings: PlannedPairing[];
}

const HANDLED = ["gateway", "models", "channels", "session", "agents", "bindings", "tools", "auth", "cron", "meta", "wizard", "$schema"];
const WHY: Record<string, string> = {
  hooks: "onebrain makes its own hook token: run `onebrain hooks token` and give senders the new one; mappings are not carried over (docs/hooks.md)",
  env: "onebrain reads no env block: set the variables it names in the gateway's environment",
  commands: "in onebrain the owners are channels.<channel>.allowFrom (commands.ownerAllowFrom is not carried over)",
  messages: "no onebrain equivalent (reply prefix, ack reactions)",
  heartbeat: "onebrain has no heartbeat: a cron job can ask the agent periodically",
};

/** Builds the plan; every part it cannot carry over is reported to `ledger`. */
export function planImport(source: SourceDir, snap: Snapshot, o: { home: string; env: Env; ledger: Ledger }): ImportPlan {
  const L = o.ledger;
  for (const l of snap.left) L.left(l.section, l.what, l.why ?? "");
  if (snap.configProblem)
    L.left(
      "other",
      `the config ${source.configFile ?? ""}`,
      `${snap.configProblem}; so no settings (gateway, models, channels, agents, bindings) were imported`,
    );
  const oc = snap.config ?? {};
  const ctx: MapContext = { source, oc, home: o.home, env: o.env, sources: envSources(source.dir, snap.config), ledger: L };
  const defaultAgent = defaultAgentOf(snap.config);

  const config: Record<string, unknown> = {};
  const gateway = mapGateway(ctx);
  if (gateway) config.gateway = gateway;
  const models = mapModels(ctx, snap.auth, defaultAgent);
  if (models) config.models = models;
  const channels = mapChannels(ctx);
  if (Object.keys(channels.section).length) config.channels = channels.section;
  const session = mapSession(ctx);
  if (session) config.session = session;
  const tools = mapTools(ctx);
  if (tools) config.tools = tools;
  const agents = mapAgents(ctx, defaultAgent);
  if (agents.section) config.agents = agents.section;
  const bindings = mapBindings(ctx, agents.ids, channels.accounts);
  if (bindings) config.bindings = bindings;
  for (const key of Object.keys(oc).filter((k) => !HANDLED.includes(k))) {
    const names =
      key === "env"
        ? ` (${[...ctx.sources.origin.entries()]
            .filter(([, w]) => w.startsWith("the config"))
            .map(([k]) => k)
            .join(", ")})`
        : "";
    L.left("other", `${key}${names}`, WHY[key] ?? "no onebrain equivalent");
  }
  if (source.layout === "sqlite" || snap.config?.gateway)
    L.left("other", "paired devices and the device identity", "device approvals belong to a gateway: approve companion apps again (`onebrain devices list`)");
  pruneToSchema(config, L);

  const keys: KeyContext = {
    mainKey: asText(asObject(oc.session)?.mainKey) ?? "main",
    defaultAgent,
    accountOf: (channel, account) => channels.accounts.of(channel, account),
  };
  const sessions: PlannedSession[] = [];
  for (const s of snap.sessions) {
    const mapped = mapSessionKey(s, keys);
    if ("problem" in mapped) {
      L.left("sessions", `session ${JSON.stringify(s.key).slice(0, 80)}`, `its key cannot be used: ${mapped.problem}`);
      L.counts.sessionsLeft++;
    } else sessions.push({ source: s, mapped });
  }
  const mapKey = (key: string) => {
    const m = mapSessionKey({ key, hints: {} }, keys);
    return "problem" in m ? null : m.key;
  };
  const cron = planCron(ctx, snap.cron, { defaultAgent, accounts: channels.accounts, mapKey });

  const pairings: PlannedPairing[] = [];
  const prefix = /^(tg|telegram|discord|slack|whatsapp|user):/i;
  for (const p of snap.pairing) {
    const what = `${p.channel} ${p.entry}`;
    if (!["telegram", "discord", "slack", "whatsapp"].includes(p.channel)) {
      L.left("pairing", what, "not a onebrain channel");
      continue;
    }
    if (p.account !== channels.accounts.runs(p.channel)) {
      L.left("pairing", `${what} (account ${p.account})`, `onebrain runs only ${p.channel}'s default account`);
      continue;
    }
    const account = channels.accounts.of(p.channel, p.account);
    if (!account) {
      L.left(
        "pairing",
        what,
        `the ${p.channel} account's credential is unknown here, so its onebrain account is too: approve the sender again when they write`,
      );
      continue;
    }
    const sender = p.entry.replace(prefix, "");
    if (sender && !pairings.some((x) => x.channel === p.channel && x.sender === sender)) pairings.push({ channel: p.channel, account, sender });
  }
  if (snap.pendingPairing)
    L.left(
      "pairing",
      `${snap.pendingPairing} pending request${snap.pendingPairing === 1 ? "" : "s"}`,
      "not approved in OpenClaw: the senders get a new code when they write again",
    );

  const channelAccounts = Object.keys(channels.section).flatMap((id) => {
    const account = channels.accounts.of(id, channels.accounts.runs(id));
    return account ? [{ id, account }] : [];
  });
  return { config, agentIds: agents.ids, accounts: channels.accounts, channelAccounts, sessions, cron, pairings };
}
