/**
 * The browser bench (issue 15), with Debian's chromium headless:
 *   browser_status_ms: `onebrain browser status --json` as a process, spawn to exit, against a
 *     running gateway (the CLI's start, the control port's answer from memory); `cli_floor_ms` is
 *     `onebrain --version` measured alongside: what any command costs on this machine.
 *   browser_start_ms: POST /start on the control port until its answer: launch, `/json/version`
 *     answering, the port's holder checked, playwright-core connected over CDP; then /stop. The
 *     first start also loads playwright-core; every start reuses the profile's data dir.
 *   browser_idle_rss: gateway RSS after 2 s idle with the browser enabled (not started) minus with
 *     `browser.enabled: false`: the service must cost nothing until used.
 *   browser_start_to_ready: the gateway's spawn-to-/readyz with the browser enabled minus disabled.
 */
import { chromiumPath } from "../test/helpers/browser.ts";
import { progress } from "./cli-runs.ts";
import { freePort, freshBrain, readRss, sleep, startGateway, timeCli, type StartedGateway } from "./procs.ts";
import { resultOf, round1, summarize, type BenchResult } from "./stats.ts";

export type BrowserName = "browser_status_ms" | "browser_start_ms" | "browser_idle_rss" | "browser_start_to_ready";
type Spec = { unit: string; target: number; openclaw: string };

interface Samples {
  statusMs: number[];
  /** `onebrain --version` in the same conditions: the CLI's floor on this machine. */
  versionMs: number[];
  startMs: number[];
  rssWith: number[];
  rssWithout: number[];
  readyWith: number[];
  readyWithout: number[];
}

async function gateway(enabled: boolean): Promise<StartedGateway> {
  const brain = freshBrain({ browser: { enabled, executablePath: chromiumPath() } });
  return startGateway(brain, await freePort());
}

async function post(port: number, path: string): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
  const body = (await res.json()) as { error?: { message: string } };
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}: ${body.error?.message}`);
  return body;
}

/** Runs the measurements `runs` times each. */
export async function browserBench(runs: number, names: ReadonlySet<string>): Promise<Samples> {
  const s: Samples = { statusMs: [], versionMs: [], startMs: [], rssWith: [], rssWithout: [], readyWith: [], readyWithout: [] };
  if (names.has("browser_status_ms") || names.has("browser_start_ms")) {
    const gw = await gateway(true);
    try {
      for (let i = 0; i < runs && names.has("browser_status_ms"); i++) {
        const r = await timeCli(["browser", "status", "--json"], gw.brain.env);
        if (r.code !== 0) throw new Error(`browser status exited ${r.code}: ${r.stderr}`);
        s.statusMs.push(r.ms);
        s.versionMs.push((await timeCli(["--version"], gw.brain.env)).ms);
      }
      for (let i = 0; i < runs && names.has("browser_start_ms"); i++) {
        const t0 = performance.now();
        await post(gw.port + 2, "/start");
        s.startMs.push(performance.now() - t0);
        await post(gw.port + 2, "/stop");
        progress(`browser start: ${i + 1}/${runs}, ${Math.round(s.startMs.at(-1)!)} ms`);
      }
    } finally {
      await gw.stop();
    }
  }
  if (names.has("browser_idle_rss") || names.has("browser_start_to_ready")) {
    for (let i = 0; i < runs; i++) {
      for (const enabled of [true, false]) {
        const gw = await gateway(enabled);
        (enabled ? s.readyWith : s.readyWithout).push(gw.readyMs);
        await sleep(2000);
        (enabled ? s.rssWith : s.rssWithout).push(round1(readRss(gw.proc.child.pid!).rssMb));
        await gw.stop();
      }
      progress(`browser idle: ${i + 1}/${runs}: ${s.rssWith.at(-1)} MiB enabled, ${s.rssWithout.at(-1)} MiB disabled`);
    }
  }
  return s;
}

/** The results run.ts prints for the selected browser measurements. */
export function browserResults(s: Samples, names: readonly BrowserName[], specs: Record<BrowserName, Spec>): BenchResult[] {
  const out: BenchResult[] = [];
  const r = (name: BrowserName, samples: number[], extra: Record<string, unknown> = {}) =>
    resultOf(name, specs[name].unit, samples, specs[name].target, specs[name].openclaw, extra);
  if (names.includes("browser_status_ms")) out.push(r("browser_status_ms", s.statusMs, { cli_floor_ms: summarize(s.versionMs).median }));
  if (names.includes("browser_start_ms")) out.push(r("browser_start_ms", s.startMs, { first_ms: round1(s.startMs[0] ?? 0) }));
  const diff = (name: BrowserName, a: number[], b: number[], unit: string) => {
    const cost = round1(summarize(a).median - summarize(b).median);
    out.push({
      name,
      unit: specs[name].unit,
      runs: a.length,
      median: cost,
      [`enabled_${unit}`]: summarize(a).median,
      [`disabled_${unit}`]: summarize(b).median,
      target: specs[name].target,
      pass: a.length > 0 && cost <= specs[name].target,
      openclaw: specs[name].openclaw,
    });
  };
  if (names.includes("browser_idle_rss")) diff("browser_idle_rss", s.rssWith, s.rssWithout, "mb");
  if (names.includes("browser_start_to_ready")) diff("browser_start_to_ready", s.readyWith, s.readyWithout, "ms");
  return out;
}
