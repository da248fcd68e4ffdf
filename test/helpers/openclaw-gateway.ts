/**
 * The real OpenClaw gateway (the npm package the test tools install), run as an OpenClaw user runs
 * it: `openclaw gateway run` with its own HOME and state dir, token auth on loopback, and a
 * config of the test's. It starts in 15-75 s here (plugins load). `stop()` ends it and every
 * process it left (its spawn broker runs in a session of its own), found by the state dir in
 * their environment.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { connectGateway } from "../../src/client/gateway-client.ts";
import { tmpDir } from "./gateway.ts";
import { OPENCLAW_BIN } from "./openclaw-cli.ts";
import { sleep } from "./wait.ts";

export interface RealOpenclaw {
  pid: number;
  port: number;
  token: string;
  home: string;
  stateDir: string;
  configPath: string;
  /** The gateway's output so far (for a failing assertion's message). */
  output(): string;
  stop(): Promise<void>;
}

/** Pids whose environment names this state dir. */
export function pidsOf(stateDir: string): number[] {
  const marker = `OPENCLAW_STATE_DIR=${stateDir}`;
  const out: number[] = [];
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (fs.readFileSync(`/proc/${d}/environ`, "utf8").split("\0").includes(marker)) out.push(Number(d));
    } catch {
      // gone, or not ours
    }
  }
  return out;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** True when the gateway completes a handshake (as OpenClaw's CLI probe). */
async function admits(port: number, token: string): Promise<boolean> {
  try {
    const conn = await connectGateway({ url: `ws://127.0.0.1:${port}`, token, timeoutMs: 3000, dialect: "openclaw", mode: "probe" });
    await conn.closeWithin(200);
    return true;
  } catch {
    return false;
  }
}

/** Starts the real gateway on `port` with `config` merged over a quiet base (no browser, no update check). */
export async function startRealOpenclaw(o: { port: number; token: string; config?: Record<string, unknown>; startTimeoutMs?: number }): Promise<RealOpenclaw> {
  const home = tmpDir("onebrain-real-openclaw-");
  const stateDir = path.join(home, ".openclaw");
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const configPath = path.join(stateDir, "openclaw.json");
  const config = {
    gateway: { mode: "local", port: o.port, bind: "loopback", auth: { mode: "token", token: o.token } },
    browser: { enabled: false },
    update: { checkOnStart: false },
    agents: { defaults: { workspace: path.join(stateDir, "workspace"), skipBootstrap: true } },
    ...o.config,
  };
  fs.writeFileSync(configPath, JSON.stringify(config, null, 2), { mode: 0o600 });
  const child = spawn(OPENCLAW_BIN, ["gateway", "run", "--port", String(o.port), "--bind", "loopback", "--auth", "token", "--token", o.token], {
    env: {
      PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
      HOME: home,
      OPENCLAW_STATE_DIR: stateDir,
      OPENCLAW_CONFIG_PATH: configPath,
      NO_COLOR: "1",
      TERM: "dumb",
    },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-20_000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const g: RealOpenclaw = {
    pid: child.pid!,
    port: o.port,
    token: o.token,
    home,
    stateDir,
    configPath,
    output: () => output,
    async stop() {
      for (const pid of [child.pid!, ...pidsOf(stateDir)]) if (alive(pid)) process.kill(pid, "SIGTERM");
      const end = Date.now() + 30_000;
      while (Date.now() < end && pidsOf(stateDir).some(alive)) await sleep(250);
      for (const pid of pidsOf(stateDir)) if (alive(pid)) process.kill(pid, "SIGKILL");
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
  const end = Date.now() + (o.startTimeoutMs ?? 180_000);
  while (Date.now() < end) {
    if (child.exitCode !== null) break;
    const up = await fetch(`http://127.0.0.1:${o.port}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    // /healthz answers before the gateway admits clients ("gateway starting", while its sidecars start).
    if (up && (await admits(o.port, o.token))) return g;
    await sleep(500);
  }
  await g.stop();
  throw new Error(`the real OpenClaw gateway did not answer /healthz on :${o.port}:\n${output.slice(-3000)}`);
}
