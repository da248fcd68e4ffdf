/**
 * Helpers shared by the real-process gateway tests: outcomes of racing starts, foreign port
 * holders, file snapshots, and a reaper so no test leaves a process behind.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import type { CliResult, Proc } from "../helpers/gateway.ts";

/** A generous bound for each test: a hung gateway fails its test instead of hanging the run. */
export const bounded = { timeout: 60_000 };

const children = new Set<ChildProcess>();

/** Remembers a process so `reapAll` can kill it if the test did not stop it. */
export function track<T extends { child: ChildProcess }>(p: T): T {
  children.add(p.child);
  p.child.once("exit", () => children.delete(p.child));
  return p;
}

/** SIGKILLs every tracked process still alive; for `after` hooks. */
export function reapAll(): void {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  }
  children.clear();
}

/** Waits until a gateway process either listens ("running") or exits (its result). */
export function outcome(p: Proc, timeoutMs = 20_000): Promise<"running" | CliResult> {
  return p.waitFor("gateway listening", timeoutMs).then(
    () => "running" as const,
    (err: Error) => {
      if (p.child.exitCode === null && p.child.signalCode === null) throw err;
      return p.exited;
    },
  );
}

export interface Foreign {
  child: ChildProcess;
  pid: number;
  exited: Promise<void>;
  stop(): Promise<void>;
}

/** Spawns a process and waits until it prints `ready` on stdout. */
function spawnUntilReady(args: string[], ready: string): Promise<Foreign> {
  const child = spawn(args[0]!, args.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const f: Foreign = {
    child,
    pid: child.pid!,
    exited,
    stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      return exited;
    },
  };
  if (!ready) return Promise.resolve(f);
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes(ready)) resolve(f);
    });
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    void exited.then(() => reject(new Error(`${args.join(" ")} exited before it was ready:\n${out}`)));
  });
}

/** A plain node HTTP server on 127.0.0.1:port: a port holder that is not a onebrain gateway. */
export function foreignHttpServer(port: number): Promise<Foreign> {
  const code = `require("node:http").createServer((q, s) => s.end("foreign")).listen(${port}, "127.0.0.1", () => console.log("foreign listening"))`;
  return spawnUntilReady([process.execPath, "-e", code], "foreign listening");
}

/** `sleep 30`: a live process that has nothing to do with onebrain. */
export function sleeper(): Promise<Foreign> {
  return spawnUntilReady(["sleep", "30"], "");
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1" });
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

/** True when 127.0.0.1:port and ::1:port (if the host has IPv6) can be bound now. */
export async function portIsFree(port: number): Promise<boolean> {
  const one = (host: string) =>
    new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once("error", (err: NodeJS.ErrnoException) => resolve(err.code === "EADDRNOTAVAIL" || err.code === "EAFNOSUPPORT"));
      s.listen({ port, host, exclusive: true }, () => s.close(() => resolve(true)));
    });
  return (await one("127.0.0.1")) && (await one("::1"));
}

/** Every file under `dir` (except `skip` subfolders) as `path size mtimeMs`, sorted. */
export function snapshotFiles(dir: string, skip: readonly string[] = []): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      const rel = path.relative(dir, full);
      if (skip.includes(rel)) continue;
      const st = fs.statSync(full);
      if (e.isDirectory()) {
        out.push(`${rel}/ ${st.mtimeMs}`);
        walk(full);
      } else out.push(`${rel} ${st.size} ${st.mtimeMs}`);
    }
  };
  walk(dir);
  return out.sort();
}
