/**
 * `onebrain channels status [--probe]`: each channel's state from the running gateway (RPC
 * `channels.status`); when no gateway runs, what the config sets up, said plainly. `--probe`
 * asks the platform who the bot is (from the gateway, or from here when it is down).
 */
import { configuredChannels, leaseOf, probeChannel } from "../../channels/inspect.ts";
import { platformOf } from "../../channels/platforms.ts";
import { connectGateway } from "../../client/gateway-client.ts";
import { loadBrainConfig } from "../../config/load.ts";
import { gatewayTarget } from "../../diagnostics/target.ts";
import { inspectLock, describeHolder } from "../../lock/inspect.ts";
import { describeLeaseHolder } from "../../lock/lease.ts";
import type { ChannelReport } from "../../server/rpc-channels.ts";
import { hasCode, OnebrainError } from "../../shared/errors.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";
import { formatDuration, printJson, printLines } from "../output.ts";

/** One channel as this command shows it: a `channels.status` entry, or what the config says when the gateway is down. */
export interface ChannelLine {
  id: string;
  account: string | null;
  /** A channel state (docs/protocol.md), or, without a gateway: `not running`, `disabled`, `not configured`. */
  state: string;
  since?: number;
  attempt?: number;
  nextAttemptAt?: number;
  lastError?: string;
  detail?: string;
  reason?: string;
  /** The error code of a failed channel, when there is one (WHATSAPP_LOGGED_OUT). */
  code?: string;
  enabled?: boolean;
  token?: ChannelReport["token"];
  companion?: ChannelReport["companion"];
  apiRoot?: string | null;
  lastInboundAt?: number | null;
  lastOutboundAt?: number | null;
  lease?: ChannelReport["lease"];
  probe?: ChannelReport["probe"];
  health?: ChannelReport["health"];
}

export interface ChannelsStatus {
  gateway: { running: boolean; pid: number | null; note: string | null };
  channels: ChannelLine[];
}

/** The status: over RPC from the running gateway, else from the config (and `--probe` from here). */
export async function channelsStatus(global: GlobalOptions, o: { probe: boolean; timeoutMs: number; env?: NodeJS.ProcessEnv }): Promise<ChannelsStatus> {
  const env = o.env ?? process.env;
  const paths = brainPaths(global);
  const lock = inspectLock(paths.lockPath, paths.ownerPath);
  let note: string | null = null;
  if (lock.status !== "free") {
    const target = gatewayTarget(paths, env);
    try {
      const conn = await connectGateway({ url: target.url, token: target.auth.token, password: target.auth.password, timeoutMs: o.timeoutMs });
      try {
        const r = await conn.request<{ channels: ChannelReport[] }>("channels.status", { probe: o.probe }, o.timeoutMs + (o.probe ? 6000 : 0));
        return { gateway: { running: true, pid: lock.holderPid, note: null }, channels: r.channels as ChannelLine[] };
      } finally {
        await conn.closeWithin(200);
      }
    } catch (err) {
      if (!hasCode(err, "GATEWAY_UNREACHABLE") && !hasCode(err, "TIMEOUT")) throw err;
      note = `this brain is held by ${describeHolder(lock)}, but it does not answer at ${target.url} (${(err as Error).message}): showing the config only`;
    }
  }
  const { config } = loadBrainConfig(paths);
  const channels: ChannelLine[] = [];
  for (const c of configuredChannels(config, env, paths.stateDir)) {
    const token = c.secret();
    const entry: ChannelLine = {
      id: c.id,
      account: c.account,
      state: !token ? "not configured" : c.enabled ? "not running" : "disabled",
      enabled: c.enabled,
      token: c.tokenSource ? { source: c.tokenSource, masked: c.tokenMasked } : null,
      ...(c.companion ? { companion: c.companion } : {}),
      apiRoot: c.apiRoot,
    };
    const lease = leaseOf(c, env);
    entry.lease = lease ? { ...lease, mine: false } : null;
    const probe = o.probe ? probeChannel(c, paths.stateDir) : null;
    if (probe) entry.probe = await probe;
    channels.push(entry);
  }
  return { gateway: { running: false, pid: null, note: note ?? "the gateway is not running: this is what the config sets up" }, channels };
}

const setupOf = (id: string) => platformOf(id)?.setup ?? `set channels.${id}`;
/** A channel's live facts in one line: `sessionAgeMs 90000` (or `sessionAgeS 90`) reads `session age 1m 30s`; nulls are left out. */
function describeHealth(h: Record<string, string | number | boolean | null>): string {
  const msPer = (k: string) => (k.endsWith("Ms") ? 1 : /[a-z]S$/.test(k) ? 1000 : null);
  const words = (k: string) => k.replace(/Ms$|(?<=[a-z])S$/, "").replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`);
  return Object.entries(h)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => {
      const unit = msPer(k);
      return `${words(k)} ${unit !== null && typeof v === "number" ? formatDuration(v * unit) : String(v)}`;
    })
    .join(", ");
}

/** Where a credential comes from, masked, or how to set it up. */
function credential(c: { source: "config" | "env" | "linked"; masked: string | null } | null, id: string, envName: string, setup: string): string {
  if (!c) return `none: ${setup}`;
  return `${c.source === "env" ? `env ${envName}` : c.source === "linked" ? "linked device" : "config"} (${c.masked})`;
}

const ago = (at: number | null | undefined, now: number): string => (at ? `${formatDuration(now - at)} ago` : "never");

/** The text lines of a status (exported for tests). */
export function renderChannels(s: ChannelsStatus, now = Date.now()): string[] {
  const lines = [s.gateway.running ? `channels (from the running gateway, pid ${s.gateway.pid ?? "?"}):` : `channels: ${s.gateway.note}`];
  for (const c of s.channels) {
    const head = [`  ${c.id.padEnd(9)} ${c.state.toUpperCase()}`];
    if (c.state === "connected" && c.since) head.push(`since ${ago(c.since, now)}`);
    if (c.state === "reconnecting")
      head.push(`attempt ${c.attempt ?? "?"}${c.nextAttemptAt ? `, next in ${formatDuration(Math.max(0, c.nextAttemptAt - now))}` : ""}`);
    if (c.account) head.push(`account ${c.account}`);
    lines.push(head.join("  "));
    const why = [c.detail, c.code ? `[${c.code}] ${c.reason ?? ""}` : c.reason, c.lastError].filter(Boolean).join("; ");
    if (why) lines.push(`    ${c.state === "connected" ? "note" : "why"}       ${why}`);
    if (c.token !== undefined && c.id !== "webchat") {
      const label = platformOf(c.id)?.linked ? "device" : "token";
      lines.push(
        `    ${label.padEnd(9)} ${credential(c.token, c.id, platformOf(c.id)?.tokenEnv ?? "", setupOf(c.id))}${c.apiRoot ? `, api ${c.apiRoot}` : ""}`,
      );
    }
    const k = c.companion;
    if (k)
      lines.push(
        `    ${k.key.split(".").pop()!.padEnd(9)} ${credential(k.source ? { source: k.source, masked: k.masked } : null, c.id, k.env, `set ${k.key} or ${k.env}`)}`,
      );
    if (s.gateway.running) lines.push(`    traffic   last inbound ${ago(c.lastInboundAt, now)}, last outbound ${ago(c.lastOutboundAt, now)}`);
    if (c.lease) {
      const h = c.lease.holder;
      const mine = h !== null && c.lease.mine;
      lines.push(
        `    lease     ${!h ? `free (nobody ${platformOf(c.id)?.linked ? "holds this number" : "polls this token"})` : mine ? `held by this gateway (pid ${h.pid})` : `held by ${describeLeaseHolder(h)}`}`,
      );
    }
    if (c.health && Object.keys(c.health).length) lines.push(`    live      ${describeHealth(c.health)}`);
    if (c.probe)
      lines.push(
        `    probe     ${c.probe.ok ? `ok in ${c.probe.latencyMs} ms: ${c.probe.identity.username === null ? "" : `@${c.probe.identity.username} `}(id ${c.probe.identity.id}${c.probe.identity.name ? `, "${c.probe.identity.name}"` : ""})` : `FAILED after ${c.probe.latencyMs} ms: ${c.probe.error}`}`,
      );
  }
  if (!s.channels.length) lines.push("  no channels");
  return lines;
}

/** The command. */
export default async function channelsStatusCommand(global: GlobalOptions, opts: { json?: boolean; probe?: boolean; timeout?: string }): Promise<void> {
  const s = await channelsStatus(global, { probe: Boolean(opts.probe), timeoutMs: Number(opts.timeout ?? 3000) });
  if (opts.json) printJson(s);
  else printLines(renderChannels(s));
  const failed = s.channels.some((c) => c.state === "conflict" || c.state === "failed" || (c.probe && !c.probe.ok));
  if (failed) process.exitCode = new OnebrainError("UNHEALTHY", "a channel is failing").exitCode;
}
