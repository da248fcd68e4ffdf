/**
 * Child process of the ws_idle bench: opens N WebSocket clients to a gateway with the project's
 * own client (connect handshake included), at most `concurrency` handshakes in flight so the
 * listener's backlog never overflows, then holds them and answers pings. It runs in its own
 * process so that client memory never counts as the gateway's.
 *
 * Usage (forked, with an IPC channel): ws-clients.ts <url> <count> <concurrency>
 * Sends {type:"connected"} when done opening; answers {cmd:"report"} with {type:"report"};
 * {cmd:"close"} terminates every socket and exits.
 */
import { connectGateway, type GatewayConnection } from "../src/client/gateway-client.ts";

export interface ConnectedMessage {
  type: "connected";
  ok: number;
  failed: number;
  connectMs: number;
  errors: string[];
}

export interface ReportMessage {
  type: "report";
  open: number;
  /** Clients whose socket closed after a successful handshake. */
  dropped: number;
  pingsMin: number;
  pingsMax: number;
  rssMb: number;
}

const [url = "", countArg = "", concArg = "200"] = process.argv.slice(2);
const count = Number(countArg);
const concurrency = Number(concArg);
if (!url.startsWith("ws://127.0.0.1:") || !Number.isInteger(count) || count < 1 || !process.send) {
  process.stderr.write("usage (forked with IPC): ws-clients.ts ws://127.0.0.1:PORT COUNT [CONCURRENCY]\n");
  process.exit(2);
}
const send = (msg: ConnectedMessage | ReportMessage) => process.send!(msg);

const conns: GatewayConnection[] = [];
const pings: number[] = [];
const errors: string[] = [];
let failed = 0;
let dropped = 0;
let next = 0;

async function worker(): Promise<void> {
  while (next < count) {
    const i = next++;
    try {
      const c = await connectGateway({ url, timeoutMs: 20_000, clientId: `bench-${i}`, mode: "bench" });
      const slot = conns.push(c) - 1;
      pings[slot] = 0;
      c.ws.on("ping", () => pings[slot]!++);
      void c.closed.then(() => dropped++);
    } catch (err) {
      failed++;
      if (errors.length < 5) errors.push((err as Error).message);
    }
  }
}

const t0 = performance.now();
await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
send({ type: "connected", ok: conns.length, failed, connectMs: performance.now() - t0, errors });

process.on("message", (msg: { cmd?: string }) => {
  if (msg.cmd === "report") {
    const open = conns.filter((c) => c.ws.readyState === c.ws.OPEN).length;
    send({
      type: "report",
      open,
      dropped,
      pingsMin: pings.length ? Math.min(...pings) : 0,
      pingsMax: pings.length ? Math.max(...pings) : 0,
      rssMb: process.memoryUsage.rss() / 1024 / 1024,
    });
  } else if (msg.cmd === "close") {
    for (const c of conns) c.ws.terminate();
    process.exit(0);
  }
});
// The parent going away must not leave 5,000 sockets behind.
process.on("disconnect", () => process.exit(0));
