/**
 * A stand-in for a gateway: checks the command line given as its argument, starts it through
 * run.ts, prints the group's identity, then waits to be killed (the test kill -9s this process and
 * expects the group to die with it).
 */
import { planShell } from "../../../src/agent/tools/exec/plan.ts";
import { runCommand } from "../../../src/agent/tools/exec/run.ts";

const env = { PATH: "/usr/bin:/bin" };
const plan = planShell(process.argv[2] ?? "sleep 1000", { searchPath: env.PATH, cwd: process.cwd(), allowedEnv: new Set() });
if (!plan.ok) throw new Error(plan.reason);
void runCommand({
  script: plan.script,
  cwd: process.cwd(),
  env,
  timeoutMs: 600_000,
  maxOutputBytes: 1024,
  signal: new AbortController().signal,
  onSpawn: (p) => process.stdout.write(`${JSON.stringify(p)}\n`),
});
