/**
 * The Discord channel: one Gateway session (gateway.ts, over @discordjs/ws) to receive, REST
 * (@discordjs/rest, rest.ts) to send. See docs/discord.md.
 *
 * 1. The credential lease first (src/lock/lease.ts): one Gateway session per bot token on the
 *    whole host. A loser's state is `conflict` naming the holder; it looks again every few
 *    seconds and takes over when the holder is gone (with the session it handed over).
 * 2. Connections are opened by the loop below and each is retired at its first close; what comes
 *    next (RESUME, IDENTIFY, wait, stop) is the supervisor's decision (supervisor.ts), never the
 *    lib's. The session to RESUME is the one in the committed cursor (cursor.ts), so a restart or
 *    a kill -9 RESUMEs from the last stored message.
 * 3. Dispatches are handled in order (receiver.ts): messages are stored with the cursor before
 *    the seq moves. After a fresh session, channels seen lately are read back (backfill.ts).
 * 4. Replies go out through DiscordSender (send.ts): nonce-deduped for minutes, looked for in the
 *    channel after that (sendFloor/checkSent), never a blind resend.
 * Nothing Discord does escapes this class: no throw, no unhandled rejection.
 */
import type { REST } from "@discordjs/rest";
import { Routes, type APIGatewayBotInfo } from "discord-api-types/v10";
import type { acquireCredentialLease, LeaseHolder, LeaseResult } from "../../lock/lease.ts";
import { jittered, pause } from "../../shared/backoff.ts";
import type { Channel, ChannelContext, ChannelState, Delivered, DeliveryProgress, OutboundMessage, SendCheck, SendInDoubt } from "../channel.ts";
import { discordBotId } from "./credential.ts";
import { decodeCursor } from "./cursor.ts";
import { GatewayFacts } from "./health.ts";
import { BASE_INTENTS, GatewayConnection, MESSAGE_CONTENT_INTENT } from "./gateway.ts";
import { logConflict, tryLease } from "./lease.ts";
import { Receiver, type Shared } from "./receiver.ts";
import { createRest } from "./rest.ts";
import { DiscordSender } from "./send.ts";
import type { DiscordSettings } from "./settings.ts";
import { afterFailure, budgetWait } from "./trouble.ts";
import { MESSAGE_CONTENT_DETAIL, Supervisor, TOKEN_REFUSED, type IdentifyBudget, type SupervisorTiming } from "./supervisor.ts";

export const DISCORD = "discord";

export interface DiscordChannelOptions {
  token: string;
  settings: () => DiscordSettings;
  holder: Omit<LeaseHolder, "pid">;
  env?: NodeJS.ProcessEnv;
  acquireLease?: typeof acquireCredentialLease;
  timing?: Partial<SupervisorTiming> & { leaseRecheckMs?: number };
  random?: () => number;
}

type Lease = Extract<LeaseResult, { ok: true }>;
/** The budget a RESUME does not spend (only an IDENTIFY reads GET /gateway/bot's). */
const NO_BUDGET = { total: 0, remaining: 0, reset_after: 0, max_concurrency: 1 };

/** The Discord channel of one bot token. */
export class DiscordChannel implements Channel {
  readonly id = DISCORD;
  /** The bot's user id (the token's first segment): public, stable when the token is rotated. */
  readonly account: string;
  /** Nonces dedupe only for minutes: after a crash the core asks checkSent (send.ts) instead. */
  readonly idempotentDelivery = false;
  readonly rest: REST;
  private readonly o: DiscordChannelOptions;
  private readonly random: () => number;
  private readonly stopper = new AbortController();
  private readonly sup: Supervisor;
  private readonly shared: Shared = { botId: null, applicationId: null, session: null, channels: new Map(), parents: new Map() };
  private ctx: ChannelContext | undefined;
  private sender: DiscordSender | undefined;
  private receiver: Receiver | undefined;
  private loop: Promise<void> | undefined;
  private lease: Lease | null = null;
  private conn: GatewayConnection | null = null;
  private gen = 0;
  private state: ChannelState = { state: "stopped" };
  private withoutContent = false;
  /** When the Gateway connection last stopped working (null while it works). */
  private troubleSince: number | null = null;
  private readonly facts = new GatewayFacts();

  constructor(o: DiscordChannelOptions) {
    this.o = o;
    this.random = o.random ?? Math.random;
    this.account = discordBotId(o.token) ?? "default";
    this.shared.botId = discordBotId(o.token);
    this.sup = new Supervisor({ ...(o.timing ? { timing: o.timing } : {}), random: this.random });
    this.rest = createRest({ token: o.token, apiRoot: o.settings().apiRoot, env: o.env ?? process.env });
  }

  async start(ctx: ChannelContext): Promise<void> {
    this.ctx = ctx;
    if (ctx.signal.aborted) this.stopper.abort();
    else ctx.signal.addEventListener("abort", () => this.stopper.abort(), { once: true });
    const saved = decodeCursor(ctx.cursor());
    this.shared.session = saved.session;
    this.shared.channels = saved.channels;
    for (const [id, ch] of saved.channels) if (ch.parent) this.shared.parents.set(id, ch.parent);
    this.sender = new DiscordSender({
      rest: this.rest,
      settings: this.o.settings,
      botId: () => this.shared.botId,
      applicationId: () => this.shared.applicationId,
      logger: ctx.logger,
    });
    this.receiver = new Receiver({
      shared: this.shared,
      rest: this.rest,
      ctx,
      settings: this.o.settings,
      sender: this.sender,
      lease: () => this.lease,
      onReady: (d) => this.ready(d),
      stop: this.stopper.signal,
      onResumed: () => {
        this.facts.resumes++;
        this.facts.sessionSince ||= Date.now();
        this.connected("resumed");
      },
      onBroken: (err) => {
        ctx.logger.warn({ error: (err as Error).message }, "discord: a dispatch could not be stored; resuming from the last stored one");
        void this.conn?.close();
      },
    });
    this.setState({ state: "starting" });
    this.loop = this.run().catch((err: unknown) => {
      ctx.logger.error({ error: (err as Error).message }, "discord gateway loop ended unexpectedly");
      this.setState({ state: "failed", reason: `the gateway loop stopped: ${(err as Error).message}` });
    });
  }

  deliver(m: OutboundMessage, signal: AbortSignal, progress?: DeliveryProgress): Promise<Delivered> {
    return this.sender ? this.sender.deliver(m, signal, progress) : Promise.reject(new Error("the discord channel is not started"));
  }

  sendFloor(m: OutboundMessage, prior: number | null): number | null {
    return this.sender ? this.sender.sendFloor(m, prior) : prior;
  }

  checkSent(d: SendInDoubt, signal: AbortSignal): Promise<SendCheck> {
    return this.sender ? this.sender.checkSent(d, signal) : Promise.reject(new Error("the discord channel is not started"));
  }

  typing(target: string, active: boolean): void {
    if (this.state.state === "failed" || this.stopper.signal.aborted) return;
    this.sender?.typing(target, active);
  }

  health(): Record<string, string | number | boolean | null> {
    return this.facts.report({
      sessionHeld: this.shared.session !== null,
      intents: this.intents(),
      messageContent: (this.intents() & MESSAGE_CONTENT_INTENT) !== 0,
      leaseHolder: this.lease ? `this gateway (pid ${process.pid})` : this.state.state === "conflict" ? this.state.detail : null,
    });
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await this.conn?.close();
    await this.loop;
    // An ingest under way ends before the store closes; the rest of the queue is dropped (RESUMEd next time).
    await this.receiver?.drained();
    this.sender?.stop();
    this.lease?.release();
    this.lease = null;
    this.setState({ state: "stopped" });
  }

  private setState(s: ChannelState): void {
    this.state = s;
    this.ctx?.setState(s);
  }

  private intents(): number {
    return BASE_INTENTS | (this.o.settings().messageContent && !this.withoutContent ? MESSAGE_CONTENT_INTENT : 0);
  }

  private connected(how: string): void {
    this.troubleSince = null;
    if (this.withoutContent) this.setState({ state: "degraded", since: Date.now(), detail: MESSAGE_CONTENT_DETAIL });
    else this.setState({ state: "connected", since: Date.now() });
    this.ctx!.logger.info({ account: this.account, how, seq: this.shared.session?.seq }, "discord connected");
  }

  /** A fresh session: who the bot is; the receiver then registers commands and reads back (receiver.ts). */
  private ready(d: { user: { id: string }; application: { id: string } }): void {
    this.shared.botId = d.user.id;
    this.shared.applicationId = d.application.id;
    this.facts.sessionSince = Date.now();
    this.connected("identified");
  }

  private async run(): Promise<void> {
    const signal = this.stopper.signal;
    const log = this.ctx!.logger;
    let mode: "resume" | "identify" = this.shared.session ? "resume" : "identify";
    while (!signal.aborted) {
      if (!this.lease && !this.takeLease()) {
        await this.sleep(jittered(this.o.timing?.leaseRecheckMs ?? 5000, this.random));
        continue;
      }
      if (!this.shared.session) mode = "identify";
      // A RESUME goes to the session's own URL: GET /gateway/bot (and its budget) is needed only to IDENTIFY.
      let info: APIGatewayBotInfo = { url: this.shared.session?.resumeUrl ?? "", shards: 1, session_start_limit: NO_BUDGET };
      if (mode === "identify") {
        try {
          info = await this.gatewayInfo();
        } catch (err) {
          if (signal.aborted) break;
          if ((err as { status?: number }).status === 401) return this.fail(TOKEN_REFUSED.replace("close 4004", "401 Unauthorized"));
          await this.retryLater(`GET /gateway/bot: ${(err as Error).message}`);
          continue;
        }
        const budget: IdentifyBudget = { remaining: info.session_start_limit.remaining, resetAfterMs: info.session_start_limit.reset_after };
        const wait = this.sup.identifyWaitMs(budget);
        if (wait > 1000)
          log.warn({ waitMs: wait, remaining: budget.remaining }, "discord: waiting before a new Gateway session (IDENTIFY spacing or daily budget)");
        const long = budgetWait(wait, budget.remaining, (this.troubleSince ??= Date.now()));
        if (long) this.setState(long);
        if (wait > 0) await this.sleep(wait);
        if (signal.aborted) break;
      }
      const gen = ++this.gen;
      const conn = new GatewayConnection({
        token: this.o.token,
        intents: this.intents(),
        gateway: info,
        resume: mode === "resume" ? this.shared.session : null,
        session: () => this.shared.session,
        onDispatch: (p) => this.receiver!.push(p, gen),
        onIdentify: () => {
          this.sup.noteIdentify();
          this.facts.identifies++;
        },
        onHeartbeat: (rtt) => (this.facts.rttMs = rtt),
      });
      this.conn = conn;
      const closed = await conn.closed;
      this.conn = null;
      if (signal.aborted) break;
      const next = this.sup.afterClose(closed, this.shared.session !== null);
      if (next.kind === "stop") return this.fail(next.reason);
      if (next.withoutMessageContent) {
        this.withoutContent = true;
        log.warn(MESSAGE_CONTENT_DETAIL);
      }
      mode = next.mode;
      log.warn({ code: closed.code, reason: closed.reason, next: next.mode, why: next.why, retryInMs: next.delayMs }, "discord gateway connection closed");
      const lastError = closed.reason || `close ${closed.code}`;
      this.setState(afterFailure({ attempt: this.sup.attempt, since: (this.troubleSince ??= Date.now()), lastError, next, now: Date.now() }));
      await this.sleep(next.delayMs);
    }
  }

  /** GET /gateway/bot (the URL and the daily IDENTIFY budget); a configured gatewayUrl wins for the URL. */
  private async gatewayInfo(): Promise<APIGatewayBotInfo> {
    const info = (await this.rest.get(Routes.gatewayBot(), { signal: this.stopper.signal })) as APIGatewayBotInfo;
    const url = this.o.settings().gatewayUrl;
    return url ? { ...info, url } : info;
  }

  /** GET /gateway/bot failed: backoff as for a dropped connection. */
  private async retryLater(reason: string): Promise<void> {
    const next = this.sup.afterClose({ code: 0, resumed: false, established: false, healthy: false, sessionLost: false }, false);
    const delay = next.kind === "connect" ? next.delayMs : 60_000;
    const then = { mode: "identify" as const, delayMs: delay, why: "Discord's REST API did not answer" };
    this.setState(afterFailure({ attempt: this.sup.attempt, since: (this.troubleSince ??= Date.now()), lastError: reason, next: then, now: Date.now() }));
    this.ctx!.logger.warn({ error: reason, retryInMs: delay }, "discord: could not reach the Gateway; retrying");
    await this.sleep(delay);
  }

  private fail(reason: string): void {
    this.ctx!.logger.error({ reason }, "discord channel stops (no retries)");
    this.setState({ state: "failed", reason });
    this.lease?.release();
    this.lease = null;
  }

  /** Takes the host-wide lease of the token; false (and state conflict naming the holder) when another brain has it. */
  private takeLease(): boolean {
    const log = this.ctx!.logger;
    const o = this.o;
    const t = tryLease({
      kind: DISCORD,
      token: o.token,
      holder: o.holder,
      ...(o.env ? { env: o.env } : {}),
      ...(o.acquireLease ? { acquire: o.acquireLease } : {}),
    });
    if (!t.ok) {
      if (this.state.state !== "conflict" || this.state.detail !== t.detail) {
        logConflict(log, DISCORD, t);
        this.setState({ state: "conflict", detail: t.detail });
      }
      return false;
    }
    if (this.state.state === "conflict") log.info("discord: the token's lease is free again; this gateway connects now");
    this.lease = t.lease;
    // The holder before us handed over its session: RESUME it when we have none of our own.
    if (t.handedOver && !this.shared.session) this.shared.session = t.handedOver;
    this.setState({ state: "starting" });
    return true;
  }

  private sleep(ms: number): Promise<void> {
    return pause(ms, this.stopper.signal);
  }
}
