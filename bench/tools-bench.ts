/**
 * The tools bench (issue 12): the gateway's own cost of a tool round trip. A fake model in its
 * own process asks for `read note.txt` on every message and answers as soon as the result comes
 * back (bench/fake-model-proc.ts --tools); one client sends messages one at a time.
 *   tool_round_trip: from the model request that asked for the call to the request that carried
 *     its result, as the fake model saw it: stream parsed, the turn journaled durably (fsync), the
 *     tool run, its result journaled, the next request built and sent. p50 and p99.
 *   tool_rss_soak: gateway RSS after a warm-up of 10,000 tool calls and after 10,000 more, as
 *     memory_soak does (V8 and SQLite size their heaps and caches in the first few thousand: RSS
 *     steps up about 15 MB around 2,000-3,000 calls, then stays flat; the growth after that is the leak test).
 */
import fs from "node:fs";
import path from "node:path";
import { connectGateway } from "../src/client/gateway-client.ts";
import { progress } from "./cli-runs.ts";
import { chatConfig, startChatGateway, startFakeModel } from "./chat-procs.ts";
import { latencyStats } from "./chat-stats.ts";
import { readRss } from "./procs.ts";
import { round1 } from "./stats.ts";

export interface ToolBenchResult {
  gapsMs: number[];
  rssAfterWarmupMb: number;
  rssAfterAllMb: number;
  rssChangePct: number;
  /** RSS (MiB) after every 1,000 messages: a plateau or a steady climb. */
  rssEvery1000Mb: number[];
  calls: number;
  perMessageMs: ReturnType<typeof latencyStats>;
}

/** Sends `messages` messages one at a time, each answered after one `read` call; samples RSS after `warmup` and at the end. */
export async function toolRoundTrips(o: { messages: number; warmup: number }): Promise<ToolBenchResult> {
  const gaps: number[] = [];
  const fake = await startFakeModel(10_000, {
    args: ["--tools"],
    onLine: (line) => {
      const m = /^gap=([\d.]+)$/.exec(line);
      if (m) gaps.push(Number(m[1]));
    },
  });
  const gw = await startChatGateway(chatConfig(fake, { tools: { profile: "minimal" } }));
  try {
    const workspace = path.join(gw.brain.stateDir, "workspace");
    fs.mkdirSync(workspace, { recursive: true });
    fs.writeFileSync(path.join(workspace, "note.txt"), "a short note the model reads on every message\n".repeat(20));
    const conn = await connectGateway({ url: `ws://127.0.0.1:${gw.port}`, timeoutMs: 10_000, clientId: "onebrain-bench", mode: "test" });
    const finals = new Map<string, () => void>();
    conn.onEvent((e) => {
      const p = e.payload as { state?: string; sessionKey?: string } | undefined;
      if (e.event === "chat" && p?.state && p.state !== "delta" && p.sessionKey) finals.get(p.sessionKey)?.();
    });
    const perMessage: number[] = [];
    let rssAfterWarmupMb = 0;
    const rssEvery1000: number[] = [];
    for (let i = 0; i < o.messages; i++) {
      const sessionKey = `agent:main:bench-tools:${i % 50}`;
      const done = new Promise<void>((resolve) => finals.set(sessionKey, resolve));
      const t0 = performance.now();
      await conn.request("chat.send", { text: `message ${i}`, idempotencyKey: `t-${i}`, sessionKey }, 10_000);
      await done;
      if (i >= o.warmup) perMessage.push(performance.now() - t0);
      if (i + 1 === o.warmup) rssAfterWarmupMb = readRss(gw.proc.child.pid!).rssMb;
      if ((i + 1) % 1000 === 0) {
        rssEvery1000.push(round1(readRss(gw.proc.child.pid!).rssMb));
        progress(`tool round trips: ${i + 1}/${o.messages}, gateway RSS ${rssEvery1000.at(-1)} MiB`);
      }
    }
    const rssAfterAllMb = readRss(gw.proc.child.pid!).rssMb;
    conn.ws.terminate();
    // The last gap lines may still be in the pipe.
    await new Promise((r) => setTimeout(r, 200));
    return {
      gapsMs: gaps.slice(o.warmup),
      rssAfterWarmupMb,
      rssAfterAllMb,
      rssEvery1000Mb: rssEvery1000,
      rssChangePct: round1(((rssAfterAllMb - rssAfterWarmupMb) / rssAfterWarmupMb) * 100),
      calls: gaps.length,
      perMessageMs: latencyStats(perMessage),
    };
  } finally {
    await gw.stop();
    await fake.stop();
  }
}
