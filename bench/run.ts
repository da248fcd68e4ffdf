/**
 * The onebrain bench: start-up, memory and CLI latencies of the built gateway (dist/ through
 * bin/onebrain.js), each compared with its target and with the OpenClaw reference. Prints one
 * JSON summary on stdout; progress goes to stderr. Exit 0 even when a target is missed (it is a
 * report); 1 when a measurement could not be made, 2 on a bad command line.
 *
 *   npm run bench                       # all, 15 runs each (ws_idle_5000 and the chat benches run once)
 *   node bench/run.ts --quick           # 5 runs each
 *   node bench/run.ts --runs 30 --only start_to_ready_ms,probe_ms
 *   node bench/run.ts --only memory_soak --soak-messages 20000
 */
import os from "node:os";
import { parseArgs } from "node:util";
import { chatLatency, chatThroughput, memorySoak } from "./chat-bench.ts";
import { doctorRuns } from "./doctor-bench.ts";
import { bareNodeIdleRss, freshStarts, liveCommands, progress, startupFloor, type LiveCommand } from "./cli-runs.ts";
import { cleanup } from "./procs.ts";
import { errorResult, resultOf, round1, summarize, type BenchResult } from "./stats.ts";
import { latencyStats } from "./chat-stats.ts";
import { toolRoundTrips } from "./tools-bench.ts";
import { discordBench, discordResults, type DiscordName } from "./discord-bench.ts";
import { slackBench, slackResults, type SlackName } from "./slack-bench.ts";
import { whatsappBench, whatsappResults, type WhatsAppName } from "./whatsapp-bench.ts";
import { wsIdle } from "./ws-idle.ts";
import { browserBench, browserResults, type BrowserName } from "./browser-bench.ts";
import { alertsBench } from "./alerts-bench.ts";
import { openclawBench } from "./openclaw-bench.ts";

interface Spec {
  unit: string;
  target: number;
  openclaw: string;
}

/** Targets, and what OpenClaw measured for the same thing on comparable hardware. */
const SPECS = {
  start_to_ready_ms: { unit: "ms", target: 300, openclaw: "5400-8600 (to /health)" },
  idle_rss_mb: { unit: "MiB", target: 70, openclaw: "685 (+~170 in workers)" },
  refused_start_ms: { unit: "ms", target: 200, openclaw: "2200" },
  gateway_status_ms: { unit: "ms", target: 300, openclaw: "3500" },
  probe_ms: { unit: "ms", target: 250, openclaw: "5400" },
  doctor_ms: { unit: "ms", target: 1000, openclaw: "11500 (121 lines)" },
  ws_idle_5000: { unit: "MiB growth", target: 100, openclaw: "not measured" },
  chat_latency_200: { unit: "ms p99", target: 10, openclaw: "not measured" },
  chat_throughput: { unit: "msg/s (at least)", target: 1000, openclaw: "not measured" },
  memory_soak: { unit: "% RSS change", target: 15, openclaw: "not measured" },
  tool_round_trip: { unit: "ms p99", target: 5, openclaw: "not measured" },
  tool_rss_soak: { unit: "% RSS change", target: 10, openclaw: "not measured" },
  discord_round_trip: { unit: "ms p99", target: 25, openclaw: "not measured" },
  discord_gap_answer: { unit: "ms median", target: 3000, openclaw: "lost (oc#51116)" },
  discord_idle_rss: { unit: "MiB cost", target: 15, openclaw: "not measured" },
  slack_round_trip: { unit: "ms p99", target: 25, openclaw: "not measured" },
  slack_gap_answer: { unit: "ms median", target: 3000, openclaw: "not measured" },
  slack_idle_rss: { unit: "MiB cost", target: 25, openclaw: "not measured" },
  whatsapp_round_trip: { unit: "ms p99", target: 25, openclaw: "not measured" },
  whatsapp_gap_answer: { unit: "ms median", target: 3000, openclaw: "not measured" },
  whatsapp_idle_rss: { unit: "MiB cost", target: 80, openclaw: "not measured" },
  browser_status_ms: { unit: "ms", target: 100, openclaw: "not measured" },
  browser_start_ms: { unit: "ms", target: 1500, openclaw: 'false "CDP not reachable" at start (oc#64978)' },
  browser_idle_rss: { unit: "MiB cost", target: 2, openclaw: "not measured" },
  browser_start_to_ready: { unit: "ms cost", target: 20, openclaw: "not measured" },
  alerts_check_ms: { unit: "ms median", target: 5, openclaw: "no watchdog" },
  openclaw_client_handshake_ms: { unit: "ms", target: 20, openclaw: "measured here too: see openclaw_gateway" },
} as const satisfies Record<string, Spec>;

type Name = keyof typeof SPECS;
const NAMES = Object.keys(SPECS) as Name[];
const WS_CLIENTS = 5000;
const IDLE_MS = 2000;
const SOAK_MESSAGES = 100_000;
const TOOL_MESSAGES = 20_000;
const TOOL_WARMUP = 10_000;

const USAGE = `usage: node bench/run.ts [--runs N] [--quick] [--only ${NAMES.join(",")}] [--soak-messages N]
  --runs N            runs per measurement (default 15; --quick: 5); ws_idle_5000 and the chat benches always run once
  --quick             fewer runs
  --only LIST         comma-separated measurement names
  --soak-messages N   messages in memory_soak (default ${SOAK_MESSAGES})`;

interface CliOptions {
  runs: number;
  only: Set<Name>;
  soakMessages: number;
}

function parseCli(argv: string[]): CliOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: "string" },
      quick: { type: "boolean" },
      only: { type: "string" },
      "soak-messages": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const runs = values.runs !== undefined ? Number(values.runs) : values.quick ? 5 : 15;
  if (!Number.isInteger(runs) || runs < 1 || runs > 1000) throw new Error(`Cannot use ${JSON.stringify(values.runs)} as --runs: expected an integer 1-1000`);
  const only = new Set<Name>();
  for (const raw of (values.only ?? NAMES.join(",")).split(",")) {
    const name = raw.trim();
    if (!name) continue;
    if (!(name in SPECS)) throw new Error(`Cannot select ${JSON.stringify(name)} with --only: expected one of ${NAMES.join(", ")}`);
    only.add(name as Name);
  }
  if (only.size === 0) throw new Error("--only selected nothing");
  const soakMessages = values["soak-messages"] !== undefined ? Number(values["soak-messages"]) : SOAK_MESSAGES;
  // The first RSS sample is read after 10,000 answers, so the soak must go well past that.
  if (!Number.isInteger(soakMessages) || soakMessages < 20_000 || soakMessages > 10_000_000)
    throw new Error(`Cannot use ${JSON.stringify(values["soak-messages"])} as --soak-messages: expected an integer 20000-10000000`);
  return { runs, only, soakMessages };
}

/** Runs a measurement; a thrown error becomes an error result instead of ending the bench. */
async function guarded(names: Name[], fn: () => Promise<BenchResult[]>): Promise<BenchResult[]> {
  try {
    return await fn();
  } catch (err) {
    progress(`${names.join(", ")} failed: ${(err as Error).message}`);
    return names.map((n) => errorResult(n, SPECS[n].unit, SPECS[n].target, SPECS[n].openclaw, err));
  }
}

const result = (name: Name, samples: number[], extra: Record<string, unknown> = {}) =>
  resultOf(name, SPECS[name].unit, samples, SPECS[name].target, SPECS[name].openclaw, extra);

async function main(): Promise<number> {
  let opts: CliOptions;
  try {
    opts = parseCli(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { runs, only, soakMessages } = opts;
  const t0 = performance.now();
  // Other work on this small machine skews every timing; the load average makes that visible.
  const loadBefore = round1(os.loadavg()[0]!);
  const results: BenchResult[] = [];

  if (only.has("start_to_ready_ms") || only.has("idle_rss_mb")) {
    const names = NAMES.filter((n) => n === "start_to_ready_ms" || n === "idle_rss_mb").filter((n) => only.has(n));
    results.push(
      ...(await guarded(names, async () => {
        progress(`fresh starts: ${runs} runs${only.has("idle_rss_mb") ? `, ${IDLE_MS} ms idle each before reading RSS` : ""}`);
        const s = await freshStarts(runs, only.has("idle_rss_mb") ? IDLE_MS : null);
        const out: BenchResult[] = [];
        if (only.has("start_to_ready_ms")) {
          progress(`start-up floor: bare node and onebrain --version, ${runs} runs`);
          const floor = await startupFloor(runs);
          out.push(
            result("start_to_ready_ms", s.readyMs, {
              // Where the time goes: medians of the runtime floor, the CLI entry, and the gateway's own prepare->listening.
              breakdown: {
                node_e0_exit_ms: summarize(floor.nodeMs).median,
                cli_version_exit_ms: summarize(floor.cliVersionMs).median,
                gateway_spawn_to_prepare_ms: s.beforePrepareMs.length ? summarize(s.beforePrepareMs).median : null,
                gateway_prepare_to_listening_ms: s.listenMs.length ? summarize(s.listenMs).median : null,
              },
            }),
          );
        }
        if (only.has("idle_rss_mb")) {
          const bare = await bareNodeIdleRss(IDLE_MS);
          out.push(result("idle_rss_mb", s.idleRssMb, { idle_ms: IDLE_MS, breakdown: { node_bare_idle_rss_mb: round1(bare) } }));
        }
        return out;
      })),
    );
  }

  const live = (["refused_start_ms", "gateway_status_ms", "probe_ms"] as const).filter((n) => only.has(n));
  if (live.length) {
    results.push(
      ...(await guarded([...live], async () => {
        progress(`live gateway: ${live.join(", ")}, ${runs} runs (+1 warm-up)`);
        const s = await liveCommands(runs, new Set<LiveCommand>(live));
        return live.map((n) => result(n, s[n]));
      })),
    );
  }

  if (only.has("alerts_check_ms")) {
    results.push(
      ...(await guarded(["alerts_check_ms"], async () => {
        const r = await alertsBench(Math.max(runs, 15) * 10);
        return [result("alerts_check_ms", r.checkMs, { ...latencyStats(r.checkMs), store_rows: r.rows })];
      })),
    );
  }

  if (only.has("openclaw_client_handshake_ms")) {
    results.push(
      ...(await guarded(["openclaw_client_handshake_ms"], async () => {
        const r = await openclawBench(Math.max(runs, 15) * 2);
        const oc = r.openclaw;
        return [
          result("openclaw_client_handshake_ms", r.onebrain.handshakeMs, {
            status_round_trip_ms: summarize(r.onebrain.statusMs).median,
            gateway_rss_mb: round1(r.onebrain.rssMb),
            openclaw_gateway:
              "error" in oc
                ? { error: oc.error }
                : {
                    version: oc.version,
                    handshake_ms: summarize(oc.handshakeMs),
                    status_round_trip_ms: summarize(oc.statusMs).median,
                    gateway_rss_mb: round1(oc.rssMb),
                  },
          }),
        ];
      })),
    );
  }

  if (only.has("doctor_ms")) {
    results.push(
      ...(await guarded(["doctor_ms"], async () => {
        progress(`doctor --json against a live gateway: ${runs} runs (+1 warm-up)`);
        const d = await doctorRuns(runs);
        return [result("doctor_ms", d.ms, { findings: d.checks, breakdown: { checks_ms: summarize(d.workMs).median } })];
      })),
    );
  }

  if (only.has("ws_idle_5000")) {
    results.push(
      ...(await guarded(["ws_idle_5000"], async () => {
        const w = await wsIdle({ clients: WS_CLIENTS, concurrency: 200, pingIntervalMs: 2000, holdPings: 3, settleMs: IDLE_MS });
        const spec = SPECS.ws_idle_5000;
        const ok = w.dropped === 0 && w.gateway_connections === WS_CLIENTS && w.pings_per_client_min >= 3;
        return [{ name: "ws_idle_5000", unit: spec.unit, runs: 1, ...w, target: spec.target, pass: ok && w.growth_mb <= spec.target, openclaw: spec.openclaw }];
      })),
    );
  }

  if (only.has("chat_latency_200")) {
    results.push(
      ...(await guarded(["chat_latency_200"], async () => {
        const r = await chatLatency({ rate: 200, sessions: 50, warmupMs: 2000, measureMs: 10_000, windows: 3 });
        const spec = SPECS.chat_latency_200;
        return [
          { name: "chat_latency_200", unit: spec.unit, runs: 1, ...r.extra, target: spec.target, pass: r.ok && r.p99 <= spec.target, openclaw: spec.openclaw },
        ];
      })),
    );
  }

  if (only.has("chat_throughput")) {
    results.push(
      ...(await guarded(["chat_throughput"], async () => {
        const r = await chatThroughput({ window: 128, sessions: 200, warmupMs: 2000, measureMs: 10_000 });
        const spec = SPECS.chat_throughput;
        return [
          {
            name: "chat_throughput",
            unit: spec.unit,
            runs: 1,
            msg_per_s: r.perS,
            ...r.extra,
            target: spec.target,
            pass: r.ok && r.perS >= spec.target,
            openclaw: spec.openclaw,
          },
        ];
      })),
    );
  }

  if (only.has("memory_soak")) {
    results.push(
      ...(await guarded(["memory_soak"], async () => {
        const r = await memorySoak({ messages: soakMessages, sessions: 200, window: 128, historyLimit: 50, markAt: 10_000 });
        const spec = SPECS.memory_soak;
        return [
          {
            name: "memory_soak",
            unit: spec.unit,
            runs: 1,
            rss_change_pct: r.diffPct,
            ...r.extra,
            target: spec.target,
            pass: r.ok && r.diffPct <= spec.target,
            openclaw: spec.openclaw,
          },
        ];
      })),
    );
  }

  if (only.has("tool_round_trip") || only.has("tool_rss_soak")) {
    const names = NAMES.filter((n) => n === "tool_round_trip" || n === "tool_rss_soak").filter((n) => only.has(n));
    results.push(
      ...(await guarded(names, async () => {
        progress(`tool round trips: ${TOOL_MESSAGES} messages, one read call each, one at a time`);
        const r = await toolRoundTrips({ messages: TOOL_MESSAGES, warmup: TOOL_WARMUP });
        const gaps = latencyStats(r.gapsMs);
        const out: BenchResult[] = [];
        if (only.has("tool_round_trip")) {
          const spec = SPECS.tool_round_trip;
          out.push({
            name: "tool_round_trip",
            unit: spec.unit,
            runs: 1,
            calls_measured: r.gapsMs.length,
            ...gaps,
            per_message: r.perMessageMs,
            target: spec.target,
            pass: r.gapsMs.length > 0 && gaps.p99_ms <= spec.target,
            openclaw: spec.openclaw,
          });
        }
        if (only.has("tool_rss_soak")) {
          const spec = SPECS.tool_rss_soak;
          out.push({
            name: "tool_rss_soak",
            unit: spec.unit,
            runs: 1,
            calls: r.calls,
            rss_after_warmup_mb: r.rssAfterWarmupMb,
            rss_after_all_mb: r.rssAfterAllMb,
            rss_change_pct: r.rssChangePct,
            rss_every_1000_mb: r.rssEvery1000Mb,
            target: spec.target,
            pass: r.calls >= TOOL_MESSAGES && r.rssChangePct <= spec.target,
            openclaw: spec.openclaw,
          });
        }
        return out;
      })),
    );
  }

  const discordNames = NAMES.filter((n): n is DiscordName => n.startsWith("discord_") && only.has(n));
  if (discordNames.length) {
    results.push(
      ...(await guarded(discordNames, async () => {
        const messages = runs < 15 ? 200 : 1000;
        progress(`discord: ${messages} round trips one at a time, ${Math.min(runs, 10)} connection drops, ${Math.min(runs, 5)} idle starts each way`);
        const r = await discordBench({ messages, warmup: 100, drops: Math.min(runs, 10), starts: Math.min(runs, 5) });
        return discordResults(r, discordNames, SPECS);
      })),
    );
  }

  const slackNames = NAMES.filter((n): n is SlackName => n.startsWith("slack_") && only.has(n));
  if (slackNames.length) {
    results.push(
      ...(await guarded(slackNames, async () => {
        const messages = runs < 15 ? 200 : 1000;
        progress(`slack: ${messages} round trips one at a time, ${Math.min(runs, 10)} socket resets, ${Math.min(runs, 5)} idle starts each way`);
        const r = await slackBench({ messages, warmup: 100, drops: Math.min(runs, 10), starts: Math.min(runs, 5) });
        return slackResults(r, slackNames, SPECS);
      })),
    );
  }

  const whatsappNames = NAMES.filter((n): n is WhatsAppName => n.startsWith("whatsapp_") && only.has(n));
  if (whatsappNames.length) {
    results.push(
      ...(await guarded(whatsappNames, async () => {
        const messages = runs < 15 ? 200 : 1000;
        progress(`whatsapp: ${messages} round trips one at a time, ${Math.min(runs, 10)} connection drops, ${Math.min(runs, 5)} idle starts each way`);
        const r = await whatsappBench({ messages, warmup: 100, drops: Math.min(runs, 10), starts: Math.min(runs, 5) });
        return whatsappResults(r, whatsappNames, SPECS);
      })),
    );
  }

  const browserNames = NAMES.filter((n): n is BrowserName => n.startsWith("browser_") && only.has(n));
  if (browserNames.length) {
    results.push(
      ...(await guarded(browserNames, async () => {
        const n = Math.min(runs, 10);
        progress(`browser: ${n} runs of status, start and idle (Debian's chromium, headless)`);
        return browserResults(await browserBench(n, new Set(browserNames)), browserNames, SPECS);
      })),
    );
  }

  const summary = {
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? "unknown",
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      memMb: Math.round(os.totalmem() / 1024 / 1024),
      load1Before: loadBefore,
      load1After: round1(os.loadavg()[0]!),
    },
    runs,
    durationS: round1((performance.now() - t0) / 1000),
    results,
    allPass: results.every((r) => r.pass),
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  return results.some((r) => r.error !== undefined) ? 1 : 0;
}

const code = await main().catch((err: unknown) => {
  process.stderr.write(`bench: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
});
cleanup();
process.exit(code);
