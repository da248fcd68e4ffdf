/**
 * The durable brain inside a running gateway: the store (opened after the port is bound, its
 * fencing epoch bumped because this process now holds the lock), the agents, the pipeline and
 * the WebChat channel, and each outside platform (Telegram, Discord) whose credential is configured. `close` stops runs
 * (interrupted ones are resumed at the next start) and closes the database.
 */
import path from "node:path";
import type { Logger } from "pino";
import { createAgentRouter, type AgentRouter } from "../agent/router.ts";
import { agentRoster, DEFAULT_AGENT_ID } from "../agents/roster.ts";
import { ApprovalService, type ApprovalEvent } from "../approvals/service.ts";
import { announceInChat } from "../brain/approval-chat.ts";
import { Brain, type BrainEvent } from "../brain/brain.ts";
import { sendToolMessage } from "../brain/tool-messages.ts";
import type { InboundMessage } from "../channels/channel.ts";
import { WebChatChannel, WEBCHAT } from "../channels/webchat.ts";
import type { Config } from "../config/schema.ts";
import type { CanvasPort } from "../agent/tools/types.ts";
import type { BrainPaths, Env } from "../paths/paths.ts";
import { getMemory, searchMemory } from "../sessions/memory.ts";
import { isRoutableForAgents, routableKeyForms, routeMessage } from "../sessions/route.ts";
import { reapProcessGroups } from "../proc/groups.ts";
import { openStore, type Store } from "../store/db.ts";
import { countChannelState } from "../metrics/instruments.ts";
import { BrowserManager } from "../browser/manager.ts";
import { browserPort } from "./browser-port.ts";
import { createCron, type CronRuntime } from "./cron-runtime.ts";
import type { CronService } from "../cron/service.ts";
import { HookService } from "../hooks/service.ts";
import { startPlatformChannels, type ChannelStatus, type PlatformChannels } from "./channels-runtime.ts";
import { WhatsAppLinker } from "./whatsapp-linker.ts";

/** @deprecated The agent of a brain without `agents.list`; the configured ones are `agent.roster()`. */
export const AGENT_ID = DEFAULT_AGENT_ID;

export type { ChannelStatus } from "./channels-runtime.ts";

export interface BrainRuntime {
  store: Store;
  brain: Brain;
  /** The configured agents (each with its models, tools and prompt); without an id, the default one. */
  agent: AgentRouter;
  webchat: WebChatChannel;
  /** Exec approvals: asked by the exec tool, answered from the console, the CLI or `/approve` in a chat. */
  approvals: ApprovalService;
  /** The brain's browsers (launched lazily; the control service on base+2 drives them). */
  browser: BrowserManager;
  /** The brain's cron jobs (docs/cron.md): fired by this gateway only, while it holds the brain. */
  cron: CronService;
  /** Webhooks in (docs/hooks.md): the hook token, mappings and deliveries of this brain. */
  hooks: HookService;
  epoch: number;
  /** The session key a WebChat client without an explicit key talks to. */
  webchatSessionKey(clientId: string): string;
  /** The configured agents' ids, the default agent's first (of the config in force). */
  agentIds(): readonly string[];
  /** The default agent's id: where messages no binding claims go. */
  defaultAgentId(): string;
  /** True when a client may name this session key (one of a configured agent's). */
  routableSessionKey(key: string): boolean;
  /** The session key forms a client may name, for a refusal. */
  sessionKeyForms(): string;
  /** The outside platforms' channels: started, and (a linked or unlinked WhatsApp) started or stopped while running. */
  platforms: PlatformChannels;
  /** Linking and unlinking a WhatsApp device while the gateway runs. */
  whatsapp: WhatsAppLinker;
  /** Each running channel's last reported state. */
  channels(): ChannelStatus[];
  /** Counts for status: queued messages and undelivered replies. */
  backlog(): { pendingInbound: number; pendingOutbox: number; failedOutbox: number };
  close(graceMs: number): Promise<void>;
}

/** Deletes ended sessions (their transcripts cascade) older than the retention; 0 keeps all. */
export function pruneEndedSessions(store: Store, retentionDays: number, now: number): number {
  if (retentionDays <= 0) return 0;
  const r = store.prepare("DELETE FROM sessions WHERE ended_at IS NOT NULL AND ended_at < ?").run(now - retentionDays * 86_400_000);
  return Number(r.changes);
}

/** Opens the store and starts the pipeline. Throws STORE_CORRUPT / STORE_TOO_NEW before anything runs. */
export async function startBrain(o: {
  paths: BrainPaths;
  config: () => Readonly<Config>;
  logger: Logger;
  env: Env;
  emit: (e: BrainEvent | ApprovalEvent) => void;
  port?: number;
  /** The CDP port range of the port plan. */
  cdpRange: { first: number; last: number };
  /** The canvas host for the canvas tool, when it is on. */
  canvas?: CanvasPort;
}): Promise<BrainRuntime> {
  const store = openStore(o.paths.storePath);
  try {
    const epoch = store.bumpEpoch();
    const pruned = pruneEndedSessions(store, o.config().session.retentionDays, Date.now());
    if (pruned) o.logger.info({ pruned }, "deleted ended sessions past session.retentionDays");
    const at = { stateDir: o.paths.stateDir, home: o.paths.home };
    const roster = () => agentRoster(o.config(), at);
    // A removed agent's runs get a notice, not tools; its own directory still, never another agent's.
    const workspaceOf = (agentId: string): string => roster().get(agentId)?.workspace ?? path.join(o.paths.stateDir, `workspace-${agentId}`);
    // Browsers a dead gateway of this brain left are reaped before anything could start new ones.
    const browser = new BrowserManager({
      store,
      epoch,
      config: () => o.config().browser,
      cdpRange: o.cdpRange,
      stateDir: o.paths.stateDir,
      logger: o.logger.child({ component: "browser" }),
      env: o.env as NodeJS.ProcessEnv,
    });
    await browser.init();
    const agent = createAgentRouter({ config: o.config, paths: at, env: o.env as NodeJS.ProcessEnv, log: o.logger });
    // Agent and session are decided here, at ingest, with the bindings in force (sessions/route.ts).
    const route = (channel: string, account: string, m: InboundMessage): string => routeMessage(o.config(), roster(), channel, account, m);
    // Assigned once the brain exists; the cron tool port reads it lazily, long after.
    let cron: CronRuntime;
    // The brain is made below; the service only announces once runs ask, long after that.
    let deliver = (): void => {};
    const approvals = new ApprovalService({
      store,
      config: () => o.config().tools.exec,
      emit: o.emit,
      announce: announceInChat({ store, epoch, deliver: () => deliver() }),
      logger: o.logger,
      env: o.env as NodeJS.ProcessEnv,
    });
    const brain = new Brain({
      store,
      epoch,
      agent,
      logger: o.logger,
      emit: o.emit,
      chatApprovals: approvals,
      sessionKeyOf: route,
      // What tools get from this gateway; the tool list itself is src/agent/tools/catalog.ts.
      tools: {
        workspaceOf,
        config: () => o.config().tools,
        env: o.env as NodeJS.ProcessEnv,
        sendMessage: async (m, origin) => {
          const sent = await sendToolMessage(store, m, { origin, channels: brain.channelAccounts(), epoch, now: Date.now() });
          // WebChat delivers nothing from the outbox: open tabs learn of the message from this event.
          if (sent.transcript) o.emit({ type: "chat", state: "notice", runId: null, sessionKey: sent.transcript.sessionKey, text: m.text });
          deliver();
          return { outboxId: sent.outboxId };
        },
        // Each agent remembers its own conversations and notes only.
        searchMemory: (query, limit, agentId) => searchMemory(store, query, { limit, workspace: workspaceOf(agentId), agentId }),
        getMemory: (ref, agentId) => getMemory(store, ref, workspaceOf(agentId), agentId),
        approvals,
        browser: browserPort(browser),
        ...(o.canvas ? { canvas: o.canvas } : {}),
        // The service is made with the scheduler below; the tool is first used long after.
        cron: {
          list: () => cron.service.list(),
          add: (input) => cron.service.add(input),
          remove: (job) => cron.service.remove(job),
          runNow: (job) => cron.service.runNow(job),
          runs: (job, limit) => cron.service.runs(job, limit),
        },
      },
      // Process groups of exec calls a dead gateway left behind: killed, if they are still the same processes.
      reapProcessGroups: (groups) => {
        const outcomes = reapProcessGroups(groups);
        const killed = outcomes.filter((r) => r.outcome === "killed").length;
        if (killed) o.logger.warn({ killed, groups: outcomes }, "killed process groups that exec calls of a dead gateway left running");
      },
      settings: () => {
        const c = o.config();
        return {
          agentIds: roster().ids,
          defaultAgentId: roster().defaultAgent.id,
          historyLimit: c.session.historyLimit,
          reset: c.session.reset,
          timeoutSeconds: c.reply.timeoutSeconds,
          maxConcurrentRuns: c.agents.defaults.maxConcurrentRuns,
        };
      },
    });
    deliver = () => void brain.deliver();
    const webchat = new WebChatChannel();
    brain.addChannel(webchat);
    const abort = new AbortController();
    const channelStates = new Map<string, ChannelStatus>();
    await webchat.start({
      ingest: async (batch) => brain.ingest(WEBCHAT, webchat.account, batch),
      cursor: () => null,
      setState: (state) => channelStates.set(`${WEBCHAT}:${webchat.account}`, { id: WEBCHAT, account: webchat.account, ...state }),
      logger: o.logger,
      signal: abort.signal,
    });
    const platforms = await startPlatformChannels({
      ...o,
      store,
      brain,
      signal: abort.signal,
      setState: (s) => channelStates.set(`${s.id}:${s.account}`, countChannelState(s)),
    });
    const whatsapp = new WhatsAppLinker({ stateDir: o.paths.stateDir, env: o.env as NodeJS.ProcessEnv, logger: o.logger, platforms, holder: platforms.holder });
    // Before runs resume: requests of runs that ended are closed, those of resuming runs stay pending.
    const { closed } = approvals.start();
    if (closed) o.logger.info({ closed }, "closed exec approvals whose run ended or whose time was up");
    cron = createCron({ store, epoch, brain, agentIds: () => roster().ids, logger: o.logger });
    const { interrupted, resumed } = brain.start();
    cron.scheduler.start();
    // Retention is also applied daily, so a gateway that never restarts does not keep transcripts for ever.
    const prune = setInterval(() => {
      const n = pruneEndedSessions(store, o.config().session.retentionDays, Date.now());
      if (n) o.logger.info({ pruned: n }, "deleted ended sessions past session.retentionDays");
    }, 86_400_000);
    prune.unref();
    o.logger.info({ epoch, interrupted, resumed, agents: roster().ids, model: agent.describe() }, "brain started");
    const count = (sql: string) => (store.prepare(sql).get() as { n: number }).n;
    return {
      store,
      brain,
      agent,
      webchat,
      approvals,
      browser,
      platforms,
      whatsapp,
      cron: cron.service,
      hooks: new HookService({
        store,
        brain,
        config: () => o.config().hooks,
        agents: () => ({ ids: roster().ids, defaultId: roster().defaultAgent.id }),
        stateDir: o.paths.stateDir,
        env: o.env as NodeJS.ProcessEnv,
      }),
      epoch,
      channels: () => [...channelStates.values()],
      webchatSessionKey: (clientId) => route(WEBCHAT, webchat.account, { messageId: "", kind: "dm", peer: clientId, sender: clientId, text: "" }),
      agentIds: () => roster().ids,
      defaultAgentId: () => roster().defaultAgent.id,
      routableSessionKey: (key) => isRoutableForAgents(key, roster()),
      sessionKeyForms: () => routableKeyForms(roster()),
      backlog: () => ({
        pendingInbound: count("SELECT count(*) AS n FROM inbound WHERE state IN ('pending', 'running')"),
        pendingOutbox: count("SELECT count(*) AS n FROM outbox WHERE state = 'pending'"),
        failedOutbox: count("SELECT count(*) AS n FROM outbox WHERE state = 'failed'"),
      }),
      async close(graceMs) {
        clearInterval(prune);
        cron.scheduler.stop();
        abort.abort();
        // Channels first: no batch may be ingested into a store that is closing.
        await whatsapp.stop();
        await platforms.stopAll();
        // Runs cut by the stop leave their approval requests pending: they ask again when they resume.
        approvals.beginStop();
        await brain.stop(graceMs);
        approvals.stop();
        // After the runs (one may be using a browser), before the store (the records are dropped).
        await browser.close();
        await webchat.stop();
        store.close();
      },
    };
  } catch (err) {
    store.close();
    throw err;
  }
}
