/**
 * `onebrain cron add|list|show|runs|run-now|pause|resume|remove` (docs/cron.md): over RPC when a
 * gateway holds the brain, else on the store under the brain lock (`run-now` needs the gateway:
 * only it fires). Each prints a few lines, or one JSON document with `--json`.
 */
import { agentRoster } from "../../agents/roster.ts";
import { configuredAccounts } from "../../channels/inspect.ts";
import type { GatewayConnection } from "../../client/gateway-client.ts";
import { loadBrainConfig } from "../../config/load.ts";
import type { Occurrence } from "../../cron/history.ts";
import type { CronJobInput } from "../../cron/jobs.ts";
import { CronService, type JobView } from "../../cron/service.ts";
import type { BrainPaths } from "../../paths/paths.ts";
import { OnebrainError } from "../../shared/errors.ts";
import { openStore, type Store } from "../../store/db.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";
import { viaGatewayOrStore } from "../gateway-or-store.ts";
import { formatDuration, printJson, printLines } from "../output.ts";

/** A gateway's refusal as the coded error the store path raises (its code rides in the wire details). */
function fromWire(err: unknown): unknown {
  if (!(err instanceof OnebrainError)) return err;
  const wire = err.details.wire as { code?: string; hint?: string } | undefined;
  if (wire?.code === "CRON_INVALID" || wire?.code === "CRON_NOT_FOUND" || wire?.code === "CRON_BUSY")
    return new OnebrainError(wire.code, err.message, { hint: wire.code === "CRON_NOT_FOUND" ? "onebrain cron list" : "onebrain cron --help", details: wire });
  return err;
}

/** The service on the store of a brain whose gateway is down: jobs announce on the configured channels, for the configured agents. */
function offline(paths: BrainPaths, store: Store): CronService {
  const config = loadBrainConfig(paths).config;
  const channels = configuredAccounts(config, process.env, paths.stateDir);
  const agents = agentRoster(config, paths).ids;
  return new CronService({ store, agentIds: () => agents, channels: () => channels });
}

/** Runs one operation through the gateway or on the store. */
async function via<T>(global: GlobalOptions, rpc: (conn: GatewayConnection) => Promise<T>, local: (service: CronService) => T) {
  const paths = brainPaths(global);
  return viaGatewayOrStore<T>(paths, {
    rpc: async (conn) => {
      try {
        return await rpc(conn);
      } catch (err) {
        throw fromWire(err);
      }
    },
    local: (store) => {
      // A brain that never ran has no database yet: it is made here, under the brain lock.
      const own = store ?? openStore(paths.storePath);
      try {
        return local(offline(paths, own));
      } finally {
        if (!store) own.close();
      }
    },
  });
}

const when = (t: number | null, now: number): string => {
  if (t === null) return "-";
  const rel = t >= now ? `in ${formatDuration(t - now)}` : `${formatDuration(now - t)} ago`;
  return `${new Date(t).toISOString().replace(/\.\d{3}Z$/, "Z")} (${rel})`;
};

function jobLines(j: JobView & { last?: Occurrence | null }, now: number): string[] {
  const target = j.delivery.mode === "announce" ? `announce ${j.delivery.channel}:${j.delivery.target}` : "no delivery";
  const last = j.last ? `last ${j.last.state}${j.last.count > 1 ? ` x${j.last.count}` : ""} ${when(j.last.scheduledFor, now)}` : "never ran";
  return [
    `  ${j.name.padEnd(20)} ${j.id}  ${j.paused ? "PAUSED  " : ""}${j.scheduleText}, missed: ${j.missed}`,
    `  ${"".padEnd(20)} next ${when(j.next, now)}; ${last}; ${target}`,
  ];
}

function runLine(r: Occurrence, now: number): string {
  const span = r.count > 1 ? ` .. ${new Date(r.lastFor!).toISOString()} (${r.count} occurrences)` : "";
  return `  #${String(r.id).padEnd(5)} ${r.state.padEnd(9)} ${when(r.scheduledFor, now)}${span}${r.manual ? " (by hand)" : ""}${r.note ? `: ${r.note}` : ""}`;
}

const source = (via: string) => (via === "gateway" ? "from the running gateway" : "from the store; the gateway is not running");

/** `cron add NAME --every 5m|--cron EXPR [--tz ZONE]|--at TIME --message TEXT [...]`. */
export async function addCommand(global: GlobalOptions, opts: Record<string, unknown>, args: string[]): Promise<void> {
  const input: CronJobInput = { name: args[0]!, message: typeof opts.message === "string" ? opts.message : "" };
  for (const k of ["at", "every", "cron", "tz", "agent", "session", "catchupWindow", "timeout"] as const)
    if (typeof opts[k] === "string") input[k] = opts[k] as string;
  if (typeof opts.missed === "string") input.missed = opts.missed as CronJobInput["missed"];
  if (opts.retryUnknown) input.retryUnknown = true;
  if (typeof opts.deliver === "string") {
    const m = /^([a-z]+)(?:@([^:]+))?:(.+)$/.exec(opts.deliver);
    if (!m)
      throw new OnebrainError(
        "USAGE",
        `Cannot read --deliver ${JSON.stringify(opts.deliver)}: expected CHANNEL:TARGET or CHANNEL@ACCOUNT:TARGET (telegram:123456789)`,
      );
    input.deliver = { channel: m[1]!, target: m[3]!, ...(m[2] ? { account: m[2] } : {}) };
  }
  const r = await via(
    global,
    async (conn) => (await conn.request<{ job: JobView }>("cron.add", input)).job,
    (s) => s.add(input),
  );
  if (opts.json) return printJson({ ok: true, via: r.via, job: r.value });
  printLines([`added cron job ${r.value.name} (${r.value.id}) ${source(r.via)}`, ...jobLines(r.value, Date.now())]);
}

/** `cron list`. */
export async function listCommand(global: GlobalOptions, opts: { json?: boolean }): Promise<void> {
  const r = await via(
    global,
    async (conn) => (await conn.request<{ jobs: Array<JobView & { last: Occurrence | null }> }>("cron.list", {})).jobs,
    (s) => s.list(),
  );
  if (opts.json) return printJson({ via: r.via, jobs: r.value });
  const now = Date.now();
  printLines([`cron: ${r.value.length} job${r.value.length === 1 ? "" : "s"} (${source(r.via)})`, ...r.value.flatMap((j) => jobLines(j, now))]);
}

/** `cron show JOB` and `cron runs JOB [--limit N]`. */
export function historyCommand(which: "show" | "runs") {
  return async (global: GlobalOptions, opts: { json?: boolean; limit?: string }, args: string[]): Promise<void> => {
    const job = args[0]!;
    const limit = opts.limit === undefined ? (which === "show" ? 10 : 50) : Number(opts.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new OnebrainError("USAGE", `Cannot use "${opts.limit}" as --limit: expected an integer 1-1000`);
    const r = await via(
      global,
      async (conn) => {
        const shown = await conn.request<{ job: JobView; runs: Occurrence[] }>("cron.show", { job });
        return { job: shown.job, runs: (await conn.request<{ runs: Occurrence[] }>("cron.runs", { job, limit })).runs };
      },
      (s) => ({ job: s.show(job).job, runs: s.runs(job, limit) }),
    );
    if (opts.json) return printJson({ via: r.via, ...(which === "show" ? { job: r.value.job } : {}), runs: r.value.runs });
    const now = Date.now();
    const head =
      which === "show"
        ? [...jobLines(r.value.job, now), `  message: ${r.value.job.message.slice(0, 200).replace(/\s+/g, " ")}`]
        : [`cron runs of ${r.value.job.name}, newest first:`];
    printLines([...head, ...(r.value.runs.length ? r.value.runs.map((x) => runLine(x, now)) : ["  no occurrence yet"])]);
  };
}

/** `cron run-now JOB`: one occurrence now, by hand (the gateway must run). */
export async function runNowCommand(global: GlobalOptions, opts: { json?: boolean }, args: string[]): Promise<void> {
  const job = args[0]!;
  const r = await via(
    global,
    async (conn) => conn.request<{ job: JobView; occurrenceId: number; scheduledFor: number }>("cron.runNow", { job }),
    (s) => s.runNow(job),
  );
  if (opts.json) return printJson({ ok: true, via: r.via, ...r.value });
  printLines([`fired ${r.value.job.name} by hand (occurrence #${r.value.occurrenceId})`, `next: onebrain cron runs ${r.value.job.name}`]);
}

/** `cron pause JOB`, `cron resume JOB`, `cron remove JOB`. */
export function changeCommand(which: "pause" | "resume" | "remove") {
  return async (global: GlobalOptions, opts: { json?: boolean }, args: string[]): Promise<void> => {
    const job = args[0]!;
    const r = await via(
      global,
      async (conn) => conn.request<Record<string, unknown>>(`cron.${which}`, { job }),
      (s) => (which === "remove" ? s.remove(job) : { job: s.setPaused(job, which === "pause") }),
    );
    if (opts.json) return printJson({ ok: true, via: r.via, ...r.value });
    printLines([`${which === "remove" ? "removed" : which === "pause" ? "paused" : "resumed"} ${job} (${source(r.via)})`]);
  };
}
