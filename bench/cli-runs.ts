/**
 * The process-level measurements: a fresh start to ready (with idle RSS), and the CLI commands
 * people and healthchecks run against a live gateway (refused second start, status, probe).
 */
import { spawn } from "node:child_process";
import { type Proc } from "../test/helpers/gateway.ts";
import { freePort, freshBrain, listenLogMs, readRss, sleep, startGateway, timeCli, timeSpawn, track } from "./procs.ts";

/** Writes one progress line on stderr (stdout carries only the JSON summary). */
export function progress(text: string): void {
  process.stderr.write(`bench: ${text}\n`);
}

export interface FreshStartSamples {
  readyMs: number[];
  idleRssMb: number[];
  /** The gateway's own "prepare -> listening" time, from its log. */
  listenMs: number[];
  /** Spawn to ready minus prepare -> listening: runtime boot, CLI entry, command import, config load. */
  beforePrepareMs: number[];
}

/**
 * Starts `runs` gateways one after another, each on a fresh state dir and HOME, after one
 * discarded warm-up (cold page cache is not what we compare). With `idleMs`, waits that long
 * after ready and reads the gateway's RSS.
 */
export async function freshStarts(runs: number, idleMs: number | null): Promise<FreshStartSamples> {
  const out: FreshStartSamples = { readyMs: [], idleRssMb: [], listenMs: [], beforePrepareMs: [] };
  for (let i = 0; i <= runs; i++) {
    const gw = await startGateway(freshBrain(), await freePort());
    try {
      if (i === 0) continue;
      out.readyMs.push(gw.readyMs);
      const listen = listenLogMs(gw.proc);
      if (listen !== null) {
        out.listenMs.push(listen);
        out.beforePrepareMs.push(gw.readyMs - listen);
      }
      let line = `start ${i}/${runs}: ready in ${gw.readyMs.toFixed(1)} ms`;
      if (idleMs !== null) {
        await sleep(idleMs);
        const { rssMb } = readRss(gw.proc.pid);
        out.idleRssMb.push(rssMb);
        line += `, idle RSS ${rssMb.toFixed(1)} MiB`;
      }
      progress(line);
    } finally {
      await gw.stop();
    }
  }
  return out;
}

/** Spawns a bare `node args...` (for the start-up floor), drained like the CLI. */
function spawnNode(args: string[]): Proc {
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.resume();
  child.stderr.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, stdout: "", stderr: "" })),
  );
  return {
    child,
    pid: child.pid!,
    stdout: () => "",
    stderr: () => "",
    exited,
    waitFor: () => Promise.reject(new Error("not supported")),
    kill: (s = "SIGTERM") => void child.kill(s),
  };
}

/**
 * Where start-up time goes: a bare `node -e 0` (runtime floor), `onebrain --version` (CLI entry
 * and commander, no command module), both spawn to exit, after one warm-up each.
 */
export async function startupFloor(runs: number): Promise<{ nodeMs: number[]; cliVersionMs: number[] }> {
  const nodeMs: number[] = [];
  const cliVersionMs: number[] = [];
  const brain = freshBrain();
  try {
    for (let i = 0; i <= runs; i++) {
      const n = await timeSpawn(() => spawnNode(["-e", "0"]));
      const v = await timeCli(["--version"], brain.env);
      if (v.code !== 0) throw new Error(`onebrain --version exited ${v.code}: ${v.stderr.trim()}`);
      if (i === 0) continue;
      nodeMs.push(n.ms);
      cliVersionMs.push(v.ms);
    }
  } finally {
    brain.dispose();
  }
  return { nodeMs, cliVersionMs };
}

/** RSS of a bare idle `node` after `idleMs`: the runtime's own share of the gateway's idle RSS. */
export async function bareNodeIdleRss(idleMs: number): Promise<number> {
  const p = spawnNode(["-e", "setTimeout(() => {}, 60000)"]);
  track(p.child);
  try {
    await sleep(idleMs);
    return readRss(p.pid).rssMb;
  } finally {
    p.kill("SIGKILL");
    await p.exited;
  }
}

export type LiveCommand = "refused_start_ms" | "gateway_status_ms" | "probe_ms";

/**
 * Runs the selected commands against one live gateway, interleaved run by run so that drift
 * (page cache, a busy neighbour) hits them alike. Every run asserts its outcome: a refused start
 * exits 10, status exits 0 with verdict running, probe exits 0.
 */
export async function liveCommands(runs: number, which: ReadonlySet<LiveCommand>): Promise<Record<LiveCommand, number[]>> {
  const out: Record<LiveCommand, number[]> = { refused_start_ms: [], gateway_status_ms: [], probe_ms: [] };
  const port = await freePort();
  // The config names the port too, so `gateway status` resolves the same port the gateway uses
  // (a --port-only gateway makes status report a mismatch, verdict degraded).
  const brain = freshBrain({ gateway: { port } });
  const gw = await startGateway(brain, port);
  try {
    for (let i = 0; i <= runs; i++) {
      const line: string[] = [];
      if (which.has("refused_start_ms")) {
        const r = await timeCli(["gateway", "--port", String(await freePort())], brain.env);
        if (r.code !== 10) throw new Error(`refused start exited ${r.code ?? r.signal}, expected 10 (GATEWAY_LOCK_HELD): ${r.stderr.trim().slice(-300)}`);
        if (i > 0) out.refused_start_ms.push(r.ms);
        line.push(`refused ${r.ms.toFixed(1)} ms`);
      }
      if (which.has("gateway_status_ms")) {
        const r = await timeCli(["gateway", "status", "--json"], brain.env);
        const verdict = r.code === 0 ? (JSON.parse(r.stdout) as { verdict?: string; problems?: string[] }) : null;
        if (r.code !== 0 || verdict?.verdict !== "running") {
          throw new Error(
            `gateway status exited ${r.code ?? r.signal} with verdict ${verdict?.verdict ?? "?"} (${verdict?.problems?.join("; ") ?? r.stderr.trim().slice(-300)}), expected 0 and running`,
          );
        }
        if (i > 0) out.gateway_status_ms.push(r.ms);
        line.push(`status ${r.ms.toFixed(1)} ms`);
      }
      if (which.has("probe_ms")) {
        const r = await timeCli(["gateway", "probe", "--url", `ws://127.0.0.1:${port}`], brain.env);
        if (r.code !== 0) throw new Error(`gateway probe exited ${r.code ?? r.signal}, expected 0: ${(r.stdout + r.stderr).trim().slice(-300)}`);
        if (i > 0) out.probe_ms.push(r.ms);
        line.push(`probe ${r.ms.toFixed(1)} ms`);
      }
      progress(`live ${i === 0 ? "warm-up" : `${i}/${runs}`}: ${line.join(", ")}`);
    }
  } finally {
    await gw.stop();
  }
  return out;
}
