/**
 * OpenClaw's system methods: health, status, presence, heartbeat, the config (secrets never
 * cross: every secret-named value is replaced), models and agents. Shapes follow what OpenClaw's
 * CLI and Control UI read; the values are onebrain's.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import * as z from "zod/mini";
import { isSecretKey } from "../../../shared/redact.ts";
import { brainStatus } from "../../status.ts";
import { channelsSummary, gatewayPresence, healthSnapshot, sessionDefaults } from "../snapshot.ts";
import type { GatewayContext } from "../../context.ts";
import type { OcMethod } from "../types.ts";

/** A deep copy with every secret-named string replaced, not masked: not even its ends cross. */
export function withoutSecrets(value: unknown, depth = 0): unknown {
  if (depth > 16 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => withoutSecrets(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isSecretKey(k) && typeof v === "string" ? "[redacted]" : withoutSecrets(v, depth + 1)]));
}

const loose = z.optional(z.looseObject({}));

/** The models an agent may use, as OpenClaw's catalog (`models.list`, the `models.snapshot` event): its chain, primary first. */
export function modelCatalog(
  ctx: GatewayContext,
  agentId?: string,
): { models: Array<Record<string, unknown>>; accountSelection: { kind: string; label: string } } {
  const known = new Set(ctx.brain.agentIds());
  const described = ctx.brain.agent.models(agentId !== undefined && known.has(agentId) ? agentId : undefined).descriptions;
  return {
    models: described.map((d, i) => ({
      id: d.model,
      name: d.model,
      provider: d.provider,
      reasoning: false,
      tags: i === 0 ? ["default"] : ["fallback"],
      thinkingLevels: [{ id: "off", label: "off" }],
      thinkingDefault: "off",
      // The Control UI's picker lists the models a user may pick; onebrain runs each agent's chain in
      // order and has no per-session override, so only the primary is offered (as the default).
      manualSelectionAllowed: i === 0,
      available: true,
    })),
    accountSelection: { kind: "automatic", label: "Automatic account selection" },
  };
}

export const systemMethods: Record<string, OcMethod> = {
  health: { scope: null, run: (_p, ctx) => healthSnapshot(ctx) },
  status: {
    scope: "operator.read",
    params: loose,
    run: (_p, ctx) => {
      const s = brainStatus(ctx);
      const health = healthSnapshot(ctx) as { sessions: { count: number; recent: unknown[] }; eventLoop: unknown };
      const defaults = sessionDefaults(ctx);
      const mem = process.memoryUsage();
      const active = ctx.brain.brain.activeRuns().length;
      return {
        runtimeVersion: ctx.version,
        runtime: "onebrain",
        heartbeat: { defaultAgentId: defaults.defaultAgentId, agents: ctx.brain.agentIds().map((agentId) => ({ agentId, enabled: false })) },
        channelSummary: Object.entries(channelsSummary(ctx).channels).map(([id, c]) => `${id}: ${(c as { state: string }).state}`),
        queuedSystemEvents: [],
        tasks: { total: active, active, terminal: 0, failures: s.pipeline.failedOutbox, byStatus: { queued: s.pipeline.pendingInbound, running: active } },
        sessions: {
          paths: [ctx.paths.storePath],
          count: health.sessions.count,
          defaults: { model: s.model.configured ? s.model.describe : null, contextTokens: null },
          recent: health.sessions.recent,
          byAgent: ctx.brain.agentIds().map((agentId) => ({ agentId, path: ctx.paths.storePath, count: health.sessions.count, recent: [] })),
        },
        eventLoop: health.eventLoop,
        processMemory: {
          rssBytes: mem.rss,
          heapUsedBytes: mem.heapUsed,
          heapTotalBytes: mem.heapTotal,
          externalBytes: mem.external,
          arrayBuffersBytes: mem.arrayBuffers,
        },
        pid: process.pid,
        // onebrain's own status (docs/protocol.md `status`), for `openclaw gateway call status`.
        onebrain: s,
      };
    },
  },
  "system-presence": { scope: "operator.read", params: loose, run: (_p, ctx) => [gatewayPresence(ctx)] },
  // onebrain runs no heartbeat turns: there is never a last one.
  "last-heartbeat": { scope: "operator.read", params: loose, run: () => null },
  "config.get": {
    scope: "operator.read",
    params: loose,
    run: (_p, ctx) => {
      let text: string | null = null;
      try {
        text = fs.readFileSync(ctx.paths.configPath, "utf8");
      } catch {
        text = null;
      }
      const problem = ctx.configProblem();
      return {
        path: ctx.paths.configPath,
        exists: text !== null,
        valid: problem === null,
        issues: problem ? [{ path: "", message: problem.message, code: problem.code }] : [],
        hash: text === null ? null : crypto.createHash("sha256").update(text).digest("hex"),
        // The config in force with its defaults; every token, password and key replaced.
        config: withoutSecrets(ctx.config()),
      };
    },
  },
  "models.list": {
    scope: "operator.read",
    params: loose,
    run: (p, ctx) => ({ models: modelCatalog(ctx, (p as { agentId?: string } | undefined)?.agentId).models }),
  },
  "agents.list": {
    scope: "operator.read",
    params: loose,
    run: (_p, ctx) => {
      const defaults = sessionDefaults(ctx);
      const roster = ctx.brain.agent.roster();
      return {
        defaultId: defaults.defaultAgentId,
        ownership: roster.agents.length > 1 ? "explicit" : "sole",
        selectionRequired: false,
        mainKey: defaults.mainKey,
        scope: "per-sender",
        agents: roster.agents.map((a) => ({
          id: a.id,
          kind: "agent",
          ...(a.name ? { name: a.name, identity: { name: a.name } } : {}),
          workspace: a.workspace,
          model: { ...(a.models.primary ? { primary: a.models.primary } : {}), fallbacks: [...a.models.fallbacks] },
        })),
      };
    },
  },
};
