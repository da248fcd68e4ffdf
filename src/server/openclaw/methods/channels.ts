/**
 * OpenClaw's `channels.status` (`openclaw channels status [--probe]`, the Control UI's channels
 * page): onebrain's channel reports (src/server/rpc-channels.ts) in OpenClaw's shape, one account
 * snapshot per channel account. A probe asks each platform who the bot is, as onebrain's does.
 */
import * as z from "zod/mini";
import { channelReports, type ChannelReport } from "../../rpc-channels.ts";
import { eventLoopNow } from "../snapshot.ts";
import type { OcMethod } from "../types.ts";

const LABELS: Record<string, string> = { telegram: "Telegram", discord: "Discord", slack: "Slack", whatsapp: "WhatsApp", webchat: "WebChat" };
const label = (id: string) => LABELS[id] ?? id;

/** Why a report's channel is not serving, in one line; null when it is. */
function problem(r: ChannelReport): string | null {
  if (r.state === "connected") return null;
  if ("detail" in r && r.detail) return r.detail;
  if ("lastError" in r) return r.lastError;
  if ("reason" in r) return r.reason;
  return null;
}

/** One account as OpenClaw's ChannelAccountSnapshot. */
function accountSnapshot(r: ChannelReport): Record<string, unknown> {
  const running = r.state !== "stopped" && r.state !== "failed";
  const connected = r.state === "connected" || r.state === "degraded";
  return {
    accountId: r.account,
    enabled: r.enabled,
    configured: r.token !== null || r.id === "whatsapp",
    running,
    connected,
    healthState: r.state,
    lastError: problem(r),
    lastInboundAt: r.lastInboundAt,
    lastOutboundAt: r.lastOutboundAt,
    ...(r.state === "connected" || r.state === "degraded" ? { lastConnectedAt: r.since } : {}),
    ...(r.state === "reconnecting" ? { reconnectAttempts: r.attempt } : {}),
    ...(r.token ? { tokenSource: r.token.source } : {}),
    ...(r.id === "whatsapp" ? { linked: r.token !== null } : {}),
    ...(r.apiRoot ? { baseUrl: r.apiRoot } : {}),
    ...(r.probe
      ? {
          probe: r.probe.ok
            ? { ok: true, elapsedMs: r.probe.latencyMs, bot: r.probe.identity }
            : { ok: false, elapsedMs: r.probe.latencyMs, error: r.probe.error },
        }
      : {}),
  };
}

export const channelMethods: Record<string, OcMethod> = {
  "channels.status": {
    scope: "operator.read",
    params: z.optional(
      z.strictObject({
        probe: z.optional(z.boolean()),
        timeoutMs: z.optional(z.int().check(z.minimum(0))),
        channel: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
      }),
    ),
    run: async (p, ctx) => {
      const o = (p ?? {}) as { probe?: boolean; timeoutMs?: number; channel?: string };
      const reports = (await channelReports(ctx, { probe: o.probe === true, timeoutMs: Math.min(o.timeoutMs ?? 10_000, 30_000) })).filter(
        (r) => r.id !== "webchat" && (o.channel === undefined || r.id === o.channel),
      );
      const order = [...new Set(reports.map((r) => r.id))].sort();
      const channels: Record<string, unknown> = {};
      const channelAccounts: Record<string, unknown[]> = {};
      const statusIssues: Array<Record<string, string>> = [];
      for (const id of order) {
        const mine = reports.filter((r) => r.id === id);
        const snaps = mine.map(accountSnapshot);
        channelAccounts[id] = snaps;
        channels[id] = { configured: true, running: snaps.some((s) => s.running), connected: snaps.some((s) => s.connected) };
        for (const r of mine) {
          const why = problem(r);
          if (why && r.state !== "starting")
            statusIssues.push({ channel: id, accountId: r.account, kind: r.state === "conflict" ? "config" : "runtime", message: why });
        }
      }
      return {
        ts: Date.now(),
        channelOrder: order,
        channelLabels: Object.fromEntries(order.map((id) => [id, label(id)])),
        channelDetailLabels: Object.fromEntries(order.map((id) => [id, label(id)])),
        channelMeta: order.map((id) => ({ id, label: label(id), detailLabel: label(id) })),
        channels,
        channelAccounts,
        channelDefaultAccountId: Object.fromEntries(order.map((id) => [id, reports.find((r) => r.id === id)!.account])),
        eventLoop: eventLoopNow(ctx),
        statusIssues: statusIssues.slice(0, 50),
      };
    },
  },
};
