/**
 * `doctor_ms`: `onebrain doctor --json` spawn to exit against a brain whose gateway runs, after
 * one warm-up. Each run must print a report (exit 0, 30 or 31: doctor reports, it does not fail).
 */
import { freePort, freshBrain, startGateway, timeCli } from "./procs.ts";
import { progress } from "./cli-runs.ts";

export interface DoctorSamples {
  ms: number[];
  /** doctor's own time (its `ms` field): the checks, without Node's start. */
  workMs: number[];
  checks: number;
}

/** Runs `doctor --json` `runs` times (+1 warm-up) against a live gateway. */
export async function doctorRuns(runs: number): Promise<DoctorSamples> {
  const port = await freePort();
  const brain = freshBrain({ gateway: { port } });
  const gw = await startGateway(brain, port);
  const out: DoctorSamples = { ms: [], workMs: [], checks: 0 };
  try {
    for (let i = 0; i <= runs; i++) {
      const r = await timeCli(["doctor", "--json"], brain.env);
      if (r.code !== 0 && r.code !== 30 && r.code !== 31) throw new Error(`doctor exited ${r.code ?? r.signal}: ${(r.stdout + r.stderr).trim().slice(-300)}`);
      const report = JSON.parse(r.stdout) as { ms: number; checks: unknown[]; worst: string };
      progress(
        `doctor ${i === 0 ? "warm-up" : `${i}/${runs}`}: ${r.ms.toFixed(1)} ms (${report.ms} ms in checks, ${report.checks.length} findings, worst ${report.worst})`,
      );
      if (i === 0) continue;
      out.ms.push(r.ms);
      out.workMs.push(report.ms);
      out.checks = report.checks.length;
    }
  } finally {
    await gw.stop();
  }
  return out;
}
