/**
 * The OpenClaw side of the WebSocket server (docs/openclaw.md): a socket whose `connect` asked for
 * OpenClaw's protocol is admitted, served and sent events here; the socket itself (limits,
 * heartbeat, slow consumers) stays ws.ts's.
 */
import { openclawCloseCodes } from "../protocol/openclaw/errors.ts";
import { scopeSatisfied } from "../protocol/openclaw/scopes.ts";
import { secretFingerprint } from "./auth.ts";
import type { GatewayContext } from "./context.ts";
import { openclawConnect, openclawRequest, type OcIo } from "./openclaw/connection.ts";
import { openclawEvents } from "./openclaw/events.ts";
import { anyWaiting } from "./openclaw/runs.ts";
import { modelCatalog } from "./openclaw/methods/system.ts";
import type { Conn } from "./ws-conn.ts";

interface SocketSide {
  ctx: GatewayContext;
  conns: ReadonlySet<Conn>;
  sendFrame: (c: Conn, frame: object, onWritten?: () => void) => void;
  sendEvent: (c: Conn, event: string, payload: unknown) => void;
  closeWith: (c: Conn, code: number, reason: string) => void;
  draining: () => boolean;
}

/** The OpenClaw handshake, dispatch and events over the gateway's sockets. */
export function openclawSockets(o: SocketSide) {
  const { ctx, conns, sendFrame, sendEvent, closeWith } = o;
  const cfg = () => ctx.config().gateway.ws;
  /** Answers and closes for the OpenClaw side (connection.ts), on this socket's frames. */
  const ocIo = (c: Conn, id: string): OcIo => ({
    res: (ok: boolean, body: unknown, onWritten?: () => void) =>
      sendFrame(c, ok ? { type: "res", id, ok: true, payload: body } : { type: "res", id, ok: false, error: body }, onWritten),
    close: (code: number, reason: string) => closeWith(c, code, reason),
  });

  function handshake(c: Conn, frame: { id: string; params?: unknown }): void {
    c.dialect = "openclaw";
    const sock = { connId: c.id, client: c.client, nonce: c.nonce, origin: c.origin };
    const session = openclawConnect(ctx, ocIo(c, frame.id), frame.params, sock, (request) => ctx.devices.requested(request));
    if (!session) return;
    // A client that asked for the model catalog at connect gets it at once, unnumbered (as OpenClaw sends it).
    const asked = (frame.params as { modelCatalog?: { sessionKey?: string; agentId?: string } } | undefined)?.modelCatalog;
    if (asked && session.role === "operator") {
      const target = { sessionKey: asked.sessionKey ?? "main" };
      sendFrame(c, { type: "event", event: "models.snapshot", payload: { target, scope: target, catalog: modelCatalog(ctx, asked.agentId) } });
    }
    clearTimeout(c.handshakeTimer);
    c.handshakeTimer = undefined;
    c.authed = true;
    c.oc = session;
    // A device that came with its own token stays when the gateway's secret rotates.
    c.secretFp = session.method === "device-token" ? null : secretFingerprint(ctx.auth());
    c.clientId = session.clientId;
    c.quiet = session.clientMode === "probe" || session.clientMode === "cli";
    c.ocCaller = {
      connId: c.id,
      clientId: session.clientId,
      clientMode: session.clientMode,
      role: session.role,
      scopes: session.scopes,
      deviceId: session.device?.id ?? null,
      push: (event, payload) => sendEvent(c, event, payload),
      subscribe: (name) => c.caller.subscribe(name),
      unsubscribe: (name) => c.caller.unsubscribe(name),
    };
    ctx.logThrottle.log(
      c.quiet ? "debug" : "info",
      {
        conn: c.id,
        client: c.client.address,
        clientId: session.clientId,
        mode: session.clientMode,
        role: session.role,
        device: session.device?.id.slice(0, 12),
      },
      "openclaw client connected",
      100,
    );
  }

  async function dispatch(c: Conn, frame: { id: string; method: string; params?: unknown }): Promise<void> {
    const io = ocIo(c, frame.id);
    if (frame.method === "connect") return io.res(false, { code: "INVALID_REQUEST", message: "connect was already accepted on this socket" });
    if (o.draining()) return io.res(false, { code: "UNAVAILABLE", message: "the gateway is stopping", retryable: true, retryAfterMs: 1000 });
    if (c.inflight >= cfg().maxInflight)
      return io.res(false, { code: "UNAVAILABLE", message: "The server is busy. Please try again in a moment.", retryable: true, retryAfterMs: 250 });
    c.inflight++;
    try {
      await openclawRequest(ctx, io, c.oc!, c.ocCaller!, frame.method, frame.params);
    } finally {
      c.inflight--;
    }
  }

  function broadcast(event: string, payload: unknown, scope: string | null): void {
    for (const c of conns) {
      if (!c.oc) continue;
      if (scope && (c.oc.role !== "operator" || !scopeSatisfied(c.oc.scopes, scope))) continue;
      sendEvent(c, event, payload);
    }
  }

  const hasOpenclawClient = (): boolean => {
    for (const c of conns) if (c.oc) return true;
    return false;
  };

  return {
    handshake,
    dispatch,
    broadcast,
    /** Sends onebrain's event to OpenClaw clients in their shapes (chat runs become `chat` and `agent` events). */
    translate: (event: string, payload: unknown): void => {
      // Every delta of every run passes here: with no OpenClaw client and nobody waiting, there is nothing to translate.
      if (!anyWaiting() && !hasOpenclawClient()) return;
      for (const e of openclawEvents(ctx, event, payload)) broadcast(e.event, e.payload, e.scope);
    },
    /** The devices with an OpenClaw socket open now. */
    connectedDevices: (): Set<string> => {
      const ids = new Set<string>();
      for (const c of conns) if (c.oc?.device) ids.add(c.oc.device.id);
      return ids;
    },
    disconnectDevice: (deviceId: string): number => {
      let n = 0;
      for (const c of conns) {
        if (c.oc?.device?.id !== deviceId) continue;
        closeWith(c, openclawCloseCodes.DEVICE_REMOVED, "device removed");
        n++;
      }
      return n;
    },
  };
}
