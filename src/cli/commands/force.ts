/**
 * `gateway run --force`: surgery, not diagnosis. It stops only a process it has identified
 * (pid, user, command shown), asks first unless --yes, and refuses to stop a healthy gateway of
 * another state dir or a process it cannot see.
 */
import readline from "node:readline/promises";
import { identifyGateway } from "../../lock/identify.ts";
import type { LockState } from "../../lock/inspect.ts";
import type { BrainPaths } from "../../paths/paths.ts";
import { findListeners } from "../../proc/listeners.ts";
import { isAlive, readProcessInfo } from "../../proc/process.ts";
import { OnebrainError } from "../../shared/errors.ts";

async function healthy(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

/** Stops a pid with SIGTERM, then SIGKILL after `graceMs`; resolves when it is gone. */
export async function terminate(pid: number, graceMs = 7000): Promise<void> {
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (isAlive(pid)) {
    process.kill(pid, "SIGKILL");
    while (isAlive(pid)) await new Promise((r) => setTimeout(r, 20));
  }
}

/** Identifies what blocked the start and stops it if allowed; throws FORCE_REFUSED otherwise. */
export async function forceClear(err: OnebrainError, opts: { yes: boolean; paths: BrainPaths }): Promise<void> {
  let pid: number | null = null;
  let port: number | null = null;
  if (err.code === "GATEWAY_LOCK_HELD") {
    const lock = err.details.lock as LockState;
    pid = lock.holderPid;
  } else {
    const listener = err.details.listener as { pid: number | null } | undefined;
    pid = listener?.pid ?? null;
    port = (err.details.port as number) ?? null;
  }
  if (pid === null)
    throw new OnebrainError("FORCE_REFUSED", "--force will not act: the process in the way cannot be identified (run as root to see other users' processes)", {
      cause: err,
    });
  const info = readProcessInfo(pid);
  if (!info) return; // it went away by itself
  const gw = identifyGateway(pid);
  if (gw && gw.stateDir !== opts.paths.stateDir && port !== null && (await healthy(port))) {
    throw new OnebrainError("FORCE_REFUSED", `--force will not stop pid ${pid}: it is a healthy onebrain gateway of another brain (${gw.stateDir})`, {
      hint: "Give this brain another port (--port or gateway.port) or a profile of its own.",
      cause: err,
    });
  }
  const what = gw ? `onebrain gateway of ${gw.stateDir}` : "not a onebrain gateway";
  process.stderr.write(`--force: in the way is pid ${pid}, user ${info.user ?? info.uid}, ${what}\n  command: ${info.command}\n`);
  if (!opts.yes && !(await confirm(`Stop pid ${pid}?`))) {
    throw new OnebrainError("FORCE_REFUSED", `Not stopping pid ${pid} without confirmation`, {
      hint: "Answer y at the prompt, or pass --yes when there is no terminal.",
    });
  }
  await terminate(pid);
  process.stderr.write(`--force: pid ${pid} stopped\n`);
  // The kernel may list its listening socket for a moment after the process is gone: wait for
  // the port to be free, or the start that follows fails on a socket nobody owns any more.
  if (port !== null) {
    const deadline = Date.now() + 3000;
    while (findListeners([port]).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  }
}
