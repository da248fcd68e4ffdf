/**
 * Launching a browser that cannot outlive its gateway. Chromium is started through `/bin/sh` as
 * the leader of a new process group (`detached`); before it `exec`s the browser, the shell starts a
 * watcher in the group that waits on fd 3, one end of a socket pair only the gateway holds. When
 * the gateway stops or dies (even by SIGKILL: the kernel closes the socket), the watcher reads EOF
 * and SIGKILLs the whole group, renderers and zygotes included. The browser itself runs with fd 3
 * closed. The group's identity (leader pid, pgid, start time) is handed to `onSpawn` at once, so
 * it is in the brain before the browser is even ready, and the next start can reap it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readStartTicks, signalGroup } from "../proc/groups.ts";
import { OnebrainError } from "../shared/errors.ts";
import { fetchCdpVersion, type CdpVersion } from "./cdp.ts";

/** Kills the group when fd 3 reads EOF; then the browser replaces the shell, with fd 3 closed. */
const SCRIPT = '( read x <&3; kill -9 0 ) </dev/null >/dev/null 2>&1 &\nexec "$0" "$@" 3<&-\n';

/** How a launched browser ended. */
export interface BrowserExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running browser of ours. */
export interface LaunchedBrowser {
  pid: number;
  pgid: number;
  startTime: number | null;
  cdpPort: number;
  version: CdpVersion;
  /** Resolves once the leader has exited. */
  exited: Promise<BrowserExit>;
  /** True once the leader has exited. */
  hasExited(): boolean;
  /** The last lines the browser wrote (for errors). */
  output(): string;
  /** Kills the group: SIGTERM, then SIGKILL after `graceMs`; resolves once the leader is gone. */
  kill(graceMs?: number): Promise<void>;
}

/** What to launch. */
export interface LaunchRequest {
  executable: string;
  args: string[];
  cdpPort: number;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** Called right after the spawn with the group's identity (record it before anything can fail). */
  onSpawn(p: { pid: number; pgid: number; startTime: number | null }): void;
}

/** The last `max` lines of what a process wrote. */
class Tail {
  private lines: string[] = [];
  private partial = "";
  private readonly max = 12;
  push(chunk: Buffer): void {
    const parts = (this.partial + chunk.toString("utf8")).split("\n");
    this.partial = parts.pop() ?? "";
    for (const line of parts) if (line.trim()) this.lines.push(line.slice(0, 300));
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
  }
  text(): string {
    return [...this.lines, this.partial.slice(0, 300)].filter((l) => l.trim()).join("\n");
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Spawns the browser and waits until its `/json/version` answers; on failure the group is killed and a BROWSER_START_FAILED names why. */
export async function launchBrowser(req: LaunchRequest): Promise<LaunchedBrowser> {
  const tail = new Tail();
  let child: ChildProcess;
  try {
    child = spawn("/bin/sh", ["-c", SCRIPT, req.executable, ...req.args], {
      detached: true,
      stdio: ["ignore", "pipe", "pipe", "pipe"],
      env: req.env,
    });
  } catch (err) {
    throw new OnebrainError("BROWSER_START_FAILED", `Cannot start ${req.executable}: ${(err as Error).message}`);
  }
  // Set by the child's events; an object so the checks below see it change.
  const ended: { exit: BrowserExit | null; spawnError: Error | null } = { exit: null, spawnError: null };
  const exited = new Promise<BrowserExit>((resolve) => {
    child.once("error", (err) => {
      ended.spawnError = err;
      ended.exit ??= { code: null, signal: null };
      resolve(ended.exit);
    });
    child.once("exit", (code, signal) => {
      ended.exit = { code, signal };
      resolve(ended.exit);
    });
  });
  child.stdout?.on("data", (c: Buffer) => tail.push(c));
  child.stderr?.on("data", (c: Buffer) => tail.push(c));
  // The gateway's end of fd 3: held (never written) until kill(), or until this process dies.
  const lifeline = child.stdio[3] as NodeJS.WritableStream & { destroy(): void; on(e: "error", f: () => void): void };
  lifeline.on("error", () => {});
  const pid = child.pid;
  const kill = async (graceMs = 2000): Promise<void> => {
    if (pid === undefined) return;
    if (!ended.exit) signalGroup(pid, "SIGTERM");
    const done = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
    // The lifeline's watcher SIGKILLs whatever of the group is left (renderers that ignored SIGTERM).
    lifeline.destroy();
    signalGroup(pid, "SIGKILL");
    if (!done) await Promise.race([exited, sleep(1000)]);
  };
  if (pid === undefined) {
    await exited;
    throw new OnebrainError("BROWSER_START_FAILED", `Cannot start ${req.executable}: ${ended.spawnError?.message ?? "no process"}`);
  }
  req.onSpawn({ pid, pgid: pid, startTime: readStartTicks(pid) });
  const deadline = Date.now() + req.timeoutMs;
  let lastError = "";
  while (Date.now() < deadline) {
    if (ended.exit) break;
    try {
      const version = await fetchCdpVersion(`http://127.0.0.1:${req.cdpPort}`, Math.max(100, Math.min(1000, deadline - Date.now())));
      return {
        pid,
        pgid: pid,
        startTime: readStartTicks(pid),
        cdpPort: req.cdpPort,
        version,
        exited,
        hasExited: () => ended.exit !== null,
        output: () => tail.text(),
        kill,
      };
    } catch (err) {
      lastError = (err as Error).message;
      await sleep(25);
    }
  }
  await kill(500);
  const said = tail.text();
  const how = ended.exit
    ? `it exited (${ended.exit.signal ?? `code ${ended.exit.code}`})`
    : `its CDP port ${req.cdpPort} did not answer within ${req.timeoutMs} ms (${lastError})`;
  throw new OnebrainError("BROWSER_START_FAILED", `The browser ${req.executable} did not become ready: ${how}${said ? `. It said:\n${said}` : ""}`, {
    details: { executable: req.executable, cdpPort: req.cdpPort },
  });
}
