/**
 * The channels of outside platforms in a running gateway (src/channels/platforms.ts): started at
 * start for each platform the config sets up (enabled, with a credential), and, for a platform
 * linked like a phone (WhatsApp), started or stopped while the gateway runs when a device is linked
 * or unlinked. Each runs in the background and reports its state; none can stop the gateway, and
 * one that cannot even start leaves the others running. A platform's libraries load only when it
 * is configured.
 */
import type { Logger } from "pino";
import type { Brain } from "../brain/brain.ts";
import { channelCursor } from "../brain/inbox.ts";
import type { Channel, ChannelState } from "../channels/channel.ts";
import { configuredChannels, type ConfiguredChannel } from "../channels/inspect.ts";
import { leaseHolder } from "../channels/lease.ts";
import { createChannelAccess } from "../channels/pairing.ts";
import { platformOf, type PlatformId } from "../channels/platforms.ts";
import type { Config } from "../config/schema.ts";
import type { LeaseHolder } from "../lock/lease.ts";
import type { BrainPaths, Env } from "../paths/paths.ts";
import type { Store } from "../store/db.ts";

/** A channel account and its last reported state (docs/protocol.md, `status.channels`). */
export type ChannelStatus = { id: string; account: string } & ChannelState;

export interface PlatformChannels {
  /** Starts the platform's channel now if the config and state dir set it up and it is not running; the channel started, or null. */
  startPlatform(id: PlatformId): Promise<Channel | null>;
  /** Stops the platform's running channels (an unlinked device); `why` becomes their stopped state's detail. */
  stopPlatform(id: PlatformId, why: string): Promise<void>;
  /** The running channel of a platform, if any. */
  running(id: PlatformId): Channel | undefined;
  /** Who this gateway is, as recorded with the leases it takes. */
  holder: Omit<LeaseHolder, "pid">;
  stopAll(): Promise<void>;
}

export interface ChannelsRuntimeOptions {
  paths: BrainPaths;
  config: () => Readonly<Config>;
  logger: Logger;
  env: Env;
  port?: number;
  store: Store;
  brain: Brain;
  signal: AbortSignal;
  setState: (s: ChannelStatus) => void;
}

/** Starts every configured platform channel and returns the handle that starts and stops them later. */
export async function startPlatformChannels(o: ChannelsRuntimeOptions): Promise<PlatformChannels> {
  const started = new Map<string, Channel>();
  const holder = leaseHolder({ stateDir: o.paths.stateDir, profile: o.paths.profile ?? null, port: o.port ?? null });
  // One start or stop at a time: a link arriving while the gateway starts must not start the channel twice.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => {});
    return next;
  };

  /** Starts one platform's channel from its configured entry (read fresh when not given). */
  const startOne = async (id: PlatformId, given?: ConfiguredChannel): Promise<Channel | null> => {
    if (o.signal.aborted || started.has(id)) return started.get(id) ?? null;
    const c = given ?? configuredChannels(o.config(), o.env, o.paths.stateDir).find((x) => x.id === id);
    const platform = platformOf(id);
    if (!c || !platform || !c.enabled) return null;
    const token = c.secret();
    if (!token) {
      // A credential that is there but cannot be read is a failure to show, not an absent channel.
      if (c.problem) o.setState({ id, account: "unknown", state: "failed", reason: `${c.problem}; ${c.setup} again` });
      return null;
    }
    try {
      const companion = c.companionSecret();
      if (c.companion && !companion) throw new Error(`no ${c.companion.key} or ${c.companion.env}: the ${c.id} channel needs it besides ${c.tokenKey}`);
      const channel = await platform.create({
        token,
        stateDir: o.paths.stateDir,
        ...(companion ? { companion } : {}),
        config: o.config,
        holder,
        env: o.env as NodeJS.ProcessEnv,
      });
      o.brain.addChannel(channel);
      await channel.start({
        ingest: async (batch) => o.brain.ingest(channel.id, channel.account, batch),
        cursor: () => channelCursor(o.store, channel.id, channel.account),
        setState: (state) => o.setState({ id: channel.id, account: channel.account, ...state }),
        logger: o.logger.child({ channel: channel.id }),
        signal: o.signal,
        access: createChannelAccess({ store: o.store, channel: channel.id, account: channel.account, policy: () => platform.section(o.config()) }),
      });
      started.set(id, channel);
      return channel;
    } catch (err) {
      // A channel that cannot even start is reported, not fatal: WebChat and the rest keep working.
      o.logger.error({ err: (err as Error).message, channel: c.id }, `the ${c.id} channel could not start`);
      o.setState({ id: c.id, account: c.account ?? "unknown", state: "failed", reason: `could not start: ${(err as Error).message}` });
      return null;
    }
  };

  for (const c of configuredChannels(o.config(), o.env, o.paths.stateDir)) await serial(() => startOne(c.id, c));

  return {
    holder,
    startPlatform: (id) =>
      serial(async () => {
        const channel = await startOne(id);
        // Replies that waited for this channel (it was unlinked, or failed) go now.
        if (channel) void o.brain.deliver();
        return channel;
      }),
    stopPlatform: (id, why) =>
      serial(async () => {
        const channel = started.get(id);
        if (!channel) return;
        started.delete(id);
        await channel.stop();
        o.brain.removeChannel(channel);
        o.setState({ id: channel.id, account: channel.account, state: "stopped", detail: why });
      }),
    running: (id) => started.get(id),
    stopAll: () =>
      serial(async () => {
        await Promise.all([...started.values()].map((c) => c.stop()));
      }),
  };
}
