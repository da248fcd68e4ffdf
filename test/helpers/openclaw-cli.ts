/**
 * OpenClaw's real CLI (the npm package `scripts/install.sh --test-tools` puts in a cache outside
 * the repo), run against a gateway as an OpenClaw user runs it: its own HOME and state dir, whose
 * openclaw.json names the gateway's port and token (what `openclaw setup` writes for a local
 * gateway). Nothing of the user's is read.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { tmpDir } from "./gateway.ts";

/** Where the test tools put OpenClaw (scripts/install.sh). */
export const OPENCLAW_DIR = path.join(process.env.ONEBRAIN_TEST_TOOLS_DIR ?? path.join(os.homedir(), ".cache", "onebrain-test-tools"), "openclaw");
export const OPENCLAW_BIN = path.join(OPENCLAW_DIR, "node_modules", ".bin", "openclaw");

/** Why the OpenClaw tests cannot run here, or null when the CLI is installed. */
export function openclawMissing(): string | null {
  return fs.existsSync(OPENCLAW_BIN) ? null : `OpenClaw's CLI is not installed at ${OPENCLAW_BIN}: run bash scripts/install.sh --test-tools`;
}

export interface OpenclawRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A CLI home pointed at one gateway: `run(args)` runs `openclaw ARGS` there. */
export function openclawClient(o: { port: number; token: string }): { home: string; run(args: string[], timeoutMs?: number): Promise<OpenclawRun> } {
  const home = tmpDir("onebrain-openclaw-cli-");
  const state = path.join(home, ".openclaw");
  fs.mkdirSync(state, { recursive: true, mode: 0o700 });
  const config = { gateway: { mode: "local", port: o.port, bind: "loopback", auth: { mode: "token", token: o.token } } };
  fs.writeFileSync(path.join(state, "openclaw.json"), JSON.stringify(config, null, 2), { mode: 0o600 });
  const env = {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: home,
    OPENCLAW_STATE_DIR: state,
    OPENCLAW_CONFIG_PATH: path.join(state, "openclaw.json"),
    NO_COLOR: "1",
    TERM: "dumb",
  };
  return {
    home,
    run: (args, timeoutMs = 90_000) =>
      new Promise((resolve, reject) => {
        const p = spawn(OPENCLAW_BIN, args, { env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
        p.on("error", reject);
        p.on("close", (code) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr });
        });
      }),
  };
}

/** The JSON a `--json` run printed (the whole of stdout). */
export function jsonOf(r: OpenclawRun): Record<string, unknown> {
  try {
    return JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`openclaw printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}
