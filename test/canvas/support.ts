/**
 * What the canvas tests share: a raw HTTP GET (the path sent byte for byte, as fetch would
 * normalise `..` away), `canvas.info` over the protocol, and a live-reload socket that reports
 * the status of a refused upgrade.
 */
import http from "node:http";
import { WebSocket } from "ws";
import { connectGateway } from "../../src/client/gateway-client.ts";
import { frameText } from "../../src/protocol/raw-data.ts";
import type { CanvasInfo } from "../../src/protocol/canvas.ts";

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Sends `method path` to 127.0.0.1:port exactly as written and reads the whole answer. */
export function raw(port: number, path: string, headers: Record<string, string> = {}, method = "GET"): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path, method, headers, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** `canvas.info` of the gateway on `port`. */
export async function canvasInfo(port: number, token?: string): Promise<CanvasInfo> {
  const c = await connectGateway({ url: `ws://127.0.0.1:${port}`, token, clientId: "canvas-test" });
  try {
    return await c.request<CanvasInfo>("canvas.info");
  } finally {
    await c.close();
  }
}

/** An open live-reload socket and the messages it got. */
export interface ReloadSocket {
  ws: WebSocket;
  messages: string[];
  closed: Promise<number>;
}

/** Opens a live-reload socket; rejects with `{status}` when the upgrade is refused. */
export function reloadSocket(url: string, headers: Record<string, string> = {}, origin?: string): Promise<ReloadSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, ...(origin ? { origin } : {}) });
    const messages: string[] = [];
    const closed = new Promise<number>((r) => ws.on("close", (code) => r(code)));
    ws.on("message", (d) => messages.push(frameText(d)));
    ws.on("unexpected-response", (_req, res) => {
      reject(Object.assign(new Error(`refused: ${res.statusCode}`), { status: res.statusCode }));
      ws.terminate();
    });
    ws.on("error", (err) => reject(err));
    ws.on("open", () => resolve({ ws, messages, closed }));
  });
}

/** The status a refused upgrade got (or 101 when it opened, then closed at once). */
export async function upgradeStatus(url: string, headers: Record<string, string> = {}, origin?: string): Promise<number> {
  try {
    const s = await reloadSocket(url, headers, origin);
    s.ws.close();
    return 101;
  } catch (err) {
    return (err as { status?: number }).status ?? 0;
  }
}

/** Waits until `cond` holds, polling every 10 ms. */
export async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
