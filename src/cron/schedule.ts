/**
 * A job's schedule: `at` (one time), `every` (an interval from an anchor) or `cron` (an
 * expression in a time zone, read by croner: 5 fields, or 6 with seconds). Parsed and checked
 * once, when the job is created, with errors that name what is wrong; then only `nextAfter`.
 */
import { Cron } from "croner";
import { clip } from "../shared/text.ts";

export type Schedule = { kind: "at"; at: number } | { kind: "every"; everyMs: number; anchor: number } | { kind: "cron"; expr: string; tz: string };

/** The shortest interval of an `every` job: below it a job is a loop, not a schedule. */
export const MIN_EVERY_MS = 1000;

/** The longest interval of an `every` job, and how far ahead an `at` may be: beyond them a date is not a schedule (and soon not a Date). */
const MAX_EVERY_MS = 366 * 86_400_000;
const MAX_AHEAD_MS = 10 * 366 * 86_400_000;

/** A schedule that cannot be used, with the sentence that says why. */
export class ScheduleError extends Error {}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90s", "5m", "1h30m", "2d", "500ms" to milliseconds; null when it is not a duration. */
export function parseDuration(text: string): number | null {
  const t = text.trim();
  if (!/^(\d+(?:ms|s|m|h|d))+$/.test(t)) return null;
  let ms = 0;
  for (const [, n, unit] of t.matchAll(/(\d+)(ms|s|m|h|d)/g)) ms += Number(n) * UNITS[unit!]!;
  return Number.isSafeInteger(ms) ? ms : null;
}

/** Whether a time zone name is one this Node knows (IANA names, "UTC"). */
export function knownTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The schedule of `--at`, `--every` or `--cron` (exactly one), checked; `now` anchors an interval. */
export function parseSchedule(input: { at?: string; every?: string; cron?: string; tz?: string }, now: number): Schedule {
  const given = (["at", "every", "cron"] as const).filter((k) => input[k] !== undefined);
  if (given.length !== 1)
    throw new ScheduleError(
      `A job needs exactly one schedule: at (a time), every (an interval) or cron (an expression); got ${given.length ? given.join(" and ") : "none"}`,
    );
  if (input.tz !== undefined && input.cron === undefined) throw new ScheduleError("A time zone applies to a cron expression only");
  if (input.at !== undefined) {
    const relative = parseDuration(input.at.replace(/^\+/, ""));
    const at = input.at.startsWith("+") && relative !== null ? now + relative : Date.parse(input.at);
    if (!Number.isFinite(at))
      throw new ScheduleError(
        `Cannot read ${JSON.stringify(clip(input.at, 40))} as a time: expected an ISO 8601 time with its offset (2026-12-24T18:00:00+01:00) or +DURATION (+20m)`,
      );
    if (!/(?:Z|[+-]\d\d:?\d\d)$/i.test(input.at) && !input.at.startsWith("+"))
      throw new ScheduleError(`The time ${JSON.stringify(clip(input.at, 40))} has no offset: add Z or +HH:MM, so it means the same on every host`);
    if (at > now + MAX_AHEAD_MS)
      throw new ScheduleError(`The time ${JSON.stringify(clip(input.at, 40))} is more than 10 years ahead: expected a time before then`);
    return { kind: "at", at };
  }
  if (input.every !== undefined) {
    const everyMs = parseDuration(input.every);
    if (everyMs === null)
      throw new ScheduleError(`Cannot read ${JSON.stringify(clip(input.every, 40))} as an interval: expected a duration such as 30s, 5m, 1h or 1d`);
    if (everyMs < MIN_EVERY_MS) throw new ScheduleError(`The interval ${clip(input.every, 40)} is shorter than ${MIN_EVERY_MS / 1000} s`);
    if (everyMs > MAX_EVERY_MS)
      throw new ScheduleError(`The interval ${clip(input.every, 40)} is longer than 366 days: expected at most 366d (or a cron expression)`);
    return { kind: "every", everyMs, anchor: now };
  }
  const expr = input.cron!.trim().replace(/\s+/g, " ");
  const tz = input.tz ?? "UTC";
  if (!knownTimeZone(tz)) throw new ScheduleError(`Unknown time zone ${JSON.stringify(tz)}: expected an IANA name such as Europe/Berlin or America/New_York`);
  const fields = expr.split(" ").length;
  if (fields !== 5 && fields !== 6)
    throw new ScheduleError(
      `The cron expression ${JSON.stringify(expr)} has ${fields} fields: expected 5 (minute hour day month weekday) or 6 (with seconds first)`,
    );
  let next: Date | null;
  try {
    next = new Cron(expr, { timezone: tz, paused: true, mode: "5-or-6-parts" }).nextRun(new Date(now));
  } catch (err) {
    throw new ScheduleError(`Cannot read the cron expression ${JSON.stringify(expr)}: ${(err as Error).message.replace(/^CronPattern: /, "")}`);
  }
  if (!next) throw new ScheduleError(`The cron expression ${JSON.stringify(expr)} never fires`);
  return { kind: "cron", expr, tz };
}

/** The first occurrence strictly after `t`, or null when there is none (a one-shot already past). */
export function nextAfter(s: Schedule, t: number): number | null {
  switch (s.kind) {
    case "at":
      return s.at > t ? s.at : null;
    case "every": {
      if (t < s.anchor + s.everyMs) return s.anchor + s.everyMs;
      const k = Math.floor((t - s.anchor) / s.everyMs) + 1;
      return s.anchor + k * s.everyMs;
    }
    case "cron": {
      const next = new Cron(s.expr, { timezone: s.tz, paused: true, mode: "5-or-6-parts" }).nextRun(new Date(t));
      return next ? next.getTime() : null;
    }
  }
}

/** The schedule in words, for lists: "every 5m", "cron 0 9 * * 1-5 (Europe/Berlin)", "at 2026-12-24T17:00:00.000Z". */
export function describeSchedule(s: Schedule): string {
  if (s.kind === "at") return `at ${new Date(s.at).toISOString()}`;
  if (s.kind === "every") return `every ${formatInterval(s.everyMs)}`;
  return `cron ${s.expr} (${s.tz})`;
}

/** Milliseconds in the largest unit that divides them: 3600000 -> "1h". */
export function formatInterval(ms: number): string {
  for (const [unit, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
  ] as const)
    if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}
