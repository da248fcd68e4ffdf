/**
 * Test utilities for real processes: temp state dirs, free ports, spawning the built CLI
 * (`bin/onebrain.js` -> the dist/ bundle) and waiting on it. Loopback only.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const cliPath = path.join(repoRoot, "bin/onebrain.js");

/** The node flags in bin/onebrain.js's shebang, so spawned CLIs run exactly as the installed binary does. */
export const binNodeFlags: string[] = (() => {
  const first = fs.readFileSync(cliPath, "utf8").split("\n", 1)[0] ?? "";
  const words = first
    .replace(/^#!\S+\s*(-S\s+)?/, "")
    .split(/\s+/)
    .filter(Boolean);
  return words[0] === "node" ? words.slice(1) : [];
})();

const tmpRoots: string[] = [];

/** A fresh temp dir, removed at process exit. */
export function tmpDir(prefix = "onebrain-test-"): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpRoots.push(d);
  return d;
}
process.on("exit", () => {
  for (const d of tmpRoots) fs.rmSync(d, { recursive: true, force: true });
});

/**
 * A TCP port that is free on 127.0.0.1 and ::1 now, with room for its derived ports. Ports come in
 * aligned blocks of 8 below the kernel's ephemeral range (32768+) and below 18789. Each block is
 * reserved host-wide by a file naming this process (O_EXCL; a dead owner's file is taken over), so
 * two test files running in parallel never hand out the same port, even in the gap between the
 * check and the gateway binding it.
 */
const BLOCK = 8;
const FIRST_BLOCK = 10000 / BLOCK;
const BLOCKS = (18600 - 10000) / BLOCK;
const reserveDir = path.join(os.tmpdir(), "onebrain-test-ports");
let nextBlock = (process.pid * 37) % BLOCKS;
const reserved: string[] = [];
/**
 * Ports in the test range that Chromium refuses to load (net::ERR_UNSAFE_PORT, its port_util.cc
 * list): a console or canvas on one cannot be opened in the browser tests.
 */
const UNSAFE_FOR_BROWSERS = [10080];
const blockIsSafe = (port: number, span = BLOCK) => !UNSAFE_FOR_BROWSERS.some((u) => u >= port && u < port + span);
process.on("exit", () => {
  for (const f of reserved) fs.rmSync(f, { force: true });
});

export async function freePort(): Promise<number> {
  fs.mkdirSync(reserveDir, { recursive: true });
  for (let i = 0; i < BLOCKS; i++) {
    const port = (FIRST_BLOCK + nextBlock) * BLOCK;
    nextBlock = (nextBlock + 1) % BLOCKS;
    if (!blockIsSafe(port) || !reserve(port)) continue;
    if ((await canListen(port, "127.0.0.1")) && (await canListen(port, "::1"))) return port;
  }
  throw new Error("no free port found");
}

/**
 * A base port whose whole plan is free and reserved: the gateway, browser control (+2), canvas
 * (+4) and the CDP range (+11 .. +110), as consecutive blocks. For tests that launch browsers.
 */
export async function freePlanPort(span = 112): Promise<number> {
  fs.mkdirSync(reserveDir, { recursive: true });
  const blocks = Math.ceil(span / BLOCK);
  for (let i = 0; i < BLOCKS; i++) {
    const first = nextBlock;
    nextBlock = (nextBlock + blocks) % BLOCKS;
    if (first + blocks > BLOCKS || !blockIsSafe((FIRST_BLOCK + first) * BLOCK, blocks * BLOCK)) continue;
    const got: number[] = [];
    for (let b = 0; b < blocks; b++) {
      const port = (FIRST_BLOCK + first + b) * BLOCK;
      if (!reserve(port)) break;
      got.push(port);
    }
    const base = (FIRST_BLOCK + first) * BLOCK;
    if (got.length === blocks && (await canListen(base, "127.0.0.1")) && (await canListen(base, "::1"))) return base;
    for (const port of got) {
      fs.rmSync(path.join(reserveDir, String(port)), { force: true });
      reserved.splice(reserved.indexOf(path.join(reserveDir, String(port))), 1);
    }
  }
  throw new Error("no free span of ports found");
}

/** Claims `port` host-wide for this process (the same files as freePort's blocks); false when a live process holds it. */
export function reservePort(port: number): boolean {
  fs.mkdirSync(reserveDir, { recursive: true });
  return reserve(port);
}

/** Claims the block at `port` for this process; false when a live process holds it. */
function reserve(port: number): boolean {
  const file = path.join(reserveDir, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: "wx" });
      reserved.push(file);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    let text = "";
    try {
      text = fs.readFileSync(file, "utf8").trim();
    } catch {
      continue; // its owner just released it
    }
    const owner = Number(text);
    if (!(owner > 0) || owner === process.pid || alive(owner)) return false; // empty: being written now
    fs.rmSync(file, { force: true });
  }
  return false;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", (err: NodeJS.ErrnoException) => resolve(err.code === "EADDRNOTAVAIL" || err.code === "EAFNOSUPPORT"));
    s.listen({ port, host, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Proc {
  child: ChildProcess;
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process exits. */
  exited: Promise<CliResult>;
  /** Waits until stdout+stderr contains `text` (or the process exits, which rejects). */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  kill(signal?: NodeJS.Signals): void;
}

/** The environment for a test brain: isolated HOME and state dir, quiet console unless asked. */
export function brainEnv(stateDir: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: path.dirname(stateDir), ONEBRAIN_STATE_DIR: stateDir, NO_COLOR: "1" };
  delete env.ONEBRAIN_PROFILE;
  delete env.ONEBRAIN_CONFIG_PATH;
  delete env.ONEBRAIN_GATEWAY_PORT;
  delete env.ONEBRAIN_GATEWAY_TOKEN;
  delete env.ONEBRAIN_GATEWAY_PASSWORD;
  // Tests must never reach a real model API, whatever keys the machine has.
  for (const k of ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "OPENROUTER_API_KEY"]) delete env[k];
  // Nor a real Telegram bot: a test that wants one passes the fake's token and apiRoot.
  delete env.TELEGRAM_BOT_TOKEN;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Spawns `onebrain ...args` as a real process. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv): Proc {
  const child = spawn(process.execPath, [...binNodeFlags, cliPath, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  const waiters = new Set<() => void>();
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
    for (const w of waiters) w();
  });
  child.stderr!.on("data", (d: Buffer) => {
    err += d.toString();
    for (const w of waiters) w();
  });
  const exited = new Promise<CliResult>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout: out, stderr: err })));
  let done = false;
  void exited.then(() => {
    done = true;
    for (const w of waiters) w();
  });
  return {
    child,
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    exited,
    kill: (signal = "SIGTERM") => void child.kill(signal),
    waitFor(text, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const has = () => (typeof text === "string" ? (out + err).includes(text) : text.test(out + err));
        const timer = setTimeout(
          () => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${String(text)}\nstdout: ${out}\nstderr: ${err}`)),
          timeoutMs,
        );
        const check = () => {
          if (has()) finish();
          else if (done) finish(new Error(`process exited before printing ${String(text)}\nstdout: ${out}\nstderr: ${err}`));
        };
        const finish = (e?: Error) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (e) reject(e);
          else resolve();
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** Runs `onebrain ...args` to completion. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 20_000): Promise<CliResult> {
  const p = spawnCli(args, env);
  const timer = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
  return p.exited.finally(() => clearTimeout(timer));
}

export interface RunningGateway extends Proc {
  port: number;
  stateDir: string;
  env: NodeJS.ProcessEnv;
  /** SIGTERM and wait for exit. */
  stop(): Promise<CliResult>;
}

/** Writes a config file (JSON) into the state dir, mode 0600. */
export function writeConfig(stateDir: string, config: unknown): string {
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const file = path.join(stateDir, "onebrain.json");
  fs.writeFileSync(file, JSON.stringify(config, null, 2), { mode: 0o600 });
  return file;
}

/** Starts a gateway process and waits until it is listening. */
export async function startGateway(
  opts: { stateDir?: string; port?: number; config?: unknown; env?: Record<string, string | undefined>; args?: string[] } = {},
): Promise<RunningGateway> {
  const stateDir = opts.stateDir ?? path.join(tmpDir(), "state");
  const port = opts.port ?? (await freePort());
  if (opts.config !== undefined) writeConfig(stateDir, opts.config);
  const env = brainEnv(stateDir, opts.env);
  const p = spawnCli(["gateway", "--port", String(port), ...(opts.args ?? [])], env);
  await p.waitFor("gateway listening");
  return {
    ...p,
    port,
    stateDir,
    env,
    async stop() {
      if (p.child.exitCode === null && p.child.signalCode === null) p.kill("SIGTERM");
      return p.exited;
    },
  };
}

/** GET a path on the gateway; returns status and parsed JSON body. */
export async function httpGet(port: number, pathname: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`http://127.0.0.1:${port}${pathname}`, { headers });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep text
  }
  return { status: res.status, body, headers: res.headers };
}

/** Rows of a query on a brain's database, opened read-only (a running gateway may hold it). */
export function brainRows(stateDir: string, sql: string, ...params: Array<string | number>): Array<Record<string, unknown>> {
  const db = new DatabaseSync(path.join(stateDir, "brain.db"), { readOnly: true });
  try {
    return db
      .prepare(sql)
      .all(...params)
      .map((r) => ({ ...r }));
  } finally {
    db.close();
  }
}
