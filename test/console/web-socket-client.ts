/**
 * A protocol v1 client on Node's global WebSocket (the WHATWG API a browser has, no `ws`
 * package): what the console does on the wire, for the reverse-proxy tests that need no page.
 */

export type { Frame } from "../server/raw-ws.ts";
import type { Frame } from "../server/raw-ws.ts";

export interface WebClient {
  ws: WebSocket;
  hello: any;
  /** Every event received, in order. */
  events: Frame[];
  /** Sends a request; resolves with its payload, rejects with the wire error. */
  request<T = any>(method: string, params?: unknown, timeoutMs?: number): Promise<T>;
  /** Resolves with the first event (past or future) that matches. */
  waitEvent(match: (e: Frame) => boolean, what: string, timeoutMs?: number): Promise<Frame>;
  /** Resolves with the close code once the socket is closed (by either side). */
  closed: Promise<number>;
  close(): Promise<number>;
}

/** Why an attempt failed before the handshake finished. */
export class OpenFailed extends Error {
  readonly closeCode: number;
  constructor(message: string, closeCode: number) {
    super(message);
    this.closeCode = closeCode;
  }
}

/** Opens `url`, answers the challenge with `connect` (token auth) and resolves after hello-ok. */
export function connectWeb(url: string, token: string, clientId = "proxy-test", timeoutMs = 15_000): Promise<WebClient> {
  const ws = new WebSocket(url);
  const events: Frame[] = [];
  const pending = new Map<string, (f: Frame) => void>();
  const waiters = new Set<() => void>();
  let nextId = 1;
  const closed = new Promise<number>((resolve) => ws.addEventListener("close", (e) => resolve(e.code)));

  const send = (method: string, params?: unknown): Promise<Frame> => {
    const id = `w${nextId++}`;
    ws.send(JSON.stringify({ type: "req", id, method, ...(params !== undefined ? { params } : {}) }));
    return new Promise((resolve) => pending.set(id, resolve));
  };
  const request = async <T>(method: string, params?: unknown, reqTimeoutMs = timeoutMs): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>(
      (_, reject) => (timer = setTimeout(() => reject(new Error(`${method} got no answer within ${reqTimeoutMs} ms`)), reqTimeoutMs)),
    );
    try {
      const res = await Promise.race([send(method, params), timeout]);
      if (!res.ok) throw new Error(`${method} failed: ${res.error?.code} ${res.error?.message}`);
      return res.payload as T;
    } finally {
      clearTimeout(timer);
    }
  };
  const waitEvent = (match: (e: Frame) => boolean, what: string, waitMs = timeoutMs): Promise<Frame> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const e = events.find(match);
        if (e) finish(() => resolve(e));
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`no event ${what} within ${waitMs} ms; got ${JSON.stringify(events.map((e) => e.event))}`))),
        waitMs,
      );
      const finish = (fn: () => void) => (clearTimeout(timer), waiters.delete(check), fn());
      waiters.add(check);
      check();
    });

  ws.addEventListener("message", (e) => {
    const f = JSON.parse(String(e.data)) as Frame;
    if (f.type === "res" && f.id !== undefined) {
      pending.get(f.id)?.(f);
      pending.delete(f.id);
    } else if (f.type === "event") {
      events.push(f);
      for (const w of waiters) w();
    }
  });

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (ws.close(), reject(new OpenFailed(`no hello-ok from ${url} within ${timeoutMs} ms`, 0))), timeoutMs);
    void closed.then((code) => (clearTimeout(timer), reject(new OpenFailed(`${url} closed (${code}) before hello-ok`, code))));
    ws.addEventListener("open", async () => {
      try {
        await waitEvent((e) => e.event === "connect.challenge", "connect.challenge");
        const hello = await request("connect", {
          minProtocol: 1,
          maxProtocol: 1,
          client: { id: clientId, version: "0.0.0", platform: process.platform, mode: "ui" },
          auth: { token },
        });
        clearTimeout(timer);
        resolve({
          ws,
          hello,
          events,
          request,
          waitEvent,
          closed,
          close: () => (ws.close(1000), closed),
        });
      } catch (err) {
        clearTimeout(timer);
        ws.close();
        reject(err);
      }
    });
  });
}

/** Tries to open a WebSocket and resolves with how the attempt ended: "open" or the close code. */
export function attempt(url: string, timeoutMs = 15_000): Promise<"open" | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => (ws.close(), resolve(-1)), timeoutMs);
    ws.addEventListener("open", () => (clearTimeout(timer), ws.close(1000), resolve("open")));
    ws.addEventListener("close", (e) => (clearTimeout(timer), resolve(e.code)));
  });
}
