/**
 * The results of a channel bench (Discord, Slack), built the same way: `<p>_round_trip` (latency
 * percentiles, pass on p99), `<p>_gap_answer` (median of answers to a message written as the
 * connection broke), `<p>_idle_rss` (median RSS with the channel minus without).
 */
import { progress } from "./cli-runs.ts";
import { latencyStats } from "./chat-stats.ts";
import { readRss, sleep, type StartedGateway } from "./procs.ts";
import { round1, summarize, type BenchResult } from "./stats.ts";

export interface ChannelBenchResult {
  roundTripMs: number[];
  gapAnswerMs: number[];
  idleRssWithMb: number[];
  idleRssWithoutMb: number[];
}

export type Spec = { unit: string; target: number; openclaw: string };

/** The results for `prefix` ("discord", "slack") of the selected `names`. */
export function channelResults<P extends string>(prefix: P, r: ChannelBenchResult, names: readonly string[], specs: Record<string, Spec>): BenchResult[] {
  const out: BenchResult[] = [];
  const n = (m: string) => `${prefix}_${m}`;
  const base = (name: string) => ({ name, unit: specs[name]!.unit, target: specs[name]!.target, openclaw: specs[name]!.openclaw });
  if (names.includes(n("round_trip"))) {
    const rt = latencyStats(r.roundTripMs);
    out.push({
      ...base(n("round_trip")),
      runs: 1,
      messages_measured: r.roundTripMs.length,
      ...rt,
      pass: r.roundTripMs.length > 0 && rt.p99_ms <= specs[n("round_trip")]!.target,
    });
  }
  if (names.includes(n("gap_answer"))) {
    const s = summarize(r.gapAnswerMs);
    out.push({
      ...base(n("gap_answer")),
      ...s,
      samples_ms: r.gapAnswerMs.map(round1),
      pass: r.gapAnswerMs.length > 0 && s.median <= specs[n("gap_answer")]!.target,
    });
  }
  if (names.includes(n("idle_rss"))) {
    const withRss = summarize(r.idleRssWithMb).median;
    const withoutRss = summarize(r.idleRssWithoutMb).median;
    const cost = round1(withRss - withoutRss);
    out.push({
      ...base(n("idle_rss")),
      runs: r.idleRssWithMb.length,
      median: cost,
      [`with_${prefix}_mb`]: withRss,
      without_mb: withoutRss,
      pass: r.idleRssWithMb.length > 0 && cost <= specs[n("idle_rss")]!.target,
    });
  }
  return out;
}

/** Idle RSS `starts` times each way: a gateway with the channel (`withChannel`) and one without, each after 2 s idle. */
export async function idleRss(
  label: string,
  starts: number,
  withChannel: () => Promise<StartedGateway>,
  without: () => Promise<StartedGateway>,
): Promise<Pick<ChannelBenchResult, "idleRssWithMb" | "idleRssWithoutMb">> {
  const idleRssWithMb: number[] = [];
  const idleRssWithoutMb: number[] = [];
  for (let s = 0; s < starts; s++) {
    for (const [start, into] of [
      [withChannel, idleRssWithMb],
      [without, idleRssWithoutMb],
    ] as const) {
      const gw = await start();
      await sleep(2000);
      into.push(round1(readRss(gw.proc.child.pid!).rssMb));
      await gw.stop();
    }
    progress(`${label} idle RSS: ${s + 1}/${starts}: ${idleRssWithMb.at(-1)} MiB with, ${idleRssWithoutMb.at(-1)} MiB without`);
  }
  return { idleRssWithMb, idleRssWithoutMb };
}

/**
 * Round trips one at a time, each started at most every `paceMs`: `say(k, i)` sends message `i` as
 * user `k` (of `users`) and returns when its answer arrived (performance.now()). The warm-up
 * messages are not measured.
 */
export async function pacedRoundTrips(o: {
  label: string;
  users: number;
  warmup: number;
  messages: number;
  paceMs: number;
  say: (k: number, i: number) => { answered: Promise<number> };
}): Promise<number[]> {
  const out: number[] = [];
  let lastStart = 0;
  for (let i = 0; i < o.warmup + o.messages; i++) {
    await sleep(Math.max(0, lastStart + o.paceMs - performance.now()));
    const t0 = performance.now();
    lastStart = t0;
    const t1 = await o.say(i % o.users, i).answered;
    if (i >= o.warmup) out.push(t1 - t0);
    if ((i + 1) % 100 === 0) progress(`${o.label} round trips: ${i + 1}/${o.warmup + o.messages}`);
  }
  return out;
}
