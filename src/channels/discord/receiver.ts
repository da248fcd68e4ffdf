/**
 * What the Discord channel does with each dispatch, strictly in arrival order (one queue):
 * a MESSAGE_CREATE is decided (inbound.ts) and stored with the cursor (session id + its seq +
 * channels seen) in one `ctx.ingest`; only once that resolved does the session's seq move past
 * it, so a RESUME after a drop or a crash asks Discord for everything not stored yet. Other
 * dispatches move the seq as soon as they are handled. A failed ingest stops the queue: the
 * connection is closed and RESUMEd from the last stored seq (Discord sends the rest again).
 *
 * Slash commands are acknowledged at arrival (Discord allows 3 s, the queue may be busy with a
 * backfill), then stored in order like a message.
 */
import type { REST } from "@discordjs/rest";
import { Routes, type GatewayDispatchPayload } from "discord-api-types/v10";
import type { Logger } from "pino";
import type { LeaseResult } from "../../lock/lease.ts";
import type { ChannelContext, InboundMessage } from "../channel.ts";
import { backfill } from "./backfill.ts";
import { ackInteraction, registerCommands } from "./commands.ts";
import { encodeCursor, noteChannel, recentChannels, type SeenChannel } from "./cursor.ts";
import type { GatewaySession } from "./gateway.ts";
import {
  decideInteraction,
  decideMessage,
  pairingText,
  type DiscordInteraction,
  type DiscordMessage,
  type InboundContext,
  type PairingAsk,
} from "./inbound.ts";
import type { DiscordSender } from "./send.ts";
import type { DiscordSettings } from "./settings.ts";

/** What the receiver and the channel share: who the bot is, the session, the channels seen. */
export interface Shared {
  botId: string | null;
  applicationId: string | null;
  session: GatewaySession | null;
  channels: Map<string, SeenChannel>;
  /** Thread id -> parent channel id (threads inherit their parent's rule). */
  parents: Map<string, string>;
}

/** What the receiver needs from the channel. */
export interface ReceiverOptions {
  shared: Shared;
  rest: REST;
  ctx: ChannelContext;
  settings: () => DiscordSettings;
  sender: DiscordSender;
  lease: () => Extract<LeaseResult, { ok: true }> | null;
  /** A fresh session is READY (who the bot is, the state); commands and the backfill follow here. */
  onReady(d: { user: { id: string }; application: { id: string }; session_id: string; resume_gateway_url: string }): void;
  /** Aborted when the channel stops (ends a backfill). */
  stop: AbortSignal;
  onResumed(): void;
  /** Handling failed: close the connection so that it RESUMEs from the last stored seq. */
  onBroken(err: unknown): void;
}

type Dispatch = GatewayDispatchPayload & { s: number; t: string; d: unknown };

/** The ordered handling of one channel's dispatches. */
export class Receiver {
  private readonly o: ReceiverOptions;
  private tail: Promise<void> = Promise.resolve();
  /** Dispatches of connections before this generation are dropped (their connection broke). */
  private floorGen = 0;
  /** Codes already sent in this process: a stranger gets theirs once. */
  private readonly codesSent = new Set<string>();

  constructor(o: ReceiverOptions) {
    this.o = o;
  }

  private get log(): Logger {
    return this.o.ctx.logger;
  }

  /** Queues one dispatch of connection `gen`. Never throws. */
  push(p: GatewayDispatchPayload, gen: number): void {
    // Acked at arrival; stored in order once the ack is done, so that the reply finds it pending (send.ts).
    const acked = p.t === "INTERACTION_CREATE" ? this.ack(p.d as unknown as DiscordInteraction) : undefined;
    this.tail = this.tail.then(async () => {
      await acked;
      if (gen < this.floorGen || this.o.stop.aborted) return;
      try {
        await this.handle(p as Dispatch);
      } catch (err) {
        this.floorGen = gen + 1;
        this.o.onBroken(err);
      }
    });
  }

  /** Resolves once everything queued so far is handled. */
  drained(): Promise<void> {
    return this.tail;
  }

  private async handle(p: Dispatch): Promise<void> {
    const sh = this.o.shared;
    if (p.t === "READY") {
      const d = p.d as Parameters<ReceiverOptions["onReady"]>[0];
      sh.session = { sessionId: d.session_id, resumeUrl: d.resume_gateway_url, seq: p.s };
      this.o.onReady(d);
      // Stored at once: a crash from here on RESUMEs this session (Discord replays what it sent since).
      await this.store([], p.s);
      await this.fresh(d.application.id);
      return;
    }
    // A replay after RESUME of what was handled already.
    if (sh.session && p.s <= sh.session.seq) return;
    if (p.t === "RESUMED") this.o.onResumed();
    else if (p.t === "MESSAGE_CREATE") await this.messages([p.d as unknown as DiscordMessage], p.s);
    else if (p.t === "INTERACTION_CREATE") await this.interaction(p.d as unknown as DiscordInteraction, p.s);
    else this.noteThreads(p);
    if (sh.session && p.s > sh.session.seq) sh.session.seq = p.s;
  }

  /** After a fresh session: the slash commands registered (if set), the channels seen lately read back (backfill.ts). */
  private async fresh(applicationId: string): Promise<void> {
    const s = this.o.settings();
    if (s.commands) void registerCommands(this.o.rest, applicationId, this.log);
    const channels = recentChannels(this.o.shared.channels, Date.now(), s.backfillHours);
    if (!channels.length) return;
    const r = await backfill({ rest: this.o.rest, channels, logger: this.log, signal: this.o.stop, handle: (_c, page) => this.messages(page, null) });
    this.log.info(r, "discord backfill after a fresh session");
  }

  /** Stores messages (live: one; backfill: a page) with the cursor, then answers strangers. `seq` null: a backfill (the seq does not move). */
  async messages(list: readonly DiscordMessage[], seq: number | null): Promise<void> {
    const sh = this.o.shared;
    const out: InboundMessage[] = [];
    const asks: PairingAsk[] = [];
    for (const m of list) {
      const parent = sh.parents.get(m.channel_id);
      noteChannel(sh.channels, m.channel_id, m.id, { ...(m.guild_id ? { guild: m.guild_id } : {}), ...(parent ? { parent } : {}) });
      this.o.sender.noteSeen(m.channel_id, m.id);
      const d = decideMessage(m, this.inboundContext());
      if (d.kind === "ingest") out.push(d.message);
      else if (d.kind === "pairing") asks.push(d.ask);
    }
    await this.store(out, seq);
    for (const a of asks) await this.pairing(a);
  }

  private async interaction(i: DiscordInteraction, seq: number): Promise<void> {
    const d = decideInteraction(i, this.inboundContext());
    await this.store(d.kind === "ingest" ? [d.message] : [], seq);
  }

  /** One ingest with the cursor as it will be once these are stored; the seq moves only after it resolved. */
  private async store(messages: InboundMessage[], seq: number | null): Promise<void> {
    const sh = this.o.shared;
    const session = sh.session && seq !== null ? { ...sh.session, seq: Math.max(seq, sh.session.seq) } : sh.session;
    const cursor = encodeCursor({ session, channels: sh.channels });
    await this.o.ctx.ingest({ messages, cursor });
    if (session && sh.session) sh.session.seq = session.seq;
    // The lease's hand-over record is small (512 bytes): the session only, enough for a standby to RESUME.
    this.o.lease()?.handOver(encodeCursor({ session, channels: new Map() }));
  }

  /** Acknowledges a slash command at once (deferred) when it will be stored; a stranger gets the pairing text instead. Never throws. */
  private ack(i: DiscordInteraction): Promise<void> {
    const d = decideInteraction(i, this.inboundContext());
    if (d.kind === "skip") return Promise.resolve();
    const run = async () => {
      if (d.kind === "ingest") {
        await ackInteraction(this.o.rest, i);
        this.o.sender.interactionPending(i.id, i.token, d.message.peer);
        return;
      }
      const code = this.o.ctx.access?.requestPairing(d.ask).code ?? "";
      // 4: a message at once; flags 64: only the stranger sees it.
      await this.o.rest.post(Routes.interactionCallback(i.id, i.token), {
        body: { type: 4, data: { content: pairingText(code, d.ask.sender), flags: 64 } },
        auth: false,
      });
    };
    return run().catch((err: unknown) => this.log.warn({ interaction: i.id, error: (err as Error).message }, "discord: could not acknowledge a slash command"));
  }

  /** Sends a stranger their pairing code, once per code in this process. Never throws. */
  private async pairing(a: PairingAsk): Promise<void> {
    try {
      const r = this.o.ctx.access!.requestPairing(a);
      if (this.codesSent.has(r.code)) return;
      this.codesSent.add(r.code);
      if (r.isNew)
        this.log.info(
          { sender: a.sender, name: a.senderName, code: r.code },
          "discord: an unknown sender asked for access; approve with `onebrain pairing approve discord CODE`",
        );
      await this.o.rest.post(Routes.channelMessages(a.peer), { body: { content: pairingText(r.code, a.sender), allowed_mentions: { parse: [] } } });
    } catch (err) {
      this.log.warn({ sender: a.sender, error: (err as Error).message }, "discord: could not send a pairing code");
    }
  }

  /** Threads and their parents, from GUILD_CREATE, THREAD_CREATE/UPDATE, CHANNEL_CREATE and THREAD_LIST_SYNC. */
  private noteThreads(p: Dispatch): void {
    const d = p.d as { threads?: Array<{ id: string; parent_id?: string | null }>; id?: string; parent_id?: string | null; type?: number };
    const note = (c: { id?: string; parent_id?: string | null }) => {
      if (c.id && c.parent_id) this.o.shared.parents.set(c.id, c.parent_id);
    };
    if (p.t === "GUILD_CREATE" || p.t === "THREAD_LIST_SYNC") for (const t of d.threads ?? []) note(t);
    // Threads are channel types 10, 11, 12.
    if ((p.t === "THREAD_CREATE" || p.t === "THREAD_UPDATE" || p.t === "CHANNEL_CREATE") && d.type !== undefined && d.type >= 10 && d.type <= 12) note(d);
  }

  private inboundContext(): InboundContext {
    const sh = this.o.shared;
    return { botId: sh.botId ?? "", settings: this.o.settings(), access: this.o.ctx.access, parentOf: (c) => sh.parents.get(c) ?? sh.channels.get(c)?.parent };
  }
}
