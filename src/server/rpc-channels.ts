/**
 * RPC methods about channels: `channels.status` (state, traffic, credential lease, optional
 * live probe of the credential) and the pairing requests of unknown senders (`pairing.list`, `pairing.approve`).
 * Approval goes through the store only: a running channel's access check reads the store, so the
 * next message of the approved sender reaches the agent without restarting anything.
 */
import { channelActivity, configuredChannels, leaseOf, probeChannel, type ConfiguredChannel, type LeaseView } from "../channels/inspect.ts";
import type { ProbeResult } from "../channels/probe.ts";
import { approvePairing, listPairings } from "../channels/pairing.ts";
import type { PairingRow } from "../store/rows.ts";
import type { ChannelStatus } from "./brain-runtime.ts";
import type { GatewayContext } from "./context.ts";
import type { CallerInfo } from "./rpc-chat.ts";
import { RpcError } from "./rpc-error.ts";

type Handler = (params: unknown, ctx: GatewayContext, caller: CallerInfo) => unknown; // a value or a Promise of one

/** One entry of `channels.status`. */
export type ChannelReport = ChannelStatus & {
  enabled: boolean;
  token: { source: "config" | "env" | "linked"; masked: string | null } | null;
  /** The platform's second credential (Slack's bot token), when it has one; null source: not set. */
  companion?: { key: string; env: string; source: "config" | "env" | null; masked: string | null };
  apiRoot: string | null;
  lastInboundAt: number | null;
  lastOutboundAt: number | null;
  /** The credential lease; `mine` is true when this gateway holds it. */
  lease: (LeaseView & { mine: boolean }) | null;
  /** Live facts of a running channel's connection (Channel.health), when it gives any. */
  health?: Record<string, string | number | boolean | null>;
  probe?: ProbeResult;
};

/** One pairing as `pairing.list` shows it: the code only while it is pending. */
export interface PairingView {
  channel: string;
  account: string;
  sender: string;
  name: string | null;
  peer: string;
  state: "pending" | "approved";
  code: string | null;
  createdAt: number;
  expiresAt: number | null;
  approvedAt: number | null;
  approvedBy: string | null;
}

/** Running channels merged with configured ones (a configured channel that does not run is `stopped`, with why). */
export async function channelReports(ctx: GatewayContext, o: { probe: boolean; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<ChannelReport[]> {
  const env = o.env ?? process.env;
  const running = ctx.brain.channels();
  const configured = configuredChannels(ctx.config(), env, ctx.paths.stateDir).filter((c) => c.tokenSource !== null || running.some((r) => r.id === c.id));
  const out: ChannelReport[] = [];
  const probes: Array<Promise<void>> = [];
  for (const r of running) {
    const c = configured.find((x) => x.id === r.id);
    out.push(report(ctx, r, c ?? null, env));
  }
  for (const c of configured) {
    if (running.some((r) => r.id === c.id)) continue;
    const why = !c.enabled ? `disabled (channels.${c.id}.enabled is false)` : "configured but not running in this gateway (see `onebrain logs`)";
    out.push(report(ctx, { id: c.id, account: c.account ?? "unknown", state: "stopped", detail: why } as ChannelStatus, c, env));
  }
  if (o.probe) {
    for (const entry of out) {
      const c = configured.find((x) => x.id === entry.id);
      const probe = c ? probeChannel(c, ctx.paths.stateDir, o.timeoutMs ?? 5000) : null;
      if (probe) probes.push(probe.then((p) => void (entry.probe = p)));
    }
    await Promise.all(probes);
  }
  return out;
}

function report(ctx: GatewayContext, s: ChannelStatus, c: ConfiguredChannel | null, env: NodeJS.ProcessEnv): ChannelReport {
  const activity = channelActivity(ctx.brain.store, s.id, s.account);
  const lease = c ? leaseOf(c, env) : null;
  const health = ctx.brain.brain.channel(s.id, s.account)?.health?.();
  return {
    ...(health ? { health } : {}),
    ...s,
    enabled: c?.enabled ?? true,
    token: c?.tokenSource ? { source: c.tokenSource, masked: c.tokenMasked } : null,
    ...(c?.companion ? { companion: c.companion } : {}),
    apiRoot: c?.apiRoot ?? null,
    ...activity,
    lease: lease ? { ...lease, mine: lease.holder?.pid === process.pid } : null,
  };
}

/** A pairing row as the protocol shows it; null for an expired request (the channel removes those). */
export function pairingView(r: PairingRow, now: number): PairingView | null {
  const approved = r.approved_at !== null;
  if (!approved && r.expires_at <= now) return null;
  return {
    channel: r.channel,
    account: r.account,
    sender: r.sender,
    name: r.sender_name,
    peer: r.peer,
    state: approved ? "approved" : "pending",
    code: approved ? null : r.code,
    createdAt: r.created_at,
    expiresAt: approved ? null : r.expires_at,
    approvedAt: r.approved_at,
    approvedBy: r.approved_by,
  };
}

/** The message of a refused approval (also used by the CLI when it approves on the store itself). */
export function noPendingPairing(channel: string, code: string): string {
  return `no pending pairing with code ${code} for ${channel} (expired codes are removed after 1 h)`;
}

export const channelHandlers: Record<"channels.status" | "pairing.list" | "pairing.approve", Handler> = {
  /** Each channel's state, traffic and lease; with `probe`, a live look-up of who each credential is. */
  async "channels.status"(params, ctx) {
    const p = (params ?? {}) as { probe?: boolean };
    return { channels: await channelReports(ctx, { probe: Boolean(p.probe) }) };
  },
  /** Pending (with their codes) and approved pairings, newest first. */
  "pairing.list"(params, ctx) {
    const p = (params ?? {}) as { channel?: string };
    const now = Date.now();
    const pairings = listPairings(ctx.brain.store, p.channel)
      .map((r) => pairingView(r, now))
      .filter((v): v is PairingView => v !== null);
    return { pairings };
  },
  /** Lets the sender of a pending code in; its next message reaches the agent. */
  "pairing.approve"(params, ctx, caller) {
    const p = params as { channel: string; code: string };
    const code = p.code.trim();
    const row = approvePairing(ctx.brain.store, p.channel, code, caller.clientId);
    if (!row) throw new RpcError("INVALID_REQUEST", noPendingPairing(p.channel, code), { channel: p.channel, code });
    ctx.logger.info({ channel: p.channel, sender: row.sender, by: caller.clientId }, "pairing approved");
    return { approved: true, channel: p.channel, sender: row.sender, name: row.sender_name ?? null };
  },
};
