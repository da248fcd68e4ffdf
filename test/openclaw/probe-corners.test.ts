/**
 * `gateway probe --url` and `status --url` against the corners of OpenClaw-family gateways that
 * the real 2026.9.6 gateway shows only by chance (real-gateway.test.ts covers the usual path): a
 * gateway still starting (UNAVAILABLE with retryAfterMs, close 1013), a Clawdbot that speaks only
 * protocol 3, and a hostile gateway whose names carry terminal escapes and megabytes. The server
 * here speaks OpenClaw's recorded wire: the challenge, its refusal of other client ids, its errors.
 */
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { after, before, test } from "node:test";
import { WebSocketServer, type WebSocket } from "ws";
import { isControlCode } from "../../src/shared/text.ts";
import { brainEnv, runCli, tmpDir } from "../helpers/gateway.ts";

type Json = Record<string, any>;
interface Behaviour {
  /** OpenClaw connects refused as "gateway starting" before one is let in. */
  starting?: number;
  /** The highest protocol spoken (Clawdbot 2026.1: 3). */
  protocol?: number;
  version?: string;
  health?: Json;
}

let wss: WebSocketServer;
let behaviour: Behaviour = {};
let openclawConnects = 0;

function answer(ws: WebSocket, frame: Json): void {
  if (frame.method !== "connect") {
    const payload =
      frame.method === "health"
        ? { ok: true, payload: behaviour.health ?? { ok: true, channels: {} } }
        : { ok: false, error: { code: "INVALID_REQUEST", message: `unknown method: ${frame.method}` } };
    ws.send(JSON.stringify({ type: "res", id: frame.id, ...payload }));
    return;
  }
  const p = frame.params;
  const refuse = (error: Json, code: number, reason: string) => {
    ws.send(JSON.stringify({ type: "res", id: frame.id, ok: false, error }));
    ws.close(code, reason);
  };
  if (!["cli", "gateway-client", "openclaw-control-ui", "node-host"].includes(p?.client?.id))
    return refuse(
      { code: "INVALID_REQUEST", message: "invalid connect params: at /client/id: must be equal to one of the allowed values" },
      1008,
      "invalid connect params: at /client/id: must be equal to one of the allowed values",
    );
  openclawConnects++;
  const top = behaviour.protocol ?? 4;
  const min = p.client.mode === "probe" ? 3 : top;
  if (p.maxProtocol < min || p.minProtocol > top)
    return refuse(
      { code: "INVALID_REQUEST", message: "protocol mismatch", details: { code: "PROTOCOL_MISMATCH", expectedProtocol: top, minimumProbeProtocol: 3 } },
      1002,
      "protocol mismatch",
    );
  if (openclawConnects <= (behaviour.starting ?? 0))
    return refuse(
      { code: "UNAVAILABLE", message: "gateway starting; retry shortly", retryable: true, retryAfterMs: 300, details: { reason: "startup-sidecars" } },
      1013,
      "gateway starting",
    );
  ws.send(
    JSON.stringify({
      type: "res",
      id: frame.id,
      ok: true,
      payload: {
        type: "hello-ok",
        protocol: top,
        server: { version: behaviour.version ?? "2026.1.24", connId: "c1" },
        features: { methods: ["health"], events: ["tick"] },
        snapshot: { presence: [], health: {}, uptimeMs: 4200 },
        auth: { role: "operator", scopes: p.client.mode === "probe" ? [] : ["operator.read"] },
        policy: { maxPayload: 26214400, maxBufferedBytes: 52428800, tickIntervalMs: 30000 },
      },
    }),
  );
}

before(async () => {
  wss = new WebSocketServer({ host: "127.0.0.1", port: 0, maxPayload: 1 << 20 });
  wss.on("connection", (ws) => {
    ws.send(JSON.stringify({ type: "event", event: "connect.challenge", payload: { nonce: "n-1", ts: Date.now() } }));
    ws.on("message", (d: Buffer) => answer(ws, JSON.parse(d.toString("utf8")) as Json));
  });
  await new Promise<void>((r) => wss.once("listening", () => r()));
});
after(() => new Promise<void>((r) => wss.close(() => r())));

const env = () => brainEnv(path.join(tmpDir(), "state"));
const url = () => `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
const reset = (b: Behaviour) => {
  behaviour = b;
  openclawConnects = 0;
};

test("a gateway still starting: the probe waits as told within its timeout, and says so when the timeout is shorter", async () => {
  reset({ starting: 2 });
  const r = await runCli(["gateway", "probe", "--url", url(), "--token", "t", "--timeout", "5000", "--json"], env());
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(JSON.parse(r.stdout).gateway.kind, "openclaw");
  assert.equal(openclawConnects, 3, "two refusals waited out, then in");

  reset({ starting: 100 });
  const short = await runCli(["gateway", "probe", "--url", url(), "--token", "t", "--timeout", "1000"], env());
  assert.equal(short.code, 3, short.stdout + short.stderr);
  assert.match(short.stdout, /^unhealthy: gateway starting; retry shortly/);
  assert.ok(openclawConnects >= 2 && openclawConnects <= 5, `retried every ~300 ms for 1 s, not in a loop: ${openclawConnects}`);
});

test("a Clawdbot that speaks protocol 3 only: probe and status get in as a probe; status says why it has no status", async () => {
  reset({ protocol: 3, version: "2026.1.24", health: { ok: true, channels: { telegram: { accountId: "default", running: true, connected: true } } } });
  const p = await runCli(["gateway", "probe", "--url", url(), "--token", "t", "--json"], env());
  assert.equal(p.code, 0, p.stdout + p.stderr);
  assert.deepEqual(JSON.parse(p.stdout).gateway, { kind: "openclaw", protocol: 3, version: "2026.1.24" });
  const s = await runCli(["status", "--url", url(), "--token", "t", "--json"], env());
  assert.equal(s.code, 0, s.stdout + s.stderr);
  const o = JSON.parse(s.stdout).openclaw;
  assert.equal(o.statusError, "this gateway speaks protocol 3 only: status needs 4");
  assert.deepEqual(o.channels, [{ channel: "telegram", account: "default", state: "connected", error: null }]);
});

test("a hostile gateway's escapes and megabytes stay out of the terminal: every line printable and bounded", async () => {
  const evil = "\u001b]0;owned\u0007\u001b[2J\u001b[31m";
  reset({
    version: `${evil}9.9.9${"v".repeat(200_000)}`,
    health: {
      ok: true,
      channels: Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`${evil}ch${i}`, { running: true, lastError: `${evil}${"e".repeat(100_000)}` }])),
      agents: Array.from({ length: 1000 }, (_, i) => ({ agentId: `${evil}a${i}\n`, isDefault: i === 0, sessions: { count: i } })),
    },
  });
  for (const args of [
    ["status", "--url", url(), "--token", "t"],
    ["gateway", "probe", "--url", url(), "--token", "t"],
  ]) {
    const r = await runCli(args, env());
    assert.equal(r.code, 0, r.stderr);
    assert.ok(
      !Array.from({ length: r.stdout.length }, (_, i) => r.stdout.charCodeAt(i)).some((c) => c !== 10 && isControlCode(c)),
      `no control character reaches the terminal: ${JSON.stringify(r.stdout.slice(0, 300))}`,
    );
    for (const line of r.stdout.split("\n")) assert.ok(line.length <= 600, `a line of ${line.length} characters`);
    assert.ok(r.stdout.length < 10_000, `the screen stays a screen: ${r.stdout.length} characters`);
  }
  const j = JSON.parse((await runCli(["status", "--url", url(), "--token", "t", "--json"], env())).stdout).openclaw;
  assert.equal(j.channels.length, 50, "at most 50 channels are kept");
  assert.equal(j.agents.length, 50, "and 50 agents");
  assert.ok(j.version.length <= 200 && j.channels[0].error.length <= 300);
});
