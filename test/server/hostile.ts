/**
 * Tools for the hostile-input suite: raw TCP requests (sent exactly as written, then optionally
 * reset), pipelined WebSocket frames whose answers are counted but not kept, a gateway's resident
 * memory from /proc (sampled while an attack runs), and liveness checks.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import { WebSocket } from "ws";
import { frameText } from "../../src/protocol/raw-data.ts";
import { httpGet, type RunningGateway } from "../helpers/gateway.ts";
import { openRaw } from "./raw-ws.ts";

/** A WebSocket upgrade request for `/ws` with the given extra headers (Host defaults to the loopback address). */
export function upgradeRequest(port: number, headers: Record<string, string> = {}): string {
  const all: Record<string, string> = {
    Host: `127.0.0.1:${port}`,
    Upgrade: "websocket",
    Connection: "Upgrade",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version": "13",
    ...headers,
  };
  return `GET /ws HTTP/1.1\r\n${Object.entries(all)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("")}\r\n`;
}

/** Sends `request` on a fresh TCP connection and resets it (RST, SO_LINGER 0) right after writing. */
export function sendAndReset(port: number, request: string): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1" }, () => {
      s.write(request);
      s.resetAndDestroy();
      resolve();
    });
    s.on("error", () => resolve());
  });
}

/** Sends `request` and resolves with everything the server answered before it closed. */
export function sendAndRead(port: number, request: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = net.connect({ port, host: "127.0.0.1" }, () => s.write(request));
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no end of answer within ${timeoutMs} ms; got ${Buffer.concat(chunks).toString().slice(0, 300)}`));
    }, timeoutMs);
    s.on("data", (d: Buffer) => chunks.push(d));
    s.on("error", () => {});
    s.on("close", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString());
    });
  });
}

/** Sends `request` and resolves with the HTTP status of the answer's first line (then closes). */
export function answerStatus(port: number, request: string, timeoutMs = 3000): Promise<number> {
  return new Promise((resolve, reject) => {
    let got = "";
    const s = net.connect({ port, host: "127.0.0.1" }, () => s.write(request));
    const done = (err: Error | null, status?: number) => {
      clearTimeout(timer);
      s.destroy();
      if (err) reject(err);
      else resolve(status!);
    };
    const timer = setTimeout(() => done(new Error(`no status line within ${timeoutMs} ms; got ${JSON.stringify(got.slice(0, 300))}`)), timeoutMs);
    s.on("data", (d: Buffer) => {
      got += d.toString("latin1");
      const m = /^HTTP\/1\.1 (\d{3}) /.exec(got);
      if (m) done(null, Number(m[1]));
    });
    s.on("error", (err) => done(err));
    s.on("close", () => done(new Error(`closed without a status line; got ${JSON.stringify(got.slice(0, 300))}`)));
  });
}

/** Runs `fn` `total` times, `parallel` at a time. */
export async function repeat(total: number, parallel: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < total) await fn(next++);
    }),
  );
}

/** The resident memory of a process in bytes (VmRSS of /proc/PID/status). */
export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

export const MiB = 1024 * 1024;

/** Asserts the gateway process runs, answers HTTP and accepts a WebSocket client. */
export async function assertAlive(gw: RunningGateway, auth?: { token: string }): Promise<void> {
  assert.equal(gw.child.exitCode, null, `the gateway process is alive; its output ends with:\n${gw.stderr().slice(-1500)}`);
  assert.equal((await httpGet(gw.port, "/healthz")).status, 200);
  const c = await openRaw(gw.port);
  const res = await c.connect(auth);
  assert.equal(res.ok, true, JSON.stringify(res.error));
  c.ws.close();
}

/** GET `pathname` with the given Host header (fetch cannot set one); resolves with status and body. */
export function getWithHost(port: number, pathname: string, host: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: pathname, headers: { ...headers, host }, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on("error", reject);
  });
}

/** A frame to send: text as given, or raw bytes as a text frame (invalid UTF-8 allowed) or a binary one. */
export type OutFrame = string | { bytes: Buffer; binary: boolean };

export interface Blast {
  /** Responses by outcome: "ok" or the error code. */
  answers: Record<string, number>;
  /** How the server closed the socket (null when it stayed open until the client closed it). */
  closeCode: number | null;
}

/**
 * Opens a WebSocket (connecting with `auth` first unless `connect` is false), sends every frame
 * back to back without waiting, and counts the answers as they come without keeping them, until
 * `expect` answers arrived or the server closed the socket.
 */
export function blast(
  port: number,
  frames: OutFrame[],
  o: { auth?: { token: string }; connect?: boolean; expect: number; timeoutMs?: number },
): Promise<Blast> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false, maxPayload: 64 * MiB });
    const answers: Record<string, number> = {};
    let count = 0;
    let connected = o.connect === false;
    const timer = setTimeout(
      () => finish(new Error(`only ${count} of ${o.expect} answers within ${o.timeoutMs ?? 20_000} ms: ${JSON.stringify(answers)}`)),
      o.timeoutMs ?? 20_000,
    );
    const finish = (err: Error | null, closeCode: number | null = null) => {
      clearTimeout(timer);
      ws.removeAllListeners("close");
      ws.on("error", () => {});
      ws.terminate();
      if (err) reject(err);
      else resolve({ answers, closeCode });
    };
    const sendAll = () => {
      for (const f of frames) {
        if (typeof f === "string") ws.send(f);
        else ws.send(f.bytes, { binary: f.binary });
      }
      if (o.expect <= 0) finish(null);
    };
    ws.on("error", () => {});
    ws.on("open", () => {
      if (connected) sendAll();
      else
        ws.send(
          JSON.stringify({
            type: "req",
            id: "connect",
            method: "connect",
            params: {
              minProtocol: 1,
              maxProtocol: 1,
              client: { id: "hostile", version: "0", platform: "test", mode: "test" },
              ...(o.auth ? { auth: o.auth } : {}),
            },
          }),
        );
    });
    ws.on("message", (data) => {
      const text = frameText(data);
      if (!text.startsWith('{"type":"res"')) return;
      const f = JSON.parse(text) as { id: string; ok: boolean; error?: { code: string } };
      if (!connected) {
        if (!f.ok) return finish(new Error(`connect refused: ${text.slice(0, 300)}`));
        connected = true;
        return sendAll();
      }
      const key = f.ok ? "ok" : f.error!.code;
      answers[key] = (answers[key] ?? 0) + 1;
      if (++count >= o.expect) finish(null);
    });
    ws.on("close", (code) => finish(null, code));
  });
}

/** Runs `fn` while sampling the process's RSS every 20 ms; returns the RSS before, the peak and the RSS after. */
export async function watchRss<T>(pid: number, fn: () => Promise<T>): Promise<{ value: T; before: number; peak: number; after: number }> {
  const before = rssBytes(pid);
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 20);
  try {
    const value = await fn();
    const after = rssBytes(pid);
    return { value, before, peak: Math.max(peak, after), after };
  } finally {
    clearInterval(timer);
  }
}
