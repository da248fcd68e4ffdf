/**
 * The WhatsApp channel: a linked device (WhatsApp Web's multi-device protocol through Baileys,
 * baileys.ts), supervised here. See docs/whatsapp.md.
 *
 * 1. The linked number's host-wide lease first (src/lock/lease.ts, kind `whatsapp`): two gateways
 *    never hold one WhatsApp session (WhatsApp would log one of them out, or replace it in turns).
 * 2. One socket at a time. What a close means (logged out, replaced, restart required, a network
 *    error) is decided in trouble.ts: reconnect with backoff, wait long on a conflict, or stop with
 *    the next step in words. Never a gateway restart.
 * 3. Inbound (receive.ts, inbound.ts) is stored in the event handler itself, committed at once,
 *    and only then are the session's held frames released (the delivery receipts: receipt-gate.ts):
 *    a crash before the commit leaves the message unreceipted, and WhatsApp delivers it again.
 * 4. Replies (send.ts) carry ids made from their outbox keys and signed by the device (ids.ts); our
 *    own messages are never runs, after a restart too. Undecryptable messages and rate limits are
 *    counted (condition.ts): the channel is `degraded` with the next step, never silently deaf.
 * Nothing Baileys does escapes this class: no throw, no unhandled rejection.
 */
import type { Logger } from "pino";
import type { WhatsAppSettings } from "../../config/schema-channels.ts";
import type { acquireCredentialLease, LeaseHolder } from "../../lock/lease.ts";
import { jittered, pause } from "../../shared/backoff.ts";
import {
  ChannelRateLimitedError,
  type Channel,
  type ChannelContext,
  type ChannelState,
  type Delivered,
  type DeliveryProgress,
  type OutboundMessage,
} from "../channel.ts";
import { logConflict, tryLease, type Lease } from "../lease.ts";
import { openAuthStore, type AuthStore } from "./auth-store.ts";
import { disconnectStatus, endQuietly, loadBaileys, STATUS_SERVER_ACK, type WaLibrary, type WaSocket } from "./baileys.ts";
import type { Me } from "./inbound.ts";
import { ChannelMemory } from "./memory.ts";
import { MessageIds } from "./ids.ts";
import { deliverReply, targetJid } from "./send.ts";
import { afterClose, RELINK } from "./trouble.ts";
import { Condition } from "./condition.ts";
import { logoutWithin } from "./link.ts";
import { receiveBatch } from "./receive.ts";

export const WHATSAPP = "whatsapp";

export interface WhatsAppChannelOptions {
  /** The auth state's directory (auth-store.ts, `authDir`). */
  dir: string;
  /** The linked number (digits): the account and the lease's key. */
  account: string;
  settings: () => WhatsAppSettings;
  holder: Omit<LeaseHolder, "pid">;
  env?: NodeJS.ProcessEnv;
  /** The library behind the adapter; Baileys unless a test or a replacement gives another. */
  library?: () => Promise<WaLibrary>;
  acquireLease?: typeof acquireCredentialLease;
  timing?: { leaseRecheckMs?: number; degradedCheckMs?: number };
  random?: () => number;
  now?: () => number;
}

export class WhatsAppChannel implements Channel {
  readonly id = WHATSAPP;
  readonly account: string;
  /** A part sent again carries the same message id (send.ts): WhatsApp's clients take it as one message. */
  readonly idempotentDelivery = true;
  private readonly o: WhatsAppChannelOptions;
  private readonly stopper = new AbortController();
  private readonly memory = new ChannelMemory();
  private readonly random: () => number;
  private readonly now: () => number;
  private ctx: ChannelContext | undefined;
  private auth: AuthStore | undefined;
  private lib: WaLibrary | undefined;
  private sock: WaSocket | null = null;
  private open = false;
  private lease: Lease | null = null;
  private loop: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private state: ChannelState = { state: "stopped" };
  private attempt = 0;
  private replaced = 0;
  private connectedSince = 0;
  private idMaker: { secret: string; ids: MessageIds } | undefined;
  private readonly facts = { connects: 0, inbound: 0, pairingCodes: 0 };
  private readonly condition = new Condition();

  constructor(o: WhatsAppChannelOptions) {
    this.o = o;
    this.account = o.account;
    this.random = o.random ?? Math.random;
    this.now = o.now ?? Date.now;
  }

  async start(ctx: ChannelContext): Promise<void> {
    this.ctx = ctx;
    if (ctx.signal.aborted) this.stopper.abort();
    else ctx.signal.addEventListener("abort", () => this.stopper.abort(), { once: true });
    this.setState({ state: "starting" });
    try {
      this.lib = await (this.o.library ?? loadBaileys)();
      this.auth = openAuthStore(this.o.dir, this.lib);
    } catch (err) {
      return this.fail(`cannot open the WhatsApp library or its auth state: ${(err as Error).message}`);
    }
    if (!this.auth.linked()) return this.fail(`no device is linked: ${RELINK}`, "WHATSAPP_NOT_LINKED");
    this.timer = setInterval(() => this.recheckDegraded(), this.o.timing?.degradedCheckMs ?? 30_000);
    this.timer.unref();
    this.loop = this.run().catch((err: unknown) => {
      ctx.logger.error({ error: (err as Error).message }, "whatsapp connection loop ended unexpectedly");
      this.fail(`the connection loop stopped: ${(err as Error).message}`);
    });
  }

  async deliver(m: OutboundMessage, signal: AbortSignal, progress?: DeliveryProgress): Promise<Delivered> {
    try {
      const r = await deliverReply(m, {
        socket: () => (this.open ? this.sock : null),
        settings: this.o.settings,
        memory: this.memory,
        ids: this.ids(),
        signal,
        ...(progress ? { progress } : {}),
      });
      if (this.condition.sent()) this.recheckDegraded();
      return r;
    } catch (err) {
      if (err instanceof ChannelRateLimitedError) {
        this.condition.rateLimited(err.retryAfterMs, err.message, this.now());
        this.recheckDegraded();
      }
      throw err;
    }
  }

  typing(target: string, active: boolean): void {
    if (!this.open || !this.sock || !this.o.settings().typing) return;
    let jid: string;
    try {
      jid = targetJid(target);
    } catch {
      return;
    }
    this.sock.presence(jid, active ? "composing" : "paused").catch(() => {});
  }

  health(): Record<string, string | number | boolean | null> {
    return {
      linkedNumber: `+${this.account}`,
      connectedAgeMs: this.connectedSince ? this.now() - this.connectedSince : null,
      connects: this.facts.connects,
      replacedTimes: this.replaced,
      inbound: this.facts.inbound,
      pairingCodes: this.facts.pairingCodes,
      rateLimitedSends: this.condition.rateLimitedSends,
      undecryptable10m: this.condition.failures.count(this.now()),
      undecryptableTotal: this.condition.failures.total,
      leaseHolder: this.lease ? `this gateway (pid ${process.pid})` : this.state.state === "conflict" ? this.state.detail : null,
    };
  }

  /** Tells WhatsApp to unlink this device (it leaves the phone's Linked devices list); false when the session is not open or WhatsApp did not answer in time. */
  unlink(timeoutMs = 5000): Promise<boolean> {
    return logoutWithin(this.open ? this.sock : null, timeoutMs);
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    clearInterval(this.timer);
    this.endSocket();
    await this.loop;
    this.lease?.release();
    this.lease = null;
    this.auth?.close();
    this.setState({ state: "stopped" });
  }

  private setState(s: ChannelState): void {
    this.state = s;
    this.ctx?.setState(s);
  }

  private fail(reason: string, code?: string): void {
    this.ctx?.logger.error({ reason, code }, "whatsapp channel stopped");
    this.setState({ state: "failed", reason, ...(code ? { code } : {}) });
  }

  private sleep(ms: number): Promise<void> {
    return pause(ms, this.stopper.signal);
  }

  /** The message ids of this link (ids.ts), signed with a secret of the linked device. */
  private ids(): MessageIds {
    const raw = this.auth?.state.creds.advSecretKey;
    const secret = typeof raw === "string" ? raw : JSON.stringify(raw ?? "");
    if (!this.idMaker || this.idMaker.secret !== secret) this.idMaker = { secret, ids: new MessageIds(secret) };
    return this.idMaker.ids;
  }

  private me(): Me {
    const me = this.auth?.state.creds.me;
    return { pn: me?.id ?? null, lid: me?.lid ?? null };
  }

  private endSocket(): void {
    const s = this.sock;
    this.sock = null;
    this.open = false;
    endQuietly(s);
  }

  private async run(): Promise<void> {
    const signal = this.stopper.signal;
    const log = this.ctx!.logger;
    while (!signal.aborted) {
      if (!this.lease) {
        const t = tryLease({
          kind: WHATSAPP,
          token: this.account,
          what: `WhatsApp number +${this.account}`,
          holder: this.o.holder,
          ...(this.o.env ? { env: this.o.env } : {}),
          ...(this.o.acquireLease ? { acquire: this.o.acquireLease } : {}),
        });
        if (!t.ok) {
          if (this.state.state !== "conflict" || this.state.detail !== t.detail) {
            logConflict(log, "whatsapp", t);
            this.setState({ state: "conflict", detail: t.detail });
          }
          await this.sleep(jittered(this.o.timing?.leaseRecheckMs ?? 30_000, this.random));
          continue;
        }
        if (this.state.state === "conflict") log.info("whatsapp: the number's lease is free again; this gateway connects now");
        this.lease = t.lease;
      }
      const end = await this.connectOnce(log);
      if (signal.aborted) break;
      const next = afterClose(end.status, { attempt: this.attempt, replaced: this.replaced, message: end.message, now: this.now(), random: this.random });
      if (next.kind === "stop") {
        log.error({ status: end.status, code: next.code }, `whatsapp: ${next.state.reason}`);
        if (next.forget) this.auth!.wipe();
        this.setState({ ...next.state, code: next.code });
        this.lease?.release();
        this.lease = null;
        return;
      }
      if (next.kind === "conflict") {
        this.replaced++;
        log.warn({ retryInMs: next.delayMs }, `whatsapp: ${next.state.detail}`);
        this.setState(next.state);
        await this.sleep(next.delayMs);
        continue;
      }
      if (next.counts) this.attempt++;
      log.warn({ status: end.status, error: end.message, retryInMs: next.delayMs }, "whatsapp connection closed; reconnecting");
      this.setState(next.state);
      await this.sleep(next.delayMs);
    }
  }

  /** One socket from open to close; resolves with why it closed. */
  private connectOnce(log: Logger): Promise<{ status: number | undefined; message: string }> {
    return new Promise((resolve) => {
      let done = false;
      const finish = (r: { status: number | undefined; message: string }) => {
        if (done) return;
        done = true;
        this.endSocket();
        this.connectedSince = 0;
        resolve(r);
      };
      let sock: WaSocket;
      try {
        sock = this.lib!.open({
          auth: this.auth!.state,
          logger: log.child({ lib: "baileys" }, { level: "warn" }),
          getMessage: async (key) => (key.id ? this.memory.content(key.id) : undefined),
        });
      } catch (err) {
        return finish({ status: undefined, message: (err as Error).message });
      }
      this.sock = sock;
      this.stopper.signal.addEventListener("abort", () => finish({ status: undefined, message: "stopped" }), { once: true });
      sock.onCreds(() => {
        try {
          this.auth!.saveCreds();
        } catch (err) {
          log.error({ error: (err as Error).message }, "whatsapp: could not save the device's credentials");
        }
      });
      sock.onMessageUpdates((updates) => {
        for (const u of updates) if (u.key.fromMe && u.key.id && (u.update.status ?? 0) >= STATUS_SERVER_ACK) this.memory.markAcked(u.key.id);
      });
      sock.onMessages((batch) =>
        receiveBatch(batch.messages, {
          ctx: this.ctx!,
          sock,
          me: this.me(),
          settings: this.o.settings(),
          memory: this.memory,
          ids: this.ids(),
          open: () => this.open && this.sock === sock,
          undecryptable: (reasons) => this.undecryptable(reasons),
          facts: this.facts,
        }),
      );
      sock.onConnection((u) => {
        if (u.qr) {
          // A linked device is never asked for a QR: WhatsApp no longer knows its keys.
          return finish({ status: 401, message: "WhatsApp asked for a new QR code: the link is gone" });
        }
        if (u.connection === "open") {
          this.open = true;
          this.attempt = 0;
          this.replaced = 0;
          this.connectedSince = this.now();
          this.facts.connects++;
          log.info({ number: `+${this.account}` }, "whatsapp connected");
          this.setState(this.degradedNow() ?? { state: "connected", since: this.connectedSince });
        }
        if (u.connection === "close") {
          const err = u.lastDisconnect?.error;
          finish({ status: disconnectStatus(err), message: err?.message ?? "connection closed" });
        }
      });
    });
  }

  private degradedNow(): ChannelState | null {
    return this.condition.degraded(this.now(), this.o.settings().decryptFailureThreshold);
  }

  private undecryptable(reasons: string[]): void {
    const log = this.ctx!.logger;
    const in10m = this.condition.undecryptable(reasons, this.now());
    log.warn({ count: reasons.length, reason: this.condition.lastReason, in10m }, "whatsapp: messages could not be decrypted");
    const before = this.state;
    this.recheckDegraded();
    if (this.state !== before && this.state.state === "degraded") log.error({ detail: this.state.detail }, "whatsapp: degraded");
  }

  private recheckDegraded(): void {
    if (!this.open) return;
    const d = this.degradedNow();
    if (d && (this.state.state !== "degraded" || (d.state === "degraded" && d.detail !== this.state.detail))) this.setState(d);
    if (!d && this.state.state === "degraded") this.setState({ state: "connected", since: this.connectedSince });
  }
}
