/**
 * The Slack channel: Socket Mode to receive (connection.ts, over @slack/socket-mode), the Web API
 * to send (web.ts, send.ts). See docs/slack.md.
 *
 * 1. The credential lease first (src/lock/lease.ts): one Socket Mode connection set per app token
 *    on the whole host. A loser's state is `conflict` naming the holder; it looks again every few
 *    seconds and takes over when the holder is gone.
 * 2. Connections are opened one at a time by the loop below; the next is opened only once the last
 *    one's socket is gone, so this gateway never holds two. Each `hello` says how many connections
 *    the app has: more than one is a split brain (another host, or a program, on the same app
 *    token): this gateway closes its own, reports `conflict`, and looks again every
 *    conflictRecheckMs, so Slack never splits events between two brains.
 * 3. Envelopes are stored, then acked, in order (receiver.ts).
 * 4. Replies go out through SlackSender (send.ts); a post whose answer was lost is looked up by its
 *    metadata (doubt.ts), never blindly posted again.
 * Nothing Slack does escapes this class: no throw, no unhandled rejection.
 */
import type { WebClient } from "@slack/web-api";
import type { acquireCredentialLease, LeaseHolder } from "../../lock/lease.ts";
import { jittered, pause } from "../../shared/backoff.ts";
import { logConflict, tryLease, type Lease } from "../lease.ts";
import type { Channel, ChannelContext, ChannelState, Delivered, DeliveryProgress, OutboundMessage, SendCheck, SendInDoubt } from "../channel.ts";
import { SocketConnection } from "./connection.ts";
import { slackAppId, tokenFormProblem } from "./credential.ts";
import { decodeCursor, type Threads } from "./cursor.ts";
import { Receiver, type BotIdentity } from "./receiver.ts";
import { SlackSender } from "./send.ts";
import { DEFAULT_TIMING, type SlackSettings, type SlackTiming } from "./settings.ts";
import { afterEnd, troubleState } from "./trouble.ts";
import { createWeb, describeFailure, failureOf } from "./web.ts";

export const SLACK = "slack";

export interface SlackChannelOptions {
  appToken: string;
  botToken: string;
  settings: () => SlackSettings;
  holder: Omit<LeaseHolder, "pid">;
  env?: NodeJS.ProcessEnv;
  acquireLease?: typeof acquireCredentialLease;
  timing?: Partial<SlackTiming> & { leaseRecheckMs?: number };
  random?: () => number;
}

export class SlackChannel implements Channel {
  readonly id = SLACK;
  /** The app's id (from the app-level token): public, stable when the tokens are rotated. */
  readonly account: string;
  /** Slack has no idempotency key for posts: a part in doubt is looked up by its metadata (doubt.ts). */
  readonly idempotentDelivery = false;
  private readonly o: SlackChannelOptions;
  private readonly timing: SlackTiming;
  private readonly random: () => number;
  private readonly stopper = new AbortController();
  private readonly bot: BotIdentity = { userId: null, botId: null };
  private web!: WebClient;
  private threads: Threads = new Map();
  private ctx: ChannelContext | undefined;
  private sender: SlackSender | undefined;
  private receiver: Receiver | undefined;
  private loop: Promise<void> | undefined;
  private lease: Lease | null = null;
  private conn: SocketConnection | null = null;
  private state: ChannelState = { state: "stopped" };
  /** Failed connections in a row, and since when. */
  private attempt = 0;
  private troubleSince: number | null = null;
  /** The app's open connections the last `hello` counted (this one included). */
  private numConnections: number | null = null;
  private splitSeen = false;
  /** Hellos in a row that counted another connection. */
  private conflictStreak = 0;
  private readonly facts = { connects: 0, refreshes: 0, deafReplaced: 0, conflicts: 0, connectedSince: 0 };

  constructor(o: SlackChannelOptions) {
    this.o = o;
    this.timing = { ...DEFAULT_TIMING, ...o.timing };
    this.random = o.random ?? Math.random;
    this.account = slackAppId(o.appToken) ?? "default";
  }

  async start(ctx: ChannelContext): Promise<void> {
    this.ctx = ctx;
    if (ctx.signal.aborted) this.stopper.abort();
    else ctx.signal.addEventListener("abort", () => this.stopper.abort(), { once: true });
    const bad = tokenFormProblem("app", this.o.appToken) ?? tokenFormProblem("bot", this.o.botToken);
    if (bad) return this.fail(bad);
    this.threads = decodeCursor(ctx.cursor());
    const web = createWeb({ token: this.o.botToken, apiRoot: this.o.settings().apiRoot, env: this.o.env ?? process.env, logger: ctx.logger });
    this.web = web;
    this.sender = new SlackSender({ web, settings: this.o.settings, logger: ctx.logger, timing: this.timing });
    this.receiver = new Receiver({
      ctx,
      web,
      settings: this.o.settings,
      sender: this.sender,
      bot: this.bot,
      threads: this.threads,
      timing: this.timing,
      stop: this.stopper.signal,
    });
    this.setState({ state: "starting" });
    this.loop = this.run().catch((err: unknown) => {
      ctx.logger.error({ error: (err as Error).message }, "slack connection loop ended unexpectedly");
      this.setState({ state: "failed", reason: `the connection loop stopped: ${(err as Error).message}` });
    });
  }

  deliver(m: OutboundMessage, signal: AbortSignal, progress?: DeliveryProgress): Promise<Delivered> {
    return this.sender ? this.sender.deliver(m, signal, progress) : Promise.reject(new Error("the slack channel is not started"));
  }

  checkSent(d: SendInDoubt, signal: AbortSignal): Promise<SendCheck> {
    return this.sender ? this.sender.checkSent(d, signal) : Promise.reject(new Error("the slack channel is not started"));
  }

  typing(target: string, active: boolean): void {
    if (this.state.state === "failed" || this.stopper.signal.aborted) return;
    this.sender?.typing(target, active);
  }

  health(): Record<string, string | number | boolean | null> {
    const r = this.receiver?.facts;
    return {
      socketConnections: this.numConnections,
      connectedAgeMs: this.facts.connectedSince ? Date.now() - this.facts.connectedSince : null,
      connects: this.facts.connects,
      refreshes: this.facts.refreshes,
      deafReplaced: this.facts.deafReplaced,
      splitBrainSeen: this.facts.conflicts,
      envelopes: r?.envelopes ?? 0,
      redeliveries: r?.redeliveries ?? 0,
      lastEnvelopeAgoMs: r?.lastEnvelopeAt ? Date.now() - r.lastEnvelopeAt : null,
      botUser: this.bot.userId,
      leaseHolder: this.lease ? `this gateway (pid ${process.pid})` : this.state.state === "conflict" ? this.state.detail : null,
    };
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await this.conn?.close();
    await this.loop;
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

  private async run(): Promise<void> {
    const signal = this.stopper.signal;
    const log = this.ctx!.logger;
    while (!signal.aborted) {
      if (!this.lease && !this.takeLease()) {
        await this.sleep(jittered(this.o.timing?.leaseRecheckMs ?? 5000, this.random));
        continue;
      }
      if (!this.bot.userId && !(await this.whoAmI())) continue;
      if (signal.aborted) break;
      this.splitSeen = false;
      const conn = new SocketConnection({
        appToken: this.o.appToken,
        apiRoot: this.o.settings().apiRoot,
        env: this.o.env ?? process.env,
        logger: log,
        helloTimeoutMs: this.timing.helloTimeoutMs,
        deafAfterMs: this.o.settings().deafAfterSeconds * 1000,
        onHello: (n) => this.hello(n, conn),
        onEnvelope: (e) => this.receiver!.push(e),
      });
      this.conn = conn;
      const opened = Date.now();
      const end = await conn.closed;
      this.conn = null;
      this.numConnections = null;
      this.facts.connectedSince = 0;
      if (signal.aborted) break;
      if (this.splitSeen) {
        await this.sleep(jittered(this.recheckMs(), this.random));
        continue;
      }
      if (end.reason.includes("deaf")) this.facts.deafReplaced++;
      if (end.asked) this.facts.refreshes++;
      const next = afterEnd(end, { lastedMs: Date.now() - opened, attempt: this.attempt, timing: this.timing, random: this.random });
      if (next.kind === "stop") return this.fail(next.reason);
      if (next.failed) {
        this.attempt++;
        this.troubleSince ??= Date.now();
        this.setState(troubleState({ attempt: this.attempt, since: this.troubleSince, lastError: end.reason, delayMs: next.delayMs, now: Date.now() }));
        log.warn({ reason: end.reason, attempt: this.attempt, retryInMs: next.delayMs }, "slack connection failed; retrying");
      } else {
        this.attempt = 0;
        log.info({ reason: end.reason, next: next.why }, "slack connection ended; reconnecting");
      }
      await this.sleep(next.delayMs);
    }
  }

  /** `hello`: one connection (ours) is the normal case; more is a split brain, and ours is closed. */
  private hello(n: number, conn: SocketConnection): void {
    const log = this.ctx!.logger;
    this.numConnections = n;
    if (n > 1) {
      this.splitSeen = true;
      this.facts.conflicts++;
      this.conflictStreak++;
      const detail =
        `Slack counts ${n} open Socket Mode connections for app ${this.account}, and this gateway holds only 1: another host or program uses this app token, ` +
        `so Slack would split events between them. This gateway stays off (it looks again in ${Math.round(this.recheckMs() / 1000)} s); ` +
        "stop the other one, or give each gateway its own Slack app";
      log.error({ numConnections: n, app: this.account }, "slack: split brain: another connection to this app is open; closing ours");
      this.setState({ state: "conflict", detail });
      void conn.close();
      return;
    }
    this.attempt = 0;
    this.conflictStreak = 0;
    this.troubleSince = null;
    this.facts.connects++;
    this.facts.connectedSince = Date.now();
    this.setState({ state: "connected", since: Date.now() });
    log.info({ app: this.account, botUser: this.bot.userId }, "slack connected");
  }

  /**
   * How long to stay off after the `conflictStreak`-th sighting of another connection: soon at
   * first (a gateway that died without closing its socket is still counted by Slack until Slack
   * notices), then every conflictRecheckMs.
   */
  private recheckMs(): number {
    const full = this.timing.conflictRecheckMs;
    return this.conflictStreak <= 1 ? Math.round(full / 10) : this.conflictStreak === 2 ? Math.round(full / 3) : full;
  }

  /** auth.test: who the bot is (its own messages are never a run). False when it must be tried again. */
  private async whoAmI(): Promise<boolean> {
    try {
      const r = await this.web.auth.test();
      this.bot.userId = typeof r.user_id === "string" ? r.user_id : null;
      this.bot.botId = typeof r.bot_id === "string" ? r.bot_id : null;
      return true;
    } catch (err) {
      const f = failureOf(err);
      if (f.kind === "refused" && ["invalid_auth", "not_authed", "token_revoked", "account_inactive", "not_allowed_token_type"].includes(f.error)) {
        this.fail(`the bot token was refused by auth.test (${f.error}): copy the Bot User OAuth Token (xoxb-…) again, or reinstall the app`);
        return false;
      }
      this.attempt++;
      this.troubleSince ??= Date.now();
      const delayMs =
        f.kind === "ratelimited" ? f.retryAfterMs : Math.min(this.timing.maxBackoffMs, this.timing.baseBackoffMs * 2 ** Math.min(this.attempt, 10));
      const lastError = `auth.test: ${describeFailure(err)}`;
      this.setState(troubleState({ attempt: this.attempt, since: this.troubleSince, lastError, delayMs, now: Date.now() }));
      await this.sleep(delayMs);
      return false;
    }
  }

  private fail(reason: string): void {
    this.ctx?.logger.error({ reason }, "slack channel stops (no retries)");
    this.setState({ state: "failed", reason });
    this.stopper.abort();
    this.lease?.release();
    this.lease = null;
  }

  /** Takes the host-wide lease of the app token; false (and state conflict naming the holder) when another brain has it. */
  private takeLease(): boolean {
    const log = this.ctx!.logger;
    const o = this.o;
    const t = tryLease({
      kind: SLACK,
      token: o.appToken,
      what: "app token",
      holder: o.holder,
      ...(o.env ? { env: o.env } : {}),
      ...(o.acquireLease ? { acquire: o.acquireLease } : {}),
    });
    if (!t.ok) {
      if (this.state.state !== "conflict" || this.state.detail !== t.detail) {
        logConflict(log, SLACK, t);
        this.setState({ state: "conflict", detail: t.detail });
      }
      return false;
    }
    if (this.state.state === "conflict") log.info("slack: the app token's lease is free again; this gateway connects now");
    this.lease = t.lease;
    this.setState({ state: "starting" });
    return true;
  }

  private sleep(ms: number): Promise<void> {
    return pause(ms, this.stopper.signal);
  }
}
