/**
 * `cron` (group automation): the agent schedules work for itself, e.g. "every weekday at 9,
 * summarise my inbox". A job it adds answers in the conversation it was asked from unless told
 * otherwise; each occurrence runs once in the job's own session, or is listed as missed
 * (docs/cron.md). Adding, removing and running are journaled before they act: after a crash they
 * are never repeated.
 */
import { defineTool, fail, ok, type ToolOutcome } from "./define.ts";
import type { CronJobSummary, CronPort, Tool, ToolContext } from "./types.ts";

const ACTIONS = ["list", "add", "remove", "run_now", "runs"] as const;

interface CronInput {
  action: (typeof ACTIONS)[number];
  job?: string;
  name?: string;
  message?: string;
  every?: string;
  cron?: string;
  tz?: string;
  at?: string;
  deliver?: "here" | "none";
  missed?: "skip" | "latest" | "all";
}

const when = (t: number | null) => (t === null ? "none" : new Date(t).toISOString());

function line(j: CronJobSummary): string {
  const to = j.delivery.mode === "announce" ? `announces on ${j.delivery.channel} to ${j.delivery.target}` : "no delivery";
  const last = j.last ? `, last ${j.last.state} (${when(j.last.scheduledFor)})` : "";
  return `- ${j.name} (${j.id}): ${j.scheduleText}${j.paused ? ", PAUSED" : ""}, next ${when(j.next)}, ${to}${last}: "${j.message.slice(0, 120)}"`;
}

/** The port's refusal as the sentence the model reads. */
function attempt(fn: () => ToolOutcome): ToolOutcome {
  try {
    return fn();
  } catch (err) {
    return fail(`${(err as Error).message}.`);
  }
}

async function add(cron: CronPort, input: CronInput, ctx: ToolContext): Promise<ToolOutcome> {
  if (!input.name || !input.message) return fail('"add" needs "name" and "message", and one of "every", "cron" or "at".');
  const here = ctx.origin;
  const deliver = input.deliver === "none" ? undefined : { channel: here.channel, account: here.account, target: here.peer };
  await ctx.beginSideEffect();
  return attempt(() => {
    const j = cron.add({
      // The job is the calling agent's: its occurrences run with its workspace, tools and memory.
      agent: here.agentId,
      name: input.name!,
      message: input.message!,
      ...(input.every ? { every: input.every } : {}),
      ...(input.cron ? { cron: input.cron } : {}),
      ...(input.tz ? { tz: input.tz } : {}),
      ...(input.at ? { at: input.at } : {}),
      ...(deliver ? { deliver } : {}),
      ...(input.missed ? { missed: input.missed } : {}),
    });
    return ok(`Added the job:\n${line(j)}`);
  });
}

/** The cron tool. */
export function cronTool(): Tool {
  return defineTool<CronInput>({
    name: "cron",
    group: "automation",
    sideEffects: true,
    concurrent: false,
    description:
      "Schedule work for yourself: each occurrence asks you `message` in the job's own session, and your answer is posted to the conversation you are in now " +
      '(deliver "here", the default) or nowhere ("none"). Actions: "list"; "add" (name, message, and one of every: "30m"/"1d", cron: "0 9 * * 1-5" with tz: "Europe/Berlin", ' +
      'or at: an ISO time with offset or "+20m"; missed: what to do with occurrences passed while the gateway was down: "latest" (default), "skip" or "all"); ' +
      '"remove" (job: name or id); "run_now" (job); "runs" (job: its recent occurrences and outcomes).',
    inputSchema: {
      type: "object",
      properties: {
        action: { type: "string", enum: ACTIONS, description: "What to do." },
        job: { type: "string", description: "For remove, run_now, runs: the job's name or id." },
        name: { type: "string", description: 'For add: a short name, a-z 0-9 . _ - (e.g. "morning-brief").' },
        message: { type: "string", description: "For add: what you will be asked at each occurrence." },
        every: { type: "string", description: 'For add: an interval such as "15m", "1h", "1d".' },
        cron: { type: "string", description: 'For add: a cron expression, 5 fields ("0 9 * * 1-5") or 6 with seconds first.' },
        tz: { type: "string", description: "For add with cron: an IANA time zone (default UTC)." },
        at: { type: "string", description: 'For add: one time, ISO 8601 with offset ("2026-12-24T18:00:00+01:00") or "+20m".' },
        deliver: { type: "string", enum: ["here", "none"], description: 'For add: "here" (this conversation, default) or "none".' },
        missed: { type: "string", enum: ["skip", "latest", "all"], description: "For add: occurrences passed while down." },
      },
      required: ["action"],
      additionalProperties: false,
    },
    async run(input, ctx) {
      const cron = ctx.cron;
      if (!cron) return fail("Cron jobs are not available in this gateway; tell the operator.");
      switch (input.action) {
        case "list": {
          const jobs = cron.list();
          return ok(jobs.length ? `${jobs.length} job(s):\n${jobs.map(line).join("\n")}` : "No cron jobs yet.");
        }
        case "add":
          return add(cron, input, ctx);
        case "remove": {
          if (!input.job) return fail('"remove" needs "job": its name or id.');
          await ctx.beginSideEffect();
          return attempt(() => ok(`Removed job ${cron.remove(input.job!).removed}; its history stays.`));
        }
        case "run_now": {
          if (!input.job) return fail('"run_now" needs "job": its name or id.');
          await ctx.beginSideEffect();
          return attempt(() => ok(`Fired ${input.job} now (occurrence #${cron.runNow(input.job!).occurrenceId}); its answer follows as usual.`));
        }
        case "runs": {
          if (!input.job) return fail('"runs" needs "job": its name or id.');
          return attempt(() => {
            const runs = cron.runs(input.job!, 20);
            const lines = runs.map(
              (r) => `- ${when(r.scheduledFor)}: ${r.state}${r.count > 1 ? ` (${r.count} occurrences)` : ""}${r.note ? `: ${r.note}` : ""}`,
            );
            return ok(runs.length ? lines.join("\n") : "No occurrence yet.");
          });
        }
      }
    },
  });
}
