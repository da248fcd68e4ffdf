/**
 * The fake Slack's Socket Mode side, as Slack behaves: a connection opened with a ticket from
 * `apps.connections.open` gets `hello` (with `num_connections`: the app's open connections counting
 * this one), WebSocket pings, and `events_api` envelopes, each sent to ONE of the app's open
 * connections. An envelope not acked (`{"envelope_id": …}`) in `ackTimeoutMs` is sent again with
 * `retry_attempt` + 1 and `retry_reason: "timeout"`, at most `maxRetries` times, possibly on another
 * connection. `disconnect` messages (refresh_requested, warning, link_disabled) ask the client to
 * reconnect. Slack allows at most 10 connections per app.
 */
import type { WebSocket } from "ws";

export interface Envelope {
  envelope_id: string;
  type: "events_api" | "slash_commands" | "interactive";
  payload: Record<string, unknown>;
  accepts_response_payload: boolean;
  retry_attempt: number;
  retry_reason: string;
}

interface Pending {
  env: Envelope;
  timer: NodeJS.Timeout | null;
  /** The socket it went to last (null: none open, waiting for one). */
  sentOn: WebSocket | null;
}

export interface SocketHost {
  appId: string;
  pingIntervalMs: number;
  ackTimeoutMs: number;
  maxRetries: number;
}

export class SocketMode {
  readonly sockets = new Set<WebSocket>();
  /** The most sockets open at once, ever (a socket whose close has begun is no longer open). */
  maxOpen = 0;
  /** Acks received, by envelope id (how many times each). */
  readonly acks = new Map<string, number>();
  /** The response payload of each ack that carried one (slash commands answer in their ack). */
  readonly ackPayloads = new Map<string, Record<string, unknown>>();
  /** Every envelope write: which envelope, which attempt, on a socket that was open. */
  readonly sent: Array<{ envelope_id: string; retry_attempt: number; at: number }> = [];
  /** Every envelope ever queued, by id. */
  readonly envelopes = new Map<string, Envelope>();
  /** Called with each ack's envelope id as it arrives (before Slack forgets the envelope). */
  onAck: ((envelopeId: string) => void) | null = null;
  /** Envelopes given up on after their last retry. */
  readonly dropped: string[] = [];
  /** While true, nothing is sent to any socket (no envelopes, no pings): connected, but deaf. */
  deaf = false;
  /** Sockets Slack has forgotten: still open and answering pings, but sent nothing (see `deafen`). */
  readonly #deafSockets = new WeakSet<WebSocket>();
  readonly #pending = new Map<string, Pending>();
  readonly #host: SocketHost;
  #next = 0;

  constructor(host: SocketHost) {
    this.#host = host;
  }

  /** A client connected with a valid ticket. */
  connect(ws: WebSocket): void {
    this.sockets.add(ws);
    const open = this.#open().length;
    this.maxOpen = Math.max(this.maxOpen, open);
    const ping = setInterval(() => this.#hears(ws) && ws.ping(), this.#host.pingIntervalMs);
    ping.unref();
    ws.on("close", () => {
      clearInterval(ping);
      this.sockets.delete(ws);
    });
    ws.on("error", () => {});
    ws.on("message", (raw: Buffer) => this.#onMessage(raw.toString("utf8")));
    ws.send(
      JSON.stringify({
        type: "hello",
        num_connections: open,
        debug_info: { host: "applink-fake-1", build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: this.#host.appId },
      }),
    );
    // Envelopes waiting for any connection go out now.
    for (const p of this.#pending.values()) if (!p.sentOn) this.#send(p);
  }

  /** Queues an envelope for the app; it goes to one open connection (or waits for one). */
  deliver(type: Envelope["type"], payload: Record<string, unknown>): Envelope {
    const env: Envelope = {
      envelope_id: `${(++this.#next).toString(16).padStart(8, "0")}-fake-4e0b-9c1a-env${this.#next}`,
      type,
      payload,
      accepts_response_payload: type !== "events_api",
      retry_attempt: 0,
      retry_reason: "",
    };
    this.envelopes.set(env.envelope_id, env);
    const p: Pending = { env, timer: null, sentOn: null };
    this.#pending.set(env.envelope_id, p);
    this.#send(p);
    return env;
  }

  /** Envelopes not acked yet. */
  get unacked(): number {
    return this.#pending.size;
  }

  /** Sends `disconnect` with `reason` on every open socket (Slack then closes them after a while). */
  disconnectAll(reason: "refresh_requested" | "warning" | "link_disabled", closeAfterMs = 100): void {
    for (const ws of this.sockets) {
      ws.send(JSON.stringify({ type: "disconnect", reason, debug_info: { host: "applink-fake-1" } }));
      if (reason !== "warning") setTimeout(() => ws.close(1000), closeAfterMs).unref();
    }
  }

  /** The sockets open now stay open (and answer pings), but Slack sends them nothing more: a ghost connection. */
  deafen(): void {
    for (const ws of this.sockets) this.#deafSockets.add(ws);
  }

  /** Resets every socket without a close frame. */
  dropSockets(): void {
    for (const ws of this.sockets) ws.terminate();
  }

  close(): void {
    for (const p of this.#pending.values()) if (p.timer) clearTimeout(p.timer);
    this.#pending.clear();
    for (const ws of this.sockets) ws.terminate();
  }

  #open(): WebSocket[] {
    return [...this.sockets].filter((ws) => ws.readyState === ws.OPEN);
  }

  /** True when Slack still sends to `ws`. */
  #hears(ws: WebSocket): boolean {
    return !this.deaf && !this.#deafSockets.has(ws) && ws.readyState === ws.OPEN;
  }

  #send(p: Pending): void {
    const open = this.#open().filter((ws) => this.#hears(ws));
    p.sentOn = null;
    if (!open.length) {
      // No connection: it waits (and still times out into a retry).
      this.#arm(p);
      return;
    }
    const ws = open[Math.floor(Math.random() * open.length)]!;
    ws.send(JSON.stringify(p.env));
    p.sentOn = ws;
    this.sent.push({ envelope_id: p.env.envelope_id, retry_attempt: p.env.retry_attempt, at: Date.now() });
    this.#arm(p);
  }

  #arm(p: Pending): void {
    if (p.timer) clearTimeout(p.timer);
    p.timer = setTimeout(() => {
      if (!this.#pending.has(p.env.envelope_id)) return;
      if (p.env.retry_attempt >= this.#host.maxRetries) {
        this.#pending.delete(p.env.envelope_id);
        this.dropped.push(p.env.envelope_id);
        return;
      }
      p.env = { ...p.env, retry_attempt: p.env.retry_attempt + 1, retry_reason: "timeout" };
      this.#send(p);
    }, this.#host.ackTimeoutMs);
    p.timer.unref();
  }

  #onMessage(text: string): void {
    let m: { envelope_id?: unknown; payload?: unknown };
    try {
      m = JSON.parse(text) as { envelope_id?: unknown; payload?: unknown };
    } catch {
      return; // Slack ignores what it cannot read
    }
    if (typeof m.envelope_id !== "string") return;
    this.acks.set(m.envelope_id, (this.acks.get(m.envelope_id) ?? 0) + 1);
    this.onAck?.(m.envelope_id);
    if (m.payload && typeof m.payload === "object" && Object.keys(m.payload).length) this.ackPayloads.set(m.envelope_id, m.payload as Record<string, unknown>);
    const p = this.#pending.get(m.envelope_id);
    if (!p) return;
    if (p.timer) clearTimeout(p.timer);
    this.#pending.delete(m.envelope_id);
  }
}
