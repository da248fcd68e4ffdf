/**
 * OpenClaw's clients on onebrain (issue 18): how fast a client speaking OpenClaw's protocol is let
 * in and answered, by onebrain and by the real OpenClaw gateway (2026.9.6, started here from the
 * test tools), and what each gateway holds in memory meanwhile.
 * - handshake: connect as OpenClaw's CLI does (`cli`/`cli`, protocol 4, token on loopback), `health`, close;
 * - status: one `status` round trip on an open connection;
 * - RSS: the gateway's processes after the runs (OpenClaw's workers included).
 */
import { connectGateway } from "../src/client/gateway-client.ts";
import { openclawMissing } from "../test/helpers/openclaw-cli.ts";
import { pidsOf, startRealOpenclaw } from "../test/helpers/openclaw-gateway.ts";
import { progress } from "./cli-runs.ts";
import { freePort, freshBrain, readRss, startGateway } from "./procs.ts";

export interface ClientTimes {
  handshakeMs: number[];
  statusMs: number[];
  rssMb: number;
}

export interface OpenclawBench {
  onebrain: ClientTimes;
  /** The real OpenClaw gateway, or why it could not be measured. */
  openclaw: (ClientTimes & { version: string }) | { error: string };
}

const TOKEN = "bench-openclaw-clients-token-0123456789";

/** `runs` handshakes and status calls against the gateway on `port` (after one of each to warm up). */
async function timeClient(port: number, runs: number): Promise<{ handshakeMs: number[]; statusMs: number[]; version: string }> {
  const url = `ws://127.0.0.1:${port}`;
  const handshakeMs: number[] = [];
  const statusMs: number[] = [];
  let version = "";
  for (let i = 0; i <= runs; i++) {
    const t0 = performance.now();
    const conn = await connectGateway({ url, token: TOKEN, timeoutMs: 10_000, dialect: "openclaw", mode: "cli", scopes: ["operator.read"] });
    await conn.request("health", undefined, 10_000);
    const t1 = performance.now();
    await conn.request("status", undefined, 10_000);
    const t2 = performance.now();
    version = (conn.hello as unknown as { server: { version: string } }).server.version;
    await conn.closeWithin(200);
    if (i === 0) continue;
    handshakeMs.push(t1 - t0);
    statusMs.push(t2 - t1);
  }
  return { handshakeMs, statusMs, version };
}

const rssOf = (pids: number[]) =>
  pids.reduce((sum, pid) => {
    try {
      return sum + readRss(pid).rssMb;
    } catch {
      return sum; // gone
    }
  }, 0);

/** Measures onebrain, then the real OpenClaw gateway (one after the other: two cores). */
export async function openclawBench(runs: number): Promise<OpenclawBench> {
  progress(`OpenClaw clients: ${runs} handshakes + status on onebrain`);
  const gw = await startGateway(freshBrain({ gateway: { auth: { token: TOKEN } } }), await freePort());
  let onebrain: ClientTimes;
  try {
    const t = await timeClient(gw.port, runs);
    onebrain = { handshakeMs: t.handshakeMs, statusMs: t.statusMs, rssMb: readRss(gw.proc.child.pid!).rssMb };
  } finally {
    await gw.stop();
  }
  const missing = openclawMissing();
  if (missing) return { onebrain, openclaw: { error: missing } };
  progress("OpenClaw clients: starting the real OpenClaw gateway (15-75 s)");
  const oc = await startRealOpenclaw({ port: await freePort(), token: TOKEN });
  try {
    progress(`OpenClaw clients: ${runs} handshakes + status on OpenClaw`);
    const t = await timeClient(oc.port, runs);
    return { onebrain, openclaw: { handshakeMs: t.handshakeMs, statusMs: t.statusMs, rssMb: rssOf(pidsOf(oc.stateDir)), version: t.version } };
  } finally {
    await oc.stop();
  }
}
