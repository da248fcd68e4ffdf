/**
 * The flow both kill -9 suites drive: WebChat messages sent with a bounded window while the
 * gateway is killed and restarted at random moments. The client behaves as a real one must: every
 * chat.send that was not acknowledged is sent again with the same idempotency key. Returns once
 * the gateway is quiescent (nothing queued, running or undelivered) and has stopped cleanly.
 */
import assert from "node:assert/strict";
import { connectGateway, type GatewayConnection } from "../../src/client/gateway-client.ts";
import { spawnCli, type Proc, type RunningGateway } from "./gateway.ts";

export interface KillFlow {
  first: RunningGateway;
  random: () => number;
  clientId: string;
  messages: number;
  /** The session message `i` goes to. */
  sessionKey: (i: number) => string;
  /** Messages unacknowledged at once before the sender waits. */
  window: number;
  kills: number;
  /** Wait before each kill, and between two sends (ms). */
  killAfterMs: () => number;
  sendGapMs: () => number;
  /** Status polls (50 ms apart) allowed before the gateway must be quiescent. */
  quiescentPolls: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the flow; resolves with the number of kills made after the gateway stopped with exit 0. */
export async function flowWithKills(o: KillFlow): Promise<number> {
  let gw: Proc = o.first;
  const { env, port } = o.first;
  const url = `ws://127.0.0.1:${port}`;
  let kills = 0;

  let conn: GatewayConnection | null = null;
  const connect = async (): Promise<GatewayConnection> => {
    for (;;) {
      if (conn && conn.ws.readyState === conn.ws.OPEN) return conn;
      try {
        conn = await connectGateway({ url, clientId: o.clientId, mode: "test", timeoutMs: 2000 });
        return conn;
      } catch {
        await sleep(20);
      }
    }
  };
  const acked = new Set<number>();
  const send = async (i: number): Promise<void> => {
    try {
      const c = await connect();
      await c.request("chat.send", { text: `msg ${i}`, idempotencyKey: `m-${i}`, sessionKey: o.sessionKey(i) }, 3000);
      acked.add(i);
    } catch {
      // not acknowledged: sent again below with the same key
    }
  };

  // The killer: kills at random moments of the flow, each followed by an immediate restart.
  const killer = (async () => {
    for (let k = 0; k < o.kills; k++) {
      await sleep(o.killAfterMs());
      gw.kill("SIGKILL");
      await gw.exited;
      kills++;
      gw = spawnCli(["gateway", "--port", String(port)], env);
      await gw.waitFor("gateway listening", 15_000);
    }
  })();

  const inflight = new Set<Promise<void>>();
  for (let i = 0; i < o.messages; i++) {
    const p = send(i).finally(() => inflight.delete(p));
    inflight.add(p);
    if (inflight.size >= o.window) await Promise.race(inflight);
    await sleep(o.sendGapMs());
  }
  await Promise.all(inflight);
  await killer;
  for (let round = 0; acked.size < o.messages; round++) {
    assert.ok(round < 50, `messages never acknowledged: ${o.messages - acked.size}`);
    for (let i = 0; i < o.messages; i++) if (!acked.has(i)) await send(i);
  }

  const c = await connect();
  for (let i = 0; ; i++) {
    const s = await c.request<{ pipeline: { pendingInbound: number; pendingOutbox: number; activeRuns: number } }>("status");
    if (s.pipeline.pendingInbound === 0 && s.pipeline.pendingOutbox === 0 && s.pipeline.activeRuns === 0) break;
    assert.ok(i < o.quiescentPolls, `not quiescent: ${JSON.stringify(s.pipeline)}`);
    await sleep(50);
  }
  await c.close();
  gw.kill("SIGTERM");
  assert.equal((await gw.exited).code, 0);
  return kills;
}
