/**
 * Runs a command in a process group of its own and makes sure nothing of it outlives the call or
 * the gateway.
 *
 * The child is `/bin/sh -c` as a session and group leader (`detached`), stdin /dev/null, stderr
 * merged into stdout so the output keeps its order. Before the command it starts a watcher in the
 * group that waits on fd 3, one end of a socket pair whose other end only the gateway holds: when
 * the gateway closes it (after the command ends) or dies (the kernel closes it), the watcher reads
 * EOF and SIGKILLs the whole group — so `sleep 100 &` left behind, or a command whose gateway was
 * kill -9'd, dies too. The command itself runs with fd 3 closed. Timeout and abort send SIGTERM to
 * the group and its session, then SIGKILL after a grace period.
 */
import { spawn } from "node:child_process";
import { readStartTicks, signalGroup } from "../../../proc/groups.ts";
import { OutputCap } from "./output.ts";

/** One command to run. */
export interface RunRequest {
  /** sh text run once the watcher is in place: a checked, quoted command line, or `exec 'prog' 'arg'`. */
  script: string;
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  maxOutputBytes: number;
  signal: AbortSignal;
  /** Called right after the spawn with the group's identity (for reaping after a crash). */
  onSpawn?: (p: { pid: number; pgid: number; startTime: number | null }) => void;
  /** Time between SIGTERM and SIGKILL; 2 s by default. */
  killGraceMs?: number;
}

/** How a command ended. */
export interface RunOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  durationMs: number;
  /** stdout and stderr interleaved as written, capped (see OutputCap). */
  output: string;
  droppedBytes: number;
  /** Set when the process could not be started at all. */
  spawnError: string | null;
}

/** The watcher, then fd 3 closed and stderr merged for the command. Newlines keep a syntax error in the command from stopping the watcher's line. */
const WATCHER = "( read x <&3; kill -9 0 ) </dev/null >/dev/null 2>&1 &\nexec 2>&1 3<&-\n";

/** How long output may keep flowing after the leader exits before the pipes are cut (a process that left the session). */
const DRAIN_MS = 1000;

/** Runs one command; resolves once it ended and its group was killed. Never rejects. */
export function runCommand(req: RunRequest): Promise<RunOutcome> {
  const started = performance.now();
  const out = new OutputCap(req.maxOutputBytes);
  const grace = req.killGraceMs ?? 2000;
  return new Promise((resolve) => {
    let timedOut = false;
    let aborted = false;
    let exitCode: number | null = null;
    let exitSignal: NodeJS.Signals | null = null;
    let done = false;
    const timers: NodeJS.Timeout[] = [];
    const child = spawn("/bin/sh", ["-c", WATCHER + req.script], {
      cwd: req.cwd,
      env: req.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe", "pipe"],
    });
    const pgid = child.pid;
    const finish = (spawnError: string | null) => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      req.signal.removeEventListener("abort", onAbort);
      const durationMs = performance.now() - started;
      resolve({ exitCode, signal: exitSignal, timedOut, aborted, durationMs, output: out.text(), droppedBytes: out.dropped, spawnError });
    };
    child.on("error", (err) => {
      child.stdio[3]?.destroy();
      finish(`${(err as NodeJS.ErrnoException).code ?? "error"}: ${err.message}`);
    });
    if (pgid === undefined) return; // the error event follows
    try {
      req.onSpawn?.({ pid: pgid, pgid, startTime: readStartTicks(pgid) });
    } catch {
      // A record that failed to be stored only loses the reaping after a crash; the watcher still
      // ends the group with the gateway, so the command goes on rather than being orphaned here.
    }

    const stop = () => {
      signalGroup(pgid, "SIGTERM");
      timers.push(setTimeout(() => signalGroup(pgid, "SIGKILL"), grace));
    };
    function onAbort() {
      if (exitCode !== null || exitSignal !== null) return;
      aborted = true;
      stop();
    }
    timers.push(
      setTimeout(() => {
        timedOut = true;
        stop();
      }, req.timeoutMs),
    );
    if (req.signal.aborted) onAbort();
    else req.signal.addEventListener("abort", onAbort, { once: true });

    child.stdout?.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr?.on("data", (chunk: Buffer) => out.push(chunk));
    child.stdio[3]?.on("error", () => {}); // the far end dies with the group; nothing to report
    child.on("exit", (code, signal) => {
      exitCode = code;
      exitSignal = signal;
      // The leader is done: whatever it left behind goes now (the watcher as well).
      child.stdio[3]?.destroy();
      signalGroup(pgid, "SIGKILL");
      timers.push(
        setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
        }, DRAIN_MS),
      );
    });
    child.on("close", () => finish(null));
  });
}
