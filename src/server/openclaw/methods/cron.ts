/**
 * OpenClaw's cron methods (`openclaw cron list|add|rm|run|runs|enable|disable|status`) over the
 * brain's own cron (docs/cron.md): every occurrence claimed once, missed ones recorded. OpenClaw's
 * job shape (schedule kinds, sessionTarget, payload, delivery) is translated both ways; delivery
 * to "last" is the channel conversation the agent's main session last heard from.
 */
import crypto from "node:crypto";
import * as z from "zod/mini";
import type { CronJobInput } from "../../../cron/jobs.ts";
import type { JobView } from "../../../cron/service.ts";
import type { Occurrence } from "../../../cron/history.ts";
import { OnebrainError } from "../../../shared/errors.ts";
import type { GatewayContext } from "../../context.ts";
import { OcError, type OcMethod } from "../types.ts";

/** An occurrence's end as OpenClaw words it: ok, error, or skipped (onebrain's missed). */
function runStatus(state: Occurrence["state"]): "ok" | "error" | "skipped" {
  return state === "done" || state === "delivered" ? "ok" : state === "missed" ? "skipped" : "error";
}

/** A job in OpenClaw's shape. */
export function openclawJob(j: JobView & { last?: Occurrence | null }): Record<string, unknown> {
  const s = j.schedule;
  const schedule =
    s.kind === "every"
      ? { kind: "every", everyMs: s.everyMs, anchorMs: s.anchor }
      : s.kind === "cron"
        ? { kind: "cron", expr: s.expr, tz: s.tz }
        : { kind: "at", atMs: s.at, at: new Date(s.at).toISOString() };
  const last = j.last ?? null;
  return {
    id: j.id,
    name: j.name,
    agentId: j.agentId,
    enabled: !j.paused,
    createdAtMs: j.createdAt,
    updatedAtMs: j.updatedAt,
    schedule,
    sessionTarget: j.sessionKey ?? "isolated",
    wakeMode: "now",
    payload: { kind: "agentTurn", message: j.message },
    delivery:
      j.delivery.mode === "announce"
        ? { mode: "announce", channel: j.delivery.channel, to: j.delivery.target, accountId: j.delivery.account }
        : { mode: "none" },
    state: {
      ...(j.next !== null ? { nextRunAtMs: j.next } : {}),
      ...(last && last.state !== "running" ? { lastRunAtMs: last.firedAt ?? last.scheduledFor, lastRunStatus: runStatus(last.state) } : {}),
    },
    ...(j.next !== null ? { nextRunAtMs: j.next } : {}),
  };
}

/** The conversation "last" means: where the agent's main session last heard from a channel. */
function lastConversation(ctx: GatewayContext, agentId: string): { channel: string; account: string; target: string } | null {
  const row = ctx.brain.store
    .prepare("SELECT channel, account, peer FROM inbound WHERE session_key = ? AND channel NOT IN ('webchat', 'cron', 'hook') ORDER BY id DESC LIMIT 1")
    .get(`agent:${agentId}:main`) as { channel: string; account: string; peer: string } | undefined;
  return row ? { channel: row.channel, account: row.account, target: row.peer } : null;
}

interface OcCronAdd {
  name: string;
  agentId?: string;
  enabled?: boolean;
  schedule: { kind: string; everyMs?: number; expr?: string; tz?: string; atMs?: number; at?: string };
  sessionTarget?: string;
  payload: { kind: string; message?: string; text?: string };
  delivery?: { mode?: string; channel?: string; to?: string; accountId?: string };
}

/** An OpenClaw job request as onebrain's, and a note when "last" had nowhere to go. */
function toInput(ctx: GatewayContext, a: OcCronAdd): { input: CronJobInput; note: string | null } {
  const agent = a.agentId ?? ctx.brain.defaultAgentId();
  const message = a.payload.message ?? a.payload.text;
  if (!message) throw new OcError("INVALID_REQUEST", "a job needs a message (payload.message)");
  const s = a.schedule;
  const when =
    s.kind === "every" && s.everyMs
      ? { every: `${s.everyMs}ms` }
      : s.kind === "cron" && s.expr
        ? { cron: s.expr, ...(s.tz ? { tz: s.tz } : {}) }
        : s.kind === "at"
          ? { at: s.at ?? new Date(s.atMs ?? NaN).toISOString() }
          : null;
  if (!when)
    throw new OcError(
      "INVALID_REQUEST",
      `cannot read the schedule ${JSON.stringify(s)}: expected {kind:"every", everyMs}, {kind:"cron", expr, tz} or {kind:"at", at}`,
    );
  const session = !a.sessionTarget || a.sessionTarget === "isolated" ? undefined : a.sessionTarget === "main" ? `agent:${agent}:main` : a.sessionTarget;
  let note: string | null = null;
  let deliver: CronJobInput["deliver"];
  const d = a.delivery;
  if (d && d.mode === "announce") {
    const target =
      d.channel === undefined || d.channel === "last" ? lastConversation(ctx, agent) : d.to ? { channel: d.channel, account: d.accountId, target: d.to } : null;
    if (target) deliver = { channel: target.channel, ...(target.account ? { account: target.account } : {}), target: target.target };
    else note = `${d.channel ?? "last"} -> no route: the answers stay in the job's session. Give --channel and --to to announce them.`;
  }
  return { input: { name: a.name, ...when, message, agent, ...(session ? { session } : {}), ...(deliver ? { deliver } : {}) }, note };
}

/** Runs a cron step, answering its coded refusals in OpenClaw's words. */
function refusing<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof OnebrainError && err.code === "CRON_NOT_FOUND") throw new OcError("INVALID_REQUEST", err.message, { code: "CRON_JOB_NOT_FOUND" });
    if (err instanceof OnebrainError && err.code.startsWith("CRON_")) throw new OcError("INVALID_REQUEST", err.message, { reason: err.code });
    throw err;
  }
}

const jobId = z.string().check(z.minLength(1), z.maxLength(128));
const idParams = z.looseObject({ id: z.optional(jobId), jobId: z.optional(jobId) });
const idOf = (p: unknown): string => {
  const o = p as { id?: string; jobId?: string };
  const id = o.id ?? o.jobId;
  if (!id) throw new OcError("INVALID_REQUEST", "a job id is required (id)");
  return id;
};

export const cronMethods: Record<string, OcMethod> = {
  "cron.status": {
    scope: "operator.read",
    params: z.optional(z.looseObject({})),
    run: (_p, ctx) => {
      const jobs = ctx.brain.cron.list();
      const next = jobs.map((j) => j.next).filter((n): n is number => n !== null);
      return {
        enabled: true,
        triggersEnabled: true,
        storage: "sqlite",
        storePath: ctx.paths.storePath,
        jobs: jobs.length,
        nextWakeAtMs: next.length ? Math.min(...next) : null,
      };
    },
  },
  "cron.list": {
    scope: "operator.read",
    params: z.optional(
      z.looseObject({
        includeDisabled: z.optional(z.boolean()),
        limit: z.optional(z.int().check(z.minimum(1))),
        offset: z.optional(z.int().check(z.minimum(0))),
      }),
    ),
    run: (p, ctx) => {
      const o = (p ?? {}) as { includeDisabled?: boolean; limit?: number; offset?: number };
      const all = ctx.brain.cron.list().filter((j) => o.includeDisabled || !j.paused);
      const offset = o.offset ?? 0;
      const limit = Math.min(o.limit ?? 200, 200);
      const page = all.slice(offset, offset + limit);
      const hasMore = offset + page.length < all.length;
      // The revision a paging client checks did not change between its pages.
      const snapshotRevision = crypto
        .createHash("sha256")
        .update(all.map((j) => `${j.id}:${j.updatedAt}:${j.paused}`).join("\n"))
        .digest("base64url");
      return { jobs: page.map(openclawJob), total: all.length, offset, limit, hasMore, nextOffset: hasMore ? offset + page.length : null, snapshotRevision };
    },
  },
  "cron.add": {
    scope: "operator.admin",
    params: z.looseObject({
      name: z.string().check(z.minLength(1), z.maxLength(64)),
      schedule: z.looseObject({ kind: z.string() }),
      payload: z.looseObject({ kind: z.string() }),
    }),
    run: (p, ctx, caller) => {
      const { input, note } = toInput(ctx, p as OcCronAdd);
      const job = refusing(() => ctx.brain.cron.add(input));
      if ((p as OcCronAdd).enabled === false) refusing(() => ctx.brain.cron.setPaused(job.id, true));
      ctx.logger.info({ job: job.name, id: job.id, schedule: job.scheduleText, by: caller.clientId }, "cron job added (openclaw)");
      const view = openclawJob({ ...job, paused: (p as OcCronAdd).enabled === false });
      const d = view.delivery as { mode: string; channel?: string; to?: string };
      return {
        ...view,
        deliveryPreview: {
          label: d.mode === "announce" ? `announce -> ${d.channel}` : "none",
          detail: note ?? (d.mode === "announce" ? `${d.channel} -> ${d.to}` : "no delivery"),
        },
      };
    },
  },
  "cron.remove": {
    scope: "operator.admin",
    params: idParams,
    run: (p, ctx) => {
      refusing(() => ctx.brain.cron.remove(idOf(p)));
      return { ok: true, removed: true };
    },
  },
  "cron.update": {
    scope: "operator.admin",
    params: z.looseObject({ id: z.optional(jobId), jobId: z.optional(jobId), patch: z.optional(z.looseObject({ enabled: z.optional(z.boolean()) })) }),
    run: (p, ctx) => {
      const id = idOf(p);
      const patch = (p as { patch?: Record<string, unknown> }).patch ?? {};
      const other = Object.keys(patch).filter((k) => k !== "enabled");
      if (other.length)
        throw new OcError(
          "INVALID_REQUEST",
          `onebrain changes only "enabled" of a job (asked: ${other.join(", ")}); remove the job and add it again to change more`,
        );
      if (patch.enabled === true) refusing(() => ctx.brain.cron.setPaused(id, false));
      if (patch.enabled === false) refusing(() => ctx.brain.cron.setPaused(id, true));
      const job = ctx.brain.cron.list().find((j) => j.id === id || j.name === id);
      return job ? openclawJob(job) : { ok: true };
    },
  },
  "cron.run": {
    scope: "operator.admin",
    params: idParams,
    run: (p, ctx) => {
      const r = refusing(() => ctx.brain.cron.runNow(idOf(p)));
      return { ok: true, ran: true, jobId: r.job.id, runId: String(r.occurrenceId) };
    },
  },
  "cron.runs": {
    scope: "operator.read",
    params: z.looseObject({ id: z.optional(jobId), jobId: z.optional(jobId), limit: z.optional(z.int().check(z.minimum(1), z.maximum(1000))) }),
    run: (p, ctx) => {
      const runs = refusing(() => ctx.brain.cron.runs(idOf(p), (p as { limit?: number }).limit ?? 50));
      return {
        entries: runs.map((r) => ({
          jobId: r.jobId,
          runId: String(r.id),
          ts: r.firedAt ?? r.scheduledFor,
          scheduledForMs: r.scheduledFor,
          status: r.state === "running" ? "running" : runStatus(r.state),
          ...(r.endedAt && r.firedAt ? { durationMs: r.endedAt - r.firedAt } : {}),
          ...(r.note ? { summary: r.note } : {}),
        })),
      };
    },
  },
};
