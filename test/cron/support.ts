/** What the cron tests share: read brain.db read-only, wait for a condition, run `onebrain cron ... --json`. */
import { query } from "../approvals/flow-rig.ts";
import { runCli } from "../helpers/gateway.ts";

/** Rows of a query on a brain's database, opened read-only (the gateway keeps writing). */
export function rows(stateDir: string, sql: string, ...params: Array<string | number>): Array<Record<string, unknown>> {
  return query({ stateDir }, sql, ...params);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` every 100 ms until it returns something truthy. */
export async function until<T>(
  what: string,
  fn: () => T | undefined | null | false | void | Promise<T | undefined | null | false | void>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** `onebrain cron ARGS --json` as a process: exit code, parsed stdout, stderr. */
export async function cli(gw: { env: NodeJS.ProcessEnv }, ...args: string[]) {
  const r = await runCli(["cron", ...args, "--json"], gw.env);
  return { code: r.code, body: r.stdout.trim() ? JSON.parse(r.stdout) : null, stderr: r.stderr };
}
