/**
 * A small client for protocol v1: connect, answer the challenge with `connect`, then make
 * requests. Used by `gateway probe`, `status` and `health`, and by tests. Every step has a
 * deadline, so a hung gateway gives a clear TIMEOUT instead of a hang. With `dialect: "openclaw"`
 * it connects to an OpenClaw gateway as OpenClaw's own CLI does (see ./dialect.ts).
 */
import { WebSocket } from "ws";
import { frameText } from "../protocol/raw-data.ts";
import { OnebrainError } from "../shared/errors.ts";
import { PROTOCOL_VERSION, type HelloOk, type ResponseFrame, type EventFrame } from "../protocol/frames.ts";
import { onebrainVersion } from "../shared/version.ts";
import { connectParams, refusalCode, type ClientDialect } from "./dialect.ts";

export interface ClientOptions {
  url: string;
  token?: string | undefined;
  password?: string | undefined;
  /** Deadline for the whole connect + handshake. */
  timeoutMs?: number;
  /** Origin header to send (browsers always send one; tools normally do not). */
  origin?: string;
  clientId?: string;
  mode?: string;
  /** Answer pings automatically (true, like any ws client); false simulates a frozen peer. */
  autoPong?: boolean;
  /** Whose protocol to speak: onebrain's 1 (the default) or OpenClaw's 3-4. */
  dialect?: ClientDialect;
  /** OpenClaw only: the operator scopes to ask for (default operator.read). */
  scopes?: string[];
}

export interface GatewayConnection {
  /** The `hello-ok` payload: onebrain's shape, or OpenClaw's when `dialect` is openclaw. */
  hello: HelloOk;
  dialect: ClientDialect;
  ws: WebSocket;
  /** Sends a request and resolves with its payload, or rejects with the wire error as an OnebrainError. */
  request<T = unknown>(method: string, params?: unknown, timeoutMs?: number): Promise<T>;
  /** Events received so far (bounded), and a hook for new ones. */
  events: EventFrame[];
  onEvent: (fn: (e: EventFrame) => void) => void;
  close(): Promise<{ code: number; reason: string }>;
  /** Closes politely (1000) but waits at most `ms` for the server's close frame before dropping the socket. */
  closeWithin(ms: number): Promise<void>;
  closed: Promise<{ code: number; reason: string }>;
}

function wireError(code: string, message: string, retryAfterMs?: number, wire?: Record<string, unknown>): OnebrainError {
  return new OnebrainError(refusalCode(code, wire), message, {
    details: { wireCode: code, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}), ...(wire ? { wire } : {}) },
  });
}

/** Opens a connection and completes the handshake. */
export function connectGateway(opts: ClientOptions): Promise<GatewayConnection> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(opts.url, {
      handshakeTimeout: timeoutMs,
      autoPong: opts.autoPong ?? true,
      ...(opts.origin ? { origin: opts.origin } : {}),
      perMessageDeflate: false,
    });
    const pending = new Map<string, { resolve(v: unknown): void; reject(e: Error): void; timer: NodeJS.Timeout }>();
    const events: EventFrame[] = [];
    const listeners: Array<(e: EventFrame) => void> = [];
    let nextId = 1;
    let settled = false;
    let resolveClosed!: (v: { code: number; reason: string }) => void;
    const closed = new Promise<{ code: number; reason: string }>((r) => (resolveClosed = r));

    const fail = (err: OnebrainError) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      ws.terminate();
      reject(err);
    };
    const deadline = setTimeout(() => fail(new OnebrainError("TIMEOUT", `No handshake from ${opts.url} within ${timeoutMs} ms`)), timeoutMs);

    const request = <T>(method: string, params?: unknown, reqTimeoutMs = timeoutMs): Promise<T> =>
      new Promise<T>((res, rej) => {
        if (ws.readyState !== WebSocket.OPEN) return rej(new OnebrainError("GATEWAY_UNREACHABLE", `Connection to ${opts.url} is closed`));
        const id = String(nextId++);
        const timer = setTimeout(() => {
          pending.delete(id);
          rej(new OnebrainError("TIMEOUT", `${method} got no answer within ${reqTimeoutMs} ms`));
        }, reqTimeoutMs);
        pending.set(id, { resolve: res as (v: unknown) => void, reject: rej, timer });
        ws.send(JSON.stringify({ type: "req", id, method, ...(params !== undefined ? { params } : {}) }));
      });

    ws.on("message", (data) => {
      let frame: ResponseFrame | EventFrame;
      try {
        frame = JSON.parse(frameText(data)) as ResponseFrame | EventFrame;
      } catch {
        return fail(new OnebrainError("PROTOCOL_ERROR", `${opts.url} sent a frame that is not JSON`));
      }
      if (frame.type === "event") {
        if (events.length >= 1000) events.shift();
        events.push(frame);
        for (const l of listeners) l(frame);
        if (frame.event === "connect.challenge" && !settled) {
          const auth =
            opts.token || opts.password ? { ...(opts.token ? { token: opts.token } : {}), ...(opts.password ? { password: opts.password } : {}) } : undefined;
          request<HelloOk>(
            "connect",
            connectParams(opts.dialect ?? "onebrain", {
              protocol: PROTOCOL_VERSION,
              clientId: opts.clientId,
              mode: opts.mode,
              version: onebrainVersion(),
              auth,
              scopes: opts.scopes,
            }),
          ).then(
            (hello) => {
              if (settled) return;
              settled = true;
              clearTimeout(deadline);
              resolve({
                hello,
                dialect: opts.dialect ?? "onebrain",
                ws,
                request,
                events,
                onEvent: (fn) => listeners.push(fn),
                closed,
                close: () => (ws.close(1000), closed),
                closeWithin: async (ms) => {
                  ws.close(1000);
                  const timer = setTimeout(() => ws.terminate(), ms);
                  await closed;
                  clearTimeout(timer);
                },
              });
            },
            (err: OnebrainError) => fail(err),
          );
        }
        return;
      }
      if (frame.type === "res") {
        const p = pending.get(frame.id);
        if (!p) return;
        pending.delete(frame.id);
        clearTimeout(p.timer);
        if (frame.ok) p.resolve(frame.payload);
        else
          p.reject(
            wireError(
              frame.error?.code ?? "INTERNAL",
              frame.error?.message ?? "request failed",
              frame.error?.retryAfterMs,
              frame.error?.details as Record<string, unknown> | undefined,
            ),
          );
      }
    });
    ws.on("unexpected-response", (_req, res) => {
      const status = res.statusCode ?? 0;
      const code = status === 401 ? "AUTH_FAILED" : status === 429 ? "RATE_LIMITED" : status === 403 ? "AUTH_FAILED" : "GATEWAY_UNREACHABLE";
      fail(
        new OnebrainError(code, `${opts.url} refused the WebSocket upgrade with HTTP ${status}${status === 403 ? " (Origin not allowed)" : ""}`, {
          details: { httpStatus: status },
        }),
      );
    });
    ws.on("error", (err: NodeJS.ErrnoException) => {
      const code = err.code === "ECONNREFUSED" || err.code === "ENOTFOUND" || err.code === "EHOSTUNREACH" ? "GATEWAY_UNREACHABLE" : "UNHEALTHY";
      fail(new OnebrainError(code, `Cannot connect to ${opts.url}: ${err.code ?? err.message}`, { details: { errno: err.code } }));
    });
    ws.on("close", (code, reason) => {
      const r = reason.toString();
      for (const p of pending.values()) {
        clearTimeout(p.timer);
        p.reject(new OnebrainError("GATEWAY_UNREACHABLE", `Connection closed (${code} ${r})`));
      }
      pending.clear();
      resolveClosed({ code, reason: r });
      fail(new OnebrainError("GATEWAY_UNREACHABLE", `${opts.url} closed the connection during the handshake (${code} ${r})`, { details: { closeCode: code } }));
    });
  });
}
