/** What the cron tests share: read brain.db read-only, wait for a condition, run `onebrain cron ... --json`. */
import { brainRows, runCli } from "../helpers/gateway.ts";

/** Rows of a read-only query on the brain's database. */
export const rows = brainRows;

export { sleep, until } from "../helpers/wait.ts";

/** `onebrain cron ARGS --json` as a process: exit code, parsed stdout, stderr. */
export async function cli(gw: { env: NodeJS.ProcessEnv }, ...args: string[]) {
  const r = await runCli(["cron", ...args, "--json"], gw.env);
  return { code: r.code, body: r.stdout.trim() ? JSON.parse(r.stdout) : null, stderr: r.stderr };
}
