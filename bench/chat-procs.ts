/**
 * The processes of the chat benches, as seen from the bench: the fake model server in its own
 * process, the WebChat load clients in theirs, a gateway pointed at the fake model, and CPU
 * time from /proc, so the report can say which process the time went to. Loopback only.
 */
import { fork, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { connectGateway } from "../src/client/gateway-client.ts";
import type { BrainStatus } from "../src/server/context.ts";
import { freePort, freshBrain, startGateway, track, type StartedGateway } from "./procs.ts";
import type { ChildMessage, LoadSpec, RunResult } from "./chat-clients.ts";

const here = path.dirname(fileURLToPath(import.meta.url));

/** Stops a child: the polite way first (`polite`), SIGKILL after 5 s. */
async function stopChild(child: ChildProcess, polite: () => void): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  polite();
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited.finally(() => clearTimeout(timer));
}

export interface FakeModelProc {
  pid: number;
  port: number;
  /** baseUrl for an `openai` provider. */
  openaiUrl: string;
  stop(): Promise<void>;
}

/** Spawns bench/fake-model-proc.ts and waits for the port it prints. */
export async function startFakeModel(timeoutMs = 10_000, o: { args?: string[]; onLine?: (line: string) => void } = {}): Promise<FakeModelProc> {
  const child = spawn(process.execPath, [path.join(here, "fake-model-proc.ts"), ...(o.args ?? [])], { stdio: ["pipe", "pipe", "inherit"] });
  track(child);
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`the fake model printed no port within ${timeoutMs} ms`)), timeoutMs);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /port=(\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      resolve(Number(m[1]));
    });
    child.once("exit", (code) => (clearTimeout(timer), reject(new Error(`the fake model exited (${code}) before printing its port`))));
  });
  if (o.onLine) {
    let rest = "";
    child.stdout!.on("data", (d: Buffer) => {
      const lines = (rest + d.toString()).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) o.onLine!(line);
    });
  }
  child.stdout!.resume();
  return { pid: child.pid!, port, openaiUrl: `http://127.0.0.1:${port}/v1`, stop: () => stopChild(child, () => child.stdin!.end()) };
}

export interface ChatClients {
  pid: number;
  /** Runs one load; `onMark` is called (synchronously) as each answered-count mark is reached. */
  run(spec: LoadSpec, onMark?: (answered: number) => void, onProgress?: (sent: number, answered: number) => void): Promise<RunResult>;
  stop(): Promise<void>;
}

/** Forks bench/chat-clients.ts with `connections` WebSocket clients and waits until they are connected. */
export async function startChatClients(url: string, connections = 1): Promise<ChatClients> {
  const child = fork(path.join(here, "chat-clients.ts"), [url, String(connections)], { execArgv: [], stdio: ["ignore", "ignore", "inherit", "ipc"] });
  track(child);
  const next = <T extends ChildMessage>(type: T["type"], timeoutMs: number, onOther: (m: ChildMessage) => void = () => {}): Promise<T> =>
    new Promise((resolve, reject) => {
      const done = (fn: () => void) => (clearTimeout(timer), child.off("message", onMessage), child.off("exit", onExit), fn());
      const onMessage = (m: ChildMessage) => (m.type === type ? done(() => resolve(m as T)) : onOther(m));
      const onExit = (code: number | null) => done(() => reject(new Error(`the chat client process exited (${code}) before sending ${type}`)));
      const timer = setTimeout(() => done(() => reject(new Error(`the chat client process sent no ${type} within ${timeoutMs} ms`))), timeoutMs);
      child.on("message", onMessage);
      child.on("exit", onExit);
    });
  await next("ready", 15_000);
  return {
    pid: child.pid!,
    run(spec, onMark, onProgress) {
      child.send({ cmd: "run", spec });
      return next<RunResult>("result", 30 * 60_000, (m) => {
        if (m.type === "mark") onMark?.(m.answered);
        else if (m.type === "progress") onProgress?.(m.sent, m.answered);
      });
    },
    stop: () => stopChild(child, () => (child.connected ? child.send({ cmd: "close" }) : child.kill("SIGTERM"))),
  };
}

/** The gateway config of the chat benches: the fake model as the only model, plus `extra` sections. */
export function chatConfig(fake: FakeModelProc, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { models: { primary: "fake/echo-1", providers: { fake: { kind: "openai", baseUrl: fake.openaiUrl } } }, ...extra };
}

/** Starts a gateway on a fresh brain with `config`, `env` added to its environment and its state dir first given to `prepare` (a linked device). */
export async function startChatGateway(
  config: unknown,
  o: { env?: Record<string, string>; prepare?: (stateDir: string) => void } = {},
): Promise<StartedGateway> {
  const brain = freshBrain(config);
  o.prepare?.(brain.stateDir);
  Object.assign(brain.env, o.env);
  return startGateway(brain, await freePort());
}

/** CPU time (user + system) a process has used so far, in ms, from /proc/PID/stat. */
export function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start at ") "; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ is 100 on Linux
}

/** Bytes of the brain database and its WAL. */
export function dbBytes(stateDir: string): { db: number; wal: number } {
  const size = (f: string) => (fs.existsSync(f) ? fs.statSync(f).size : 0);
  return { db: size(path.join(stateDir, "brain.db")), wal: size(path.join(stateDir, "brain.db-wal")) };
}

/** The gateway's `status` over one extra connection (heap, event-loop lag, backlog). */
export async function gatewayStatus(port: number): Promise<BrainStatus> {
  const conn = await connectGateway({ url: `ws://127.0.0.1:${port}`, timeoutMs: 10_000, clientId: "onebrain-bench", mode: "probe" });
  try {
    return await conn.request<BrainStatus>("status", undefined, 10_000);
  } finally {
    conn.ws.terminate();
  }
}

/**
 * The fake model's own latency, without the gateway: `n` sequential streaming requests (after
 * `warmup` unmeasured ones) over keep-alive fetch, as the gateway's provider makes them, each
 * timed from send to the end of the stream.
 */
export async function fakeModelDirect(fake: FakeModelProc, n: number, warmup = 50): Promise<number[]> {
  const body = JSON.stringify({
    model: "echo-1",
    max_tokens: 1024,
    stream: true,
    stream_options: { include_usage: true },
    messages: [
      { role: "system", content: "You are a helpful assistant." },
      { role: "user", content: "ping 1" },
    ],
  });
  const out: number[] = [];
  for (let i = 0; i < warmup + n; i++) {
    const t0 = performance.now();
    const res = await fetch(`${fake.openaiUrl}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body,
    });
    const text = await res.text();
    if (!res.ok || !text.includes("[DONE]")) throw new Error(`the fake model answered HTTP ${res.status} without [DONE]`);
    if (i >= warmup) out.push(performance.now() - t0);
  }
  return out;
}
