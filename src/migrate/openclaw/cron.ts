/**
 * OpenClaw's cron jobs as onebrain job inputs. Both shapes are read: Clawdbot's (`at.atMs`,
 * delivery inside the payload: `deliver`, `channel`, `to`) and OpenClaw 2026.x's (`at.at`,
 * `delivery: {mode, channel, to, accountId}`). OpenClaw's own jobs (heartbeat, memory, skill
 * review: those with a declaration key) are left: it made them for itself. The jobs are checked
 * and created by onebrain's own cron code inside the import's transaction (apply.ts), so a job
 * onebrain would refuse is left with onebrain's reason.
 */
import type { CronJobInput } from "../../cron/jobs.ts";
import type { MapContext } from "./context.ts";
import type { ChannelAccounts } from "./map-channels.ts";
import { asObject, asText, asTime, type SourceCronJob } from "./snapshot.ts";

/** A job ready for onebrain's checks. */
export interface CronPlan {
  /** The job's name in OpenClaw (for the report). */
  from: string;
  input: CronJobInput;
  /** An `every` job's anchor, kept so its occurrences stay where they were. */
  anchor: number | null;
  paused: boolean;
  /** What changed on the way, for the report. */
  notes: string[];
}

/** A job name onebrain takes: 1-64 of a-z, 0-9, ".", "_", "-". */
export function jobName(name: string, taken: Set<string>): string {
  let base = name
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[^a-z0-9]+/, "")
    .replace(/-+$/, "")
    .slice(0, 60);
  if (!base) base = "job";
  let out = base;
  for (let i = 2; taken.has(out); i++) out = `${base}-${i}`;
  taken.add(out);
  return out;
}

/** The time zone a cron expression without one ran in: agents.defaults.userTimezone, else this host's. */
export function defaultTimeZone(ctx: MapContext): string {
  return asText(asObject(asObject(ctx.oc.agents)?.defaults)?.userTimezone) ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? "UTC";
}

/** Plans every job; the ones that cannot be planned are reported as left. */
export function planCron(
  ctx: MapContext,
  jobs: readonly SourceCronJob[],
  o: { defaultAgent: string; accounts: ChannelAccounts; mapKey: (key: string) => string | null },
): CronPlan[] {
  const L = ctx.ledger;
  const taken = new Set<string>();
  const plans: CronPlan[] = [];
  const tz = defaultTimeZone(ctx);
  const system = jobs.filter((j) => j.declarationKey);
  if (system.length) {
    L.left(
      "cron",
      `${system.length} of OpenClaw's own job${system.length === 1 ? "" : "s"} (${system.map((j) => j.declarationKey).join(", ")})`,
      "OpenClaw made them for itself (heartbeat, memory, skill review)",
    );
    L.counts.cronLeft += system.length;
  }
  for (const { job } of jobs.filter((j) => !j.declarationKey)) {
    const from = asText(job.name) ?? asText(job.id) ?? asText(job.jobId) ?? "(unnamed)";
    const leave = (why: string) => {
      L.left("cron", `job ${JSON.stringify(from).slice(0, 70)}`, why);
      L.counts.cronLeft++;
    };
    const notes: string[] = [];
    const schedule = asObject(job.schedule) ?? {};
    const payload = asObject(job.payload) ?? {};
    const input: Partial<CronJobInput> = {};
    let anchor: number | null = null;
    const kind = asText(schedule.kind) ?? (schedule.cron || schedule.expr ? "cron" : undefined);
    if (kind === "at") {
      const at = asTime(schedule.atMs ?? schedule.at);
      if (at === null) {
        leave("its one-time schedule has no readable time");
        continue;
      }
      input.at = new Date(at).toISOString();
    } else if (kind === "every") {
      const every = schedule.everyMs;
      if (typeof every !== "number" || !Number.isSafeInteger(every) || every <= 0) {
        leave("its interval is not a number of milliseconds");
        continue;
      }
      input.every = `${every}ms`;
      anchor = typeof schedule.anchorMs === "number" ? schedule.anchorMs : null;
    } else if (kind === "cron") {
      const expr = asText(schedule.expr) ?? asText(schedule.cron);
      if (!expr) {
        leave("its cron schedule has no expression");
        continue;
      }
      input.cron = expr;
      input.tz = asText(schedule.tz) ?? tz;
      if (!schedule.tz) notes.push(`time zone ${input.tz} (OpenClaw's default)`);
    } else {
      leave(`its schedule kind ${JSON.stringify(kind ?? "none")} is not at, every or cron`);
      continue;
    }
    const agent = (asText(job.agentId) ?? o.defaultAgent).toLowerCase();
    input.agent = agent;
    const pk = asText(payload.kind) ?? (payload.message !== undefined || job.message !== undefined ? "agentTurn" : undefined);
    if (pk === "agentTurn") input.message = asText(payload.message) ?? asText(job.message) ?? "";
    else if (pk === "systemEvent") {
      input.message = asText(payload.text) ?? "";
      notes.push("a system event: sent to the agent as a message");
    } else {
      leave(`its payload ${JSON.stringify(pk ?? "none")} is not a message for the agent (onebrain's jobs send a message)`);
      continue;
    }
    const target = asText(job.sessionTarget) ?? "isolated";
    if (target === "main") input.session = `agent:${agent}:main`;
    else if (target.startsWith("session:")) {
      const mapped = o.mapKey(target.slice("session:".length));
      input.session = mapped ?? "isolated";
      if (!mapped) notes.push(`its session ${target.slice(8)} is not imported: runs in its own session`);
    } else {
      input.session = "isolated";
      if (target !== "isolated") notes.push(`session target ${target}: runs in its own session`);
    }
    // Delivery: 2026.x `delivery`; Clawdbot `payload.deliver/channel/to`.
    const d =
      asObject(job.delivery) ??
      (payload.deliver === true ? { mode: "announce", channel: payload.channel, to: payload.to, accountId: payload.accountId } : null);
    const mode = asText(d?.mode);
    if (d && mode === "announce") {
      const channel = asText(d.channel);
      const to = asText(d.to)?.replace(/^(telegram|tg|discord|slack|whatsapp):/i, "");
      const acct = asText(d.accountId);
      if (!channel || channel === "last" || !to) notes.push("its announce to the last chat is not carried over (onebrain needs a fixed chat): no delivery");
      else if (acct && acct !== o.accounts.runs(channel))
        notes.push(`its announce through ${channel} account ${acct} (not run by onebrain) is not carried over: no delivery`);
      else {
        const account = o.accounts.of(channel, acct ?? o.accounts.runs(channel));
        input.deliver = { channel, target: to, ...(account ? { account } : {}) };
      }
    } else if (d && mode && mode !== "none") notes.push(`its delivery mode ${mode} is not carried over: no delivery`);
    const timeout = payload.timeoutSeconds;
    if (typeof timeout === "number" && Number.isInteger(timeout) && timeout > 0) input.timeout = `${timeout}s`;
    if (payload.model !== undefined || payload.thinking !== undefined)
      notes.push("its own model/thinking setting is not carried over (the agent's model answers)");
    if (!input.message?.trim()) {
      leave("it has no message for the agent");
      continue;
    }
    input.name = jobName(from, taken);
    if (input.name !== from) notes.push(`named ${input.name}`);
    plans.push({ from, input: input as CronJobInput, anchor, paused: job.enabled === false, notes });
  }
  return plans;
}
