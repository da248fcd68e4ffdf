/**
 * Processes and state for the bench: temp brains under one root in os.tmpdir(), every child
 * tracked so that none outlives the bench (normal end, error or Ctrl-C), spawn-to-exit timing,
 * readiness polling, and RSS from /proc. Loopback only.
 */
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { brainEnv, freePort, spawnCli, writeConfig, type Proc } from "../test/helpers/gateway.ts";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "onebrain-bench-"));
const live = new Set<ChildProcess>();
let seq = 0;

/** Registers a child so that cleanup() can stop it if the bench ends early. */
export function track(child: ChildProcess): void {
  live.add(child);
  child.once("exit", () => live.delete(child));
}

/** SIGKILLs every child still running, then removes the temp root. Synchronous, so it works in an exit handler. */
export function cleanup(): void {
  for (const c of live) c.kill("SIGKILL");
  live.clear();
  fs.rmSync(root, { recursive: true, force: true });
}

process.on("exit", cleanup);
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    process.stderr.write(`bench: ${sig}: stopping children\n`);
    process.exit(130);
  });
}

export interface Brain {
  /** HOME of the brain; removed by dispose(). */
  home: string;
  stateDir: string;
  env: NodeJS.ProcessEnv;
  dispose(): void;
}

/** A fresh brain: HOME and state dir under the bench's temp root; the state dir itself is not created unless a config is given. */
export function freshBrain(config?: unknown): Brain {
  const home = path.join(root, `brain-${++seq}`);
  fs.mkdirSync(home, { recursive: true });
  const stateDir = path.join(home, "state");
  if (config !== undefined) writeConfig(stateDir, config);
  return { home, stateDir, env: brainEnv(stateDir), dispose: () => fs.rmSync(home, { recursive: true, force: true }) };
}

export { freePort };

export interface TimedExit {
  ms: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Spawns `onebrain ...args` and times it from just before spawn to its `exit` event. */
export async function timeCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 15_000): Promise<TimedExit> {
  return timeSpawn(() => spawnCli(args, env), timeoutMs);
}

/** Times any tracked process from just before spawn to its `exit` event (not `close`: stdio may lag). */
export async function timeSpawn(start: () => Proc, timeoutMs = 15_000): Promise<TimedExit> {
  const t0 = performance.now();
  const p = start();
  track(p.child);
  let t1 = 0;
  p.child.once("exit", () => (t1 = performance.now()));
  const timer = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
  const r = await p.exited.finally(() => clearTimeout(timer));
  if (r.signal === "SIGKILL") throw new Error(`${p.child.spawnargs.slice(1).join(" ")} did not exit within ${timeoutMs} ms`);
  return { ms: t1 - t0, code: r.code, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** GET /readyz once on 127.0.0.1; resolves with the status code, or 0 when nothing answers. */
function readyzOnce(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/readyz", agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(0));
  });
}

export interface StartedGateway {
  proc: Proc;
  port: number;
  brain: Brain;
  /** Spawn to first HTTP 200 on /readyz. */
  readyMs: number;
  /** SIGTERM, wait for exit (SIGKILL after 5 s), then remove the brain's files. */
  stop(): Promise<void>;
}

/**
 * Spawns `onebrain gateway --port P` and polls /readyz every ~2 ms until it answers 200. The
 * clock starts just before spawn and stops when the 200 response arrives.
 */
export async function startGateway(brain: Brain, port: number, timeoutMs = 10_000): Promise<StartedGateway> {
  const t0 = performance.now();
  const proc = spawnCli(["gateway", "--port", String(port)], brain.env);
  track(proc.child);
  let readyMs = -1;
  while (performance.now() - t0 < timeoutMs) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) break;
    const status = await readyzOnce(port);
    if (status === 200) {
      readyMs = performance.now() - t0;
      break;
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  const stop = async () => {
    if (proc.child.exitCode === null && proc.child.signalCode === null) {
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
      await proc.exited.finally(() => clearTimeout(timer));
    }
    brain.dispose();
  };
  if (readyMs < 0) {
    await stop();
    const r = await proc.exited;
    throw new Error(`gateway on port ${port} was not ready within ${timeoutMs} ms (exit ${r.code ?? r.signal}): ${r.stderr.trim().slice(-500)}`);
  }
  return { proc, port, brain, readyMs, stop };
}

/** The gateway's own start time (prepare -> listening), from its "gateway listening ... ms=N" log line. */
export function listenLogMs(proc: Proc): number | null {
  const m = /gateway listening.*?\bms=(\d+)/.exec(proc.stderr());
  return m ? Number(m[1]) : null;
}

/** Resident and peak resident memory of a process, in MiB, from /proc/PID/status. */
export function readRss(pid: number): { rssMb: number; hwmMb: number } {
  const text = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text);
    if (!m) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(m[1]);
  };
  return { rssMb: kb("VmRSS") / 1024, hwmMb: kb("VmHWM") / 1024 };
}

/** The soft open-files limit of this process (children inherit it). */
export function openFilesLimit(): number {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(fs.readFileSync("/proc/self/limits", "utf8"));
  return !m || m[1] === "unlimited" ? Infinity : Number(m[1]);
}

/** Sleeps. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
