/**
 * Helpers of the doctor tests: quiet ports far from the other tests' range, fake OpenClaw
 * gateways (real processes whose command line says `openclaw gateway`), brains on disk in temp
 * homes, and `onebrain doctor --json` as a real process.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { reservePort, runCli, type CliResult } from "../helpers/gateway.ts";
import type { DoctorReport, ReportedCheck } from "../../src/diagnostics/doctor/index.ts";
import { track, type Foreign } from "../gateway/support.ts";

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen({ port, host: "127.0.0.1", exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/**
 * A base port in 60000-64800 whose whole plan is free: far from the 10000-18600 range the other
 * test files draw from, so their gateways do not overlap the plans these tests reason about.
 */
export async function quietPort(): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const port = 60000 + Math.floor(Math.random() * 38) * 128;
    // Reserved host-wide first: two test files must not both find the same port quiet.
    if (!reservePort(port)) continue;
    if ((await canListen(port)) && (await canListen(port + 2)) && (await canListen(port + 4))) return port;
  }
  throw new Error("no quiet port found");
}

/** A process that looks like an OpenClaw-family gateway: `node -e ... openclaw gateway --port P`, listening on P. */
export function fakeClaw(kind: string, port: number, home: string): Promise<Foreign> {
  const code = `require("node:http").createServer((q,s)=>s.end("x")).listen(Number(process.argv.at(-1)),"127.0.0.1",()=>console.log("ready"))`;
  const child = spawn(process.execPath, ["-e", code, kind, "gateway", "--port", String(port)], {
    env: { ...process.env, HOME: home },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const f = track({ child, pid: child.pid!, exited, stop: () => (child.exitCode === null && child.signalCode === null && child.kill("SIGKILL"), exited) });
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => d.toString().includes("ready") && resolve(f));
    void exited.then(() => reject(new Error(`fake ${kind} exited`)));
  });
}

/** A brain on disk: state dir (0700), config (0600), a database file last written `ageMs` ago. */
export function brainOnDisk(dir: string, config: unknown = {}, ageMs = 0, now = Date.now()): string {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(dir, "onebrain.json"), JSON.stringify(config), { mode: 0o600 });
  const db = path.join(dir, "brain.db");
  fs.writeFileSync(db, "", { mode: 0o600 });
  const t = new Date(now - ageMs);
  fs.utimesSync(db, t, t);
  return dir;
}

/** Runs `onebrain doctor --json ...args` and parses the report. */
export async function doctorCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ r: CliResult; report: DoctorReport }> {
  const r = await runCli(["doctor", "--json", ...args], env);
  let report: DoctorReport;
  try {
    report = JSON.parse(r.stdout) as DoctorReport;
  } catch {
    throw new Error(`doctor printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  return { r, report };
}

/** The finding with this id (throws when there is none). */
export function check(report: Pick<DoctorReport, "checks">, id: string): ReportedCheck {
  const c = report.checks.find((x) => x.id === id);
  if (!c) throw new Error(`no ${id} finding in: ${report.checks.map((x) => x.id).join(", ")}`);
  return c;
}
