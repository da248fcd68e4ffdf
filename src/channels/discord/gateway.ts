/**
 * One Gateway connection through @discordjs/ws's WebSocketShard, and nothing more: it opens,
 * IDENTIFYs or RESUMEs, beats, hands each dispatch on, and reports once how it closed. The lib
 * reconnects by itself after every close (500 ms later, for ever); here a connection is RETIRED
 * at its first close instead: its session hook then never answers, so the lib's reconnect waits
 * for ever on it and never opens a socket (a pending promise, no timer). The supervisor
 * (supervisor.ts) decides what comes next and opens a new connection.
 *
 * The session (id, resume URL, seq) is the channel's, not the lib's: the lib's hook is given the
 * seq of the last dispatch the channel HANDLED (ingested), so a RESUME never skips a message that
 * was received but not yet stored; its own bookkeeping (it advances the seq as soon as a dispatch
 * arrives) is ignored.
 */
import { WebSocketShard, type IContextFetchingStrategy, type SessionInfo } from "@discordjs/ws";
import type { APIGatewayBotInfo, GatewayDispatchPayload } from "discord-api-types/v10";

/** GUILDS | GUILD_MESSAGES | DIRECT_MESSAGES. */
export const BASE_INTENTS = (1 << 0) | (1 << 9) | (1 << 12);
/** MESSAGE_CONTENT (privileged: the Developer Portal must allow it). */
export const MESSAGE_CONTENT_INTENT = 1 << 15;

/** The channel's Gateway session, the one RESUME needs. */
export interface GatewaySession {
  sessionId: string;
  resumeUrl: string;
  /** The seq of the last dispatch handled. */
  seq: number;
}

/** How a connection ended (the supervisor's Outcome without its policy fields). */
export interface Closed {
  code: number;
  resumed: boolean;
  established: boolean;
  healthy: boolean;
  sessionLost: boolean;
  /** In words, for logs and the state (the lib's own reason when it closed). */
  reason: string;
}

/** What a connection needs. */
export interface ConnectOptions {
  token: string;
  intents: number;
  /** The URL to IDENTIFY at (GET /gateway/bot's, or the configured one). */
  gateway: APIGatewayBotInfo;
  /** RESUME this session; null: IDENTIFY. */
  resume: GatewaySession | null;
  /** The channel's current session (it moves as dispatches are handled). */
  session(): GatewaySession | null;
  onDispatch(p: GatewayDispatchPayload): void;
  /** An IDENTIFY is about to be sent. */
  onIdentify(): void;
  onHeartbeat(rttMs: number): void;
  onDebug?(message: string): void;
  helloTimeoutMs?: number;
  readyTimeoutMs?: number;
}

/** A promise that never settles: what a retired connection's session hook returns. A new one each time: nothing holds it, so the lib's waiting call is collected with it. */
const never = () => new Promise<never>(() => {});
/** After the lib saw a zombie, how long its close may take before the connection is retired anyway (a dead TCP link waits 30 s for a close frame). */
const ZOMBIE_CLOSE_MS = 5000;

/** One live Gateway connection. */
export class GatewayConnection {
  /** Resolves once, when the connection closed (never rejects). */
  readonly closed: Promise<Closed>;
  private readonly o: ConnectOptions;
  private readonly shard: WebSocketShard;
  private retired = false;
  private established = false;
  private healthy = false;
  private sessionLost = false;
  private reason = "";
  /** The session id READY named on this connection (an IDENTIFY's heartbeats use the session only from then on). */
  private readySessionId: string | null = null;
  private done: (c: Closed) => void = () => {};

  constructor(o: ConnectOptions) {
    this.o = o;
    this.closed = new Promise((resolve) => (this.done = resolve));
    const strategy: IContextFetchingStrategy = {
      options: {
        token: o.token,
        intents: o.intents,
        gatewayInformation: o.gateway,
        shardCount: 1,
        version: "10",
        // The lib's Encoding enum is not importable under type stripping; its JSON member is "json".
        encoding: "json" as IContextFetchingStrategy["options"]["encoding"],
        compression: null,
        initialPresence: null,
        largeThreshold: null,
        useIdentifyCompression: false,
        identifyProperties: { browser: "onebrain", device: "onebrain", os: process.platform },
        handshakeTimeout: 30_000,
        helloTimeout: o.helloTimeoutMs ?? 60_000,
        readyTimeout: o.readyTimeoutMs ?? 15_000,
      },
      retrieveSessionInfo: () => (this.retired ? never() : this.sessionInfo()),
      updateSessionInfo: (_id, info) => {
        // The lib clears its session when it gives it up (op 9 false, its own close 1000).
        if (!info && !this.retired) this.sessionLost = true;
      },
      waitForIdentify: async () => {
        if (this.retired) return never();
        this.o.onIdentify();
      },
    };
    this.shard = new WebSocketShard(strategy, 0);
    const s = this.shard;
    s.on("dispatch", (p) => {
      if (this.retired) return;
      // Traffic after the handshake proves the link works, as a heartbeat ACK does.
      if (this.established && p.t !== "READY" && p.t !== "RESUMED") this.healthy = true;
      this.o.onDispatch(p);
    });
    s.on("ready", (d) => {
      this.established = true;
      this.readySessionId = d.session_id;
    });
    s.on("resumed", () => (this.established = true));
    s.on("heartbeat", (h) => {
      if (this.established) this.healthy = true;
      this.o.onHeartbeat(h.latency);
    });
    s.on("hello", () => {
      // Stopped between the lib's connect and its socket opening: close that socket at once.
      if (this.retired) void this.shard.destroy({ code: 4200, reason: "onebrain retired this connection" }).catch(() => {});
    });
    s.on("debug", (m) => {
      const why = /Reason: (.+)/.exec(m)?.[1];
      if (why && why !== "none") this.reason = why;
      if (why === "Zombie connection") setTimeout(() => this.retire(4200, "zombie connection (no heartbeat ACK)"), ZOMBIE_CLOSE_MS).unref();
      this.o.onDebug?.(m);
    });
    // Both are reported through the close that follows; an 'error' without a listener would throw.
    s.on("error", (e) => (this.reason ||= e.message));
    s.on("socketError", (e) => (this.reason ||= (e as { code?: string }).code ?? e.message));
    s.on("closed", (code) => this.retire(code));
    // connect() rejects when the shard emits 'error' (e.g. after 4004): the close reports it.
    this.shard.connect().catch(() => {});
  }

  /** Closes the connection without ending the session on Discord's side (a code other than 1000/1001: still resumable). */
  async close(): Promise<void> {
    const wasRetired = this.retired;
    this.retire(4200, "closed by onebrain");
    if (!wasRetired) await this.shard.destroy({ code: 4200, reason: "onebrain closes the connection" }).catch(() => {});
  }

  private sessionInfo(): SessionInfo | null {
    const s = this.o.session();
    if (!s) return null;
    // An IDENTIFY connection must not RESUME an older session, and heartbeats only the new one's seq.
    if (!this.o.resume && s.sessionId !== this.readySessionId) return null;
    return { sessionId: s.sessionId, resumeURL: s.resumeUrl, sequence: s.seq, shardId: 0, shardCount: 1 };
  }

  private retire(code: number, reason?: string): void {
    if (this.retired) return;
    this.retired = true;
    this.done({
      code,
      resumed: this.o.resume !== null,
      established: this.established,
      healthy: this.healthy,
      sessionLost: this.sessionLost,
      reason: reason ?? (this.reason || `close ${code}`),
    });
  }
}
