/**
 * The WebSocket server: Origin check at upgrade, the connect handshake with auth, request
 * dispatch, heartbeat (a client that misses one pong is terminated), slow-consumer cut-off, and
 * revocation of clients whose secret was rotated away.
 */
import crypto from "node:crypto";
import type { Duplex } from "node:stream";
import { WebSocketServer, WebSocket, type RawData } from "ws";
import { closeCodes, type WireErrorCode } from "../protocol/codes.ts";
import { requestFrameSchema } from "../protocol/frames.ts";
import { METHODS } from "../protocol/methods.ts";
import { frameText } from "../protocol/raw-data.ts";
import { secretFingerprint } from "./auth.ts";
import { clientInfo, type ClientInfo } from "./client.ts";
import type { GatewayContext } from "./context.ts";
import { handlers, isMethod, parseParams } from "./rpc.ts";
import { RpcError } from "./rpc-error.ts";
import { TurnBatcher } from "./ws-batch.ts";
import { attemptId } from "./ws-attempts.ts";
import { metrics } from "../metrics/instruments.ts";
import { rejectUpgrade, upgradeRefusal } from "./ws-upgrade.ts";
import { ByteBudget, CONNECTION_BUDGET, PROCESS_BUDGET, preparedBytes } from "./ws-limits.ts";
import type { Conn, WsGateway } from "./ws-conn.ts";
import { OutboundBudget } from "./ws-outbound.ts";
import { dialectOf } from "../protocol/openclaw/version.ts";
import { openclawCloseCodes } from "../protocol/openclaw/errors.ts";
import { openclawSockets } from "./ws-openclaw.ts";
import { onebrainHandshake } from "./ws-hello.ts";

export type { WsGateway } from "./ws-conn.ts";

/** Creates the WebSocket side of the gateway. */
export function createWsGateway(ctx: GatewayContext): WsGateway {
  const cfg = () => ctx.config().gateway.ws;
  const wss = new WebSocketServer({ noServer: true, maxPayload: cfg().maxPayload, perMessageDeflate: false, clientTracking: false });
  const conns = new Set<Conn>();
  const prepared = new ByteBudget(PROCESS_BUDGET);
  let draining = false;

  const batcher = new TurnBatcher();
  const outbound = new OutboundBudget({ conns: () => conns, limit: () => cfg().maxTotalBufferedBytes, throttle: ctx.logThrottle, close: closeWith });
  /** Sends a frame; `onWritten` runs once it left for the socket, or at once when it is not sent. */
  const sendFrame = (c: Conn, frame: object, onWritten?: () => void): void => {
    if (c.ws.readyState !== WebSocket.OPEN) return onWritten?.();
    if (c.ws.bufferedAmount > cfg().maxBufferedBytes) {
      onWritten?.();
      metrics.wsSlowClosed.inc({ limit: "connection" });
      ctx.logThrottle.log("warn", { conn: c.id, client: c.client.address, buffered: c.ws.bufferedAmount }, "closing slow consumer");
      c.ws.close(closeCodes.SLOW_CONSUMER, "slow consumer: too many unsent bytes");
      setTimeout(() => c.ws.terminate(), 1000).unref();
      return;
    }
    batcher.hold(c.socket);
    outbound.wrote(c);
    if (onWritten) c.ws.send(JSON.stringify(frame), () => onWritten());
    else c.ws.send(JSON.stringify(frame));
  };
  const sendEvent = (c: Conn, event: string, payload: unknown): void => sendFrame(c, { type: "event", event, payload, seq: c.seq++ });
  const sendError = (
    c: Conn,
    id: string,
    code: WireErrorCode,
    message: string,
    extra: { retryable?: boolean; retryAfterMs?: number; details?: unknown } = {},
  ): void => sendFrame(c, { type: "res", id, ok: false, error: { code, message, ...extra } });

  function closeWith(c: Conn, code: number, reason: string): void {
    c.ws.close(code, reason);
    setTimeout(() => c.ws.terminate(), 1000).unref();
  }

  const openclaw = openclawSockets({ ctx, conns, sendFrame, sendEvent, closeWith, draining: () => draining });

  function handshake(c: Conn, frame: { id: string; method: string; params?: unknown }): void {
    const asked = frame.params as { minProtocol?: unknown; maxProtocol?: unknown; client?: { id?: unknown } } | undefined;
    if (frame.method === "connect" && dialectOf(asked?.minProtocol, asked?.maxProtocol, asked?.client?.id) === "openclaw") return openclaw.handshake(c, frame);
    if (frame.method !== "connect") {
      sendError(c, frame.id, "NOT_CONNECTED", "the first request must be connect");
      return closeWith(c, closeCodes.POLICY, "connect first");
    }
    onebrainHandshake({ ctx, sendFrame, sendError, closeWith }, c, frame);
  }

  async function dispatch(c: Conn, frame: { id: string; method: string; params?: unknown }): Promise<void> {
    if (frame.method === "connect") return sendError(c, frame.id, "ALREADY_CONNECTED", "connect was already accepted on this socket");
    if (draining) return sendError(c, frame.id, "SHUTTING_DOWN", "the gateway is stopping", { retryable: true });
    if (!isMethod(frame.method))
      return sendError(c, frame.id, "UNKNOWN_METHOD", `unknown method ${JSON.stringify(frame.method)}`, { details: { methods: METHODS } });
    const params = parseParams(frame.method, frame.params);
    if (!params.ok) return sendError(c, frame.id, "INVALID_REQUEST", params.message);
    const max = cfg().maxInflight;
    if (c.inflight >= max)
      return sendError(
        c,
        frame.id,
        "TOO_MANY_REQUESTS",
        `${max} requests are in flight on this connection (gateway.ws.maxInflight); send more as answers arrive`,
        { retryable: true },
      );
    c.inflight++;
    const bytes = preparedBytes(frame.method, params.value);
    let mine = () => {};
    let shared = () => {};
    try {
      if (bytes > 0) {
        mine = await c.budget.acquire(bytes);
        shared = await prepared.acquire(bytes);
        // Closed while it waited its turn: nobody is left to read the answer.
        if (c.ws.readyState !== WebSocket.OPEN) return;
      }
      const payload = await handlers[frame.method](params.value, ctx, c.caller);
      shared();
      // The connection's bytes stay taken until the answer is written out: a client that reads
      // slowly slows down only its own requests, and holds at most its own budget unsent.
      const written = mine;
      mine = () => {};
      sendFrame(c, { type: "res", id: frame.id, ok: true, payload }, written);
    } catch (err) {
      if (err instanceof RpcError) return sendError(c, frame.id, err.code, err.message, err.details ? { details: err.details } : {});
      ctx.logThrottle.log("error", { err, method: frame.method, conn: c.id }, "method failed");
      sendError(c, frame.id, "INTERNAL", `${frame.method} failed: ${(err as Error).message}`);
    } finally {
      shared();
      mine();
      c.inflight--;
    }
  }

  function onMessage(c: Conn, data: RawData, isBinary: boolean): void {
    // A socket we are closing (auth failure, slow consumer, ...) gets no more work done for it.
    if (c.ws.readyState !== WebSocket.OPEN) return;
    const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as Buffer).byteLength;
    if (!c.authed && size > cfg().preAuthMaxPayload) return closeWith(c, closeCodes.TOO_BIG, "frame too large before connect");
    if (isBinary) return closeWith(c, 1003, "binary frames are not supported");
    let value: unknown;
    try {
      value = JSON.parse(frameText(data));
    } catch {
      return closeWith(c, closeCodes.INVALID_PAYLOAD, "frame is not valid JSON");
    }
    const frame = requestFrameSchema.safeParse(value);
    if (!frame.success) {
      const id = (value as { id?: unknown })?.id;
      if (typeof id === "string" && id.length > 0 && c.authed)
        return sendError(c, id.slice(0, 128), "INVALID_REQUEST", 'not a valid req frame: expected {type:"req", id, method, params?}');
      return closeWith(c, closeCodes.PROTOCOL_ERROR, "not a valid req frame");
    }
    if (!c.authed) return handshake(c, frame.data);
    if (c.oc) return void openclaw.dispatch(c, frame.data);
    void dispatch(c, frame.data);
  }

  function onConnection(ws: WebSocket, client: ClientInfo, socket: Duplex, origin: string | undefined): void {
    const subs = new Map<string, AbortController>();
    const c: Conn = {
      id: crypto.randomUUID(),
      ws,
      client,
      authed: false,
      secretFp: null,
      alive: true,
      seq: 0,
      inflight: 0,
      budget: new ByteBudget(CONNECTION_BUDGET),
      evicted: false,
      quiet: false,
      clientId: "",
      handshakeTimer: undefined,
      socket,
      subs,
      caller: undefined!,
      dialect: "onebrain",
      // 16 random bytes in hex: protocol 1's documented form; OpenClaw's clients sign whatever nonce they are sent.
      nonce: crypto.randomBytes(16).toString("hex"),
      origin,
      oc: null,
      ocCaller: null,
    };
    c.caller = {
      connId: c.id,
      get clientId() {
        return c.clientId;
      },
      push: (event, payload) => sendEvent(c, event, payload),
      subscribe(name) {
        subs.get(name)?.abort();
        const ac = new AbortController();
        subs.set(name, ac);
        return ac.signal;
      },
      unsubscribe(name) {
        const ac = subs.get(name);
        ac?.abort();
        return subs.delete(name);
      },
    };
    conns.add(c);
    metrics.wsConnections.inc();
    c.handshakeTimer = setTimeout(() => closeWith(c, closeCodes.HANDSHAKE_TIMEOUT, "handshake timeout"), cfg().handshakeTimeoutMs);
    ws.on("message", (data, isBinary) => {
      // A throw here would surface from the socket's data event and end the process: it ends this client instead.
      try {
        onMessage(c, data, isBinary);
      } catch (err) {
        ctx.logThrottle.log("error", { err, conn: c.id }, "a frame could not be handled; closing that client");
        c.ws.terminate();
      }
    });
    ws.on("pong", () => (c.alive = true));
    ws.on("error", (err) => ctx.logThrottle.log("debug", { err, conn: c.id }, "socket error"));
    ws.on("close", (code) => {
      clearTimeout(c.handshakeTimer);
      for (const ac of subs.values()) ac.abort();
      subs.clear();
      conns.delete(c);
      if (c.authed) ctx.logThrottle.log(c.quiet ? "debug" : "info", { conn: c.id, code }, "client disconnected", 100);
    });
    sendEvent(c, "connect.challenge", { nonce: c.nonce, ts: Date.now() });
  }

  // One timer for all clients: ping, and terminate those that did not answer the previous ping.
  let heartbeat: NodeJS.Timeout;
  const startHeartbeat = () => {
    heartbeat = setInterval(() => {
      const now = Date.now();
      for (const c of conns) {
        if (!c.alive) {
          ctx.logThrottle.log("info", { conn: c.id, client: c.client.address }, "terminating client that missed a pong");
          c.ws.terminate();
          conns.delete(c);
          continue;
        }
        c.alive = false;
        c.ws.ping();
        if (c.authed) sendEvent(c, "tick", { ts: now });
      }
    }, cfg().pingIntervalMs);
    heartbeat.unref();
  };
  startHeartbeat();

  return {
    handleUpgrade(req, socket, head) {
      const client = clientInfo(req, ctx.trustedProxies());
      const attempt = attemptId(req.url);
      const refusal = upgradeRefusal(ctx, req, client, draining);
      if (refusal) {
        ctx.attempts.record(attempt, { upgraded: true, refused: { status: refusal.status, reason: refusal.why } });
        metrics.wsRefused.inc({ status: String(refusal.status) });
        return rejectUpgrade(socket, refusal);
      }
      ctx.attempts.record(attempt, { upgraded: true });
      const origin = typeof req.headers.origin === "string" ? req.headers.origin : undefined;
      wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, client, socket, origin));
    },
    count: () => conns.size,
    unsentBytes: () => outbound.total(),
    broadcast(event, payload) {
      for (const c of conns) if (c.authed && !c.oc) sendEvent(c, event, payload);
      openclaw.translate(event, payload);
    },
    broadcastOpenclaw: openclaw.broadcast,
    disconnectDevice: openclaw.disconnectDevice,
    connectedDevices: openclaw.connectedDevices,
    revokeRotated() {
      const fp = secretFingerprint(ctx.auth());
      let n = 0;
      for (const c of conns) {
        if (c.authed && c.secretFp !== null && c.secretFp !== fp) {
          closeWith(c, closeCodes.CREDENTIALS_ROTATED, "credentials rotated: reconnect with the new secret");
          n++;
        }
      }
      return n;
    },
    async shutdown(event, graceMs) {
      draining = true;
      clearInterval(heartbeat);
      for (const c of conns) if (c.authed) sendEvent(c, "shutdown", event);
      const deadline = Date.now() + graceMs;
      while (Date.now() < deadline && [...conns].some((c) => c.inflight > 0)) await new Promise((r) => setTimeout(r, 20));
      // OpenClaw's clients read 1012 "service restart" as "reconnect when it is back".
      for (const c of conns) c.ws.close(c.oc ? openclawCloseCodes.SERVICE_RESTART : closeCodes.GOING_AWAY, c.oc ? "service restart" : "gateway shutting down");
      const closeDeadline = Date.now() + Math.min(1000, Math.max(100, deadline - Date.now()));
      while (conns.size > 0 && Date.now() < closeDeadline) await new Promise((r) => setTimeout(r, 10));
      for (const c of conns) c.ws.terminate();
      conns.clear();
      wss.close();
    },
  };
}
