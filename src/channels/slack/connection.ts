/**
 * One Socket Mode connection, over @slack/socket-mode's SocketModeClient with its own reconnects
 * OFF: each connection lives once and what comes next is the channel's decision (supervisor.ts).
 * So there is never a second socket: the next connection is opened only after this one's `closed`
 * resolved, which happens only once its socket is gone and its timers are cleared.
 *
 * It reads what the SDK does not pass on: `hello`'s `num_connections` (the app's open connections,
 * this one included: more than one means another host or program shares the app token), the
 * reason of a `disconnect` request, and Slack's pings (for the deaf watch: connected, yet no
 * envelope and no ping for `deafAfterMs`).
 */
import diagnostics from "node:diagnostics_channel";
import { SocketModeClient } from "@slack/socket-mode";
import type { Logger } from "pino";
import { slackLogger } from "./log.ts";
import { describeFailure, failureOf, webOptions, type Failure } from "./web.ts";

/** One envelope as the SDK hands it over. */
export interface Envelope {
  envelope_id: string;
  type: string;
  body: Record<string, unknown>;
  retry_num?: number;
  retry_reason?: string;
  accepts_response_payload?: boolean;
  /** Acknowledges the envelope on this connection (with a response payload for slash commands). */
  ack(response?: Record<string, unknown>): Promise<void>;
}

/** How a connection ended. */
export interface ConnectionEnd {
  /** True once `hello` arrived: the connection worked. */
  hello: boolean;
  /** Slack asked for a new connection (`refresh_requested`, `warning`) or turned Socket Mode off (`link_disabled`). */
  asked: string | null;
  /** apps.connections.open failed (no socket was opened). */
  openFailed: Failure | null;
  /** Why, in words. */
  reason: string;
}

export interface ConnectionOptions {
  appToken: string;
  apiRoot: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  helloTimeoutMs: number;
  deafAfterMs: number;
  onHello(numConnections: number): void;
  onEnvelope(e: Envelope): void;
}

interface Frame {
  type?: unknown;
  envelope_id?: unknown;
  num_connections?: unknown;
  reason?: unknown;
  payload?: unknown;
}

/** A frame the SDK can handle without throwing: a typed object; an events_api envelope with its event. */
function wellFormed(f: Frame): boolean {
  if (typeof f.type !== "string") return false;
  if (f.type === "hello" || f.type === "disconnect") return true;
  if (typeof f.envelope_id !== "string") return false;
  if (f.type !== "events_api") return true;
  const event = (f.payload as { event?: { type?: unknown } } | null | undefined)?.event;
  return typeof event === "object" && event !== null && typeof event.type === "string";
}

const pings = diagnostics.channel("undici:websocket:ping");
/** A close handshake Slack does not complete in this time is cut (the socket destroyed). */
const CLOSE_GRACE_MS = 1_000;

export class SocketConnection {
  readonly closed: Promise<ConnectionEnd>;
  private readonly client: SocketModeClient;
  private readonly o: ConnectionOptions;
  private end: ConnectionEnd = { hello: false, asked: null, openFailed: null, reason: "closed" };
  private finish!: (e: ConnectionEnd) => void;
  private finished = false;
  private deafTimer: NodeJS.Timeout | undefined;
  private helloTimer: NodeJS.Timeout | undefined;
  private readonly onPing = (m: unknown) => {
    const own = (this.client.websocket as unknown as { websocket?: unknown } | undefined)?.websocket;
    if (own && (m as { websocket?: unknown }).websocket === own) this.heard();
  };

  constructor(o: ConnectionOptions) {
    this.o = o;
    this.closed = new Promise((r) => (this.finish = r));
    this.client = new SocketModeClient({
      appToken: o.appToken,
      autoReconnectEnabled: false,
      logger: slackLogger(o.logger),
      clientOptions: webOptions(o),
    });
    // The SDK's own frame handler throws (an unhandled rejection) on a frame of the wrong shape, e.g.
    // an events_api envelope without `payload.event`: it only gets frames checked here, and its
    // failures are caught.
    const sdk = this.client.listeners("ws_message")[0] as ((data: unknown, binary: boolean) => unknown) | undefined;
    this.client.removeAllListeners("ws_message");
    this.client.on("ws_message", (data: unknown, binary: boolean) => {
      const frame = this.raw(data, binary);
      if (!frame || !sdk) return;
      if (!wellFormed(frame)) {
        o.logger.warn({ type: typeof frame.type === "string" ? frame.type.slice(0, 40) : typeof frame.type }, "slack: a frame of the wrong shape was ignored");
        // Acked all the same: Slack would only send it again, as broken.
        if (typeof frame.envelope_id === "string") this.ackRaw(frame.envelope_id);
        return;
      }
      Promise.resolve(sdk(data, binary)).catch((err: unknown) => o.logger.warn({ error: (err as Error).message }, "slack: a frame could not be handled"));
    });
    this.client.on("slack_event", (e: Envelope) => {
      this.heard();
      o.onEnvelope(e);
    });
    this.client.on("error", (err: Error) => o.logger.debug({ error: err.message }, "slack socket error"));
    this.client.on("disconnected", () => this.done());
    pings.subscribe(this.onPing);
    this.helloTimer = setTimeout(() => {
      this.end.reason = `no hello from Slack within ${o.helloTimeoutMs} ms`;
      void this.close();
    }, o.helloTimeoutMs);
    this.client.start().catch((err: unknown) => {
      if (err !== undefined && !this.end.hello) {
        this.end.openFailed = failureOf(err);
        this.end.reason = `apps.connections.open: ${describeFailure(err)}`;
      }
      this.done();
    });
  }

  /** Closes the connection (a close frame, then the socket cut if Slack does not answer it). Resolves once it is gone. */
  async close(): Promise<ConnectionEnd> {
    if (!this.finished) {
      void this.client.disconnect();
      const cut = setTimeout(() => (this.client.websocket as unknown as { cleanup?: () => void } | undefined)?.cleanup?.(), CLOSE_GRACE_MS);
      await this.closed;
      clearTimeout(cut);
    }
    return this.closed;
  }

  /** Acks an envelope the SDK never saw (its `send` is not public). Never throws. */
  private ackRaw(envelopeId: string): void {
    const send = (this.client as unknown as { send?: (id: string, body: object) => Promise<void> }).send;
    send?.call(this.client, envelopeId, {}).catch(() => {});
  }

  /** Reads a frame; notes what the SDK keeps to itself: hello (num_connections) and disconnect (its reason). Null: not a JSON object. */
  private raw(data: unknown, binary: boolean): Frame | null {
    if (binary) return null;
    let m: Frame;
    try {
      m = JSON.parse(typeof data === "string" ? data : new TextDecoder().decode(data as ArrayBuffer)) as Frame;
    } catch {
      return null;
    }
    if (!m || typeof m !== "object" || Array.isArray(m)) return null;
    this.heard();
    if (m.type === "hello") {
      this.end.hello = true;
      clearTimeout(this.helloTimer);
      this.o.onHello(typeof m.num_connections === "number" ? m.num_connections : 1);
    } else if (m.type === "disconnect") {
      this.end.asked = typeof m.reason === "string" ? m.reason : "unknown";
      this.end.reason = `Slack asked to reconnect (${this.end.asked})`;
    }
    return m;
  }

  /** Something came from Slack: the deaf watch starts over. */
  private heard(): void {
    clearTimeout(this.deafTimer);
    if (this.finished) return;
    this.deafTimer = setTimeout(() => {
      this.end.reason = `connected, but nothing from Slack (no envelope, no ping) for ${Math.round(this.o.deafAfterMs / 1000)} s: the socket is deaf`;
      this.o.logger.warn({ afterMs: this.o.deafAfterMs }, "slack: no envelope and no ping on a connected socket; replacing it");
      void this.close();
    }, this.o.deafAfterMs);
    this.deafTimer.unref();
  }

  private done(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.deafTimer);
    clearTimeout(this.helloTimer);
    pings.unsubscribe(this.onPing);
    this.client.removeAllListeners();
    this.finish(this.end);
  }
}
