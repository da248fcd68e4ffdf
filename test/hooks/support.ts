/**
 * What the webhook gateway tests share: a gateway with the fake model and a hook token, requests
 * over fetch and over a raw socket (for bodies a client library would not send), read-only looks
 * into brain.db, and waiting for a delivery to end.
 */
import crypto from "node:crypto";
import net from "node:net";
import type { FakeModelServer } from "../helpers/fake-model.ts";
import { brainRows, runCli, startGateway, type RunningGateway } from "../helpers/gateway.ts";
import { track } from "../gateway/support.ts";
import { until } from "../helpers/wait.ts";

/** The config of a test brain with the fake model, plus `extra` (merged at the top level). */
export function hookConfig(fake: FakeModelServer, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { models: { primary: "fake/hooks-1", providers: { fake: { kind: "openai", baseUrl: fake.openaiUrl } } }, ...extra };
}

/** Starts a gateway and makes its hook token (unless `token` is false). */
export async function hookGateway(
  config: Record<string, unknown>,
  o: { token?: boolean; stateDir?: string; env?: Record<string, string | undefined> } = {},
): Promise<{ gw: RunningGateway; token: string; base: string }> {
  const gw = track(await startGateway({ config, ...(o.stateDir ? { stateDir: o.stateDir } : {}), ...(o.env ? { env: o.env } : {}) }));
  let token = "";
  if (o.token !== false) {
    const r = await runCli(["hooks", "token", "--json"], gw.env);
    if (r.code !== 0) throw new Error(`hooks token failed: ${r.stderr}`);
    token = JSON.parse(r.stdout).token;
  }
  return { gw, token, base: `http://127.0.0.1:${gw.port}` };
}

export interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

/** POSTs JSON (or a raw string) to a hook; `token` goes in Authorization unless null. */
export async function post(
  base: string,
  hookPath: string,
  body: unknown,
  o: { token?: string | null; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { "content-type": "application/json", ...o.headers };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  const res = await fetch(`${base}${hookPath}`, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** GETs a path with the hook token. */
export async function get(base: string, p: string, token: string | null): Promise<Answer> {
  const res = await fetch(`${base}${p}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

/** `sha256=<hex HMAC>` of exactly these bytes. */
export function sign(body: string | Buffer, secret: string): string {
  return `sha256=${crypto.createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** Rows of a read-only query on the brain's database. */
export const rows = brainRows;

export { sleep, until } from "../helpers/wait.ts";

/** Waits until a delivery has ended (neither accepted nor running), returning its view. */
export function settled(base: string, token: string, runId: string): Promise<any> {
  return until(`delivery ${runId} to end`, async () => {
    const r = await get(base, `/hooks/runs/${runId}`, token);
    return r.status === 200 && !["accepted", "running"].includes(r.body.state) && !(r.body.state === "answered" && r.body.note === "delivering")
      ? r.body
      : null;
  });
}

/**
 * Sends `head` (the request line and headers, CRLF-terminated, without the blank line) and then
 * `body` over a raw socket, returning the status line's code, or the socket error when no answer
 * came. `slow` writes the body in pieces of that many bytes, 50 ms apart.
 */
export function rawRequest(
  port: number,
  head: string,
  body: Buffer,
  o: { resetAfter?: number; slow?: number } = {},
): Promise<{ status: number | null; text: string; error: string | null }> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    let got = "";
    let error: string | null = null;
    s.on("data", (d: Buffer) => (got += d.toString("latin1")));
    s.on("error", (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
    s.on("close", () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(got);
      resolve({ status: m ? Number(m[1]) : null, text: got, error });
    });
    s.write(`${head}\r\n\r\n`);
    if (o.slow === undefined) return void s.write(body);
    let at = 0;
    const step = (): void => {
      if (s.destroyed) return;
      if (o.resetAfter !== undefined && at >= o.resetAfter) return void s.resetAndDestroy();
      if (at >= body.length) return;
      s.write(body.subarray(at, at + o.slow!));
      at += o.slow!;
      setTimeout(step, 50);
    };
    step();
  });
}
