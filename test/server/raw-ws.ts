/**
 * A raw protocol client for server tests: it sends exactly what it is told (including garbage),
 * keeps every frame it receives, and reports how the socket ended. Well-behaved clients use
 * connectGateway instead.
 */
import { WebSocket } from "ws";
import { frameText } from "../../src/protocol/raw-data.ts";
import { startGateway, type RunningGateway } from "../helpers/gateway.ts";

export interface Frame {
  type: string;
  id?: string;
  ok?: boolean;
  event?: string;
  payload?: any;
  error?: { code: string; message: string; retryAfterMs?: number; retryable?: boolean; details?: unknown };
  seq?: number;
}

export interface RawClient {
  ws: WebSocket;
  frames: Frame[];
  /** Resolves with the first received frame (past or future) that matches. */
  waitFrame(match: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  /** Sends a req frame and resolves with its res frame. */
  request(method: string, params?: unknown, id?: string): Promise<Frame>;
  /** Sends `connect` with protocol 1 (or the given range) and optional auth; resolves with the res frame. */
  connect(auth?: { token?: string; password?: string }, protocol?: { min: number; max: number }): Promise<Frame>;
  closed: Promise<{ code: number; reason: string }>;
}

export interface RawOptions {
  origin?: string;
  headers?: Record<string, string>;
  autoPong?: boolean;
}

/** Opens a socket; rejects with `{ status }` when the server refuses the upgrade. */
export function openRaw(port: number, opts: RawOptions = {}): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, {
      perMessageDeflate: false,
      autoPong: opts.autoPong ?? true,
      ...(opts.origin ? { origin: opts.origin } : {}),
      ...(opts.headers ? { headers: opts.headers } : {}),
    });
    const frames: Frame[] = [];
    const waiters = new Set<() => void>();
    let nextId = 1;
    ws.on("message", (data) => {
      frames.push(JSON.parse(frameText(data)) as Frame);
      for (const w of waiters) w();
    });
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.on("close", (code, reason) => r({ code, reason: reason.toString() })));
    ws.on("error", () => {
      // The close event reports the outcome; errors here are the expected end of bad sockets.
    });
    ws.on("unexpected-response", (_req, res) => {
      res.resume();
      reject(Object.assign(new Error(`upgrade refused with HTTP ${res.statusCode}`), { status: res.statusCode, headers: res.headers }));
    });

    const waitFrame = (match: (f: Frame) => boolean, timeoutMs = 3000): Promise<Frame> =>
      new Promise((res, rej) => {
        const timer = setTimeout(() => done(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(frames).slice(0, 2000)}`)), timeoutMs);
        const check = () => {
          const f = frames.find(match);
          if (f) done(undefined, f);
        };
        const done = (err?: Error, f?: Frame) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (err) rej(err);
          else res(f!);
        };
        waiters.add(check);
        check();
      });
    const request = (method: string, params?: unknown, id = `r${nextId++}`): Promise<Frame> => {
      ws.send(JSON.stringify({ type: "req", id, method, ...(params !== undefined ? { params } : {}) }));
      return waitFrame((f) => f.type === "res" && f.id === id);
    };
    const connect = (auth?: { token?: string; password?: string }, protocol = { min: 1, max: 1 }): Promise<Frame> =>
      request("connect", {
        minProtocol: protocol.min,
        maxProtocol: protocol.max,
        client: { id: "raw-test", version: "0.0.0", platform: process.platform, mode: "test" },
        ...(auth ? { auth } : {}),
      });
    ws.on("open", () => resolve({ ws, frames, waitFrame, request, connect, closed }));
  });
}

/** The HTTP status with which an upgrade is refused, or 101 when it is accepted (the socket is then closed). */
export async function upgradeStatus(port: number, opts: RawOptions = {}): Promise<number> {
  try {
    const c = await openRaw(port, opts);
    c.ws.close();
    return 101;
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status === undefined) throw err;
    return status;
  }
}

/** Starts a gateway for one test and stops it (and its process) when the test ends. */
export async function gatewayFor(t: { after(fn: () => unknown): void }, config: unknown, env?: Record<string, string | undefined>): Promise<RunningGateway> {
  const gw = await startGateway({ config, ...(env ? { env } : {}) });
  t.after(async () => {
    const kill = setTimeout(() => gw.kill("SIGKILL"), 3000);
    await gw.stop();
    clearTimeout(kill);
  });
  return gw;
}

/** Waits until `check` returns true, polling; fails with `what` after `timeoutMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
