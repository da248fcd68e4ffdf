/** OpenClaw's `logs.tail` (`openclaw logs [--follow]` polls it with the cursor it was given). */
import * as z from "zod/mini";
import { MAX_BYTES, tailLog } from "../../../logging/tail.ts";
import type { OcMethod } from "../types.ts";

const LEVELS: Record<number, string> = { 10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal" };
const SKIP = new Set(["level", "time", "msg", "pid", "hostname", "instance"]);

/**
 * A log line in the JSON OpenClaw's CLI prints (time, level by name, subsystem, message): our
 * pino record's message with its fields as `key=value` after it. A line that is not ours stays.
 */
export function openclawLogLine(raw: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return raw;
  }
  if (rec === null || typeof rec !== "object" || typeof rec.level !== "number") return raw;
  const fields = Object.entries(rec)
    .filter(([k]) => !SKIP.has(k))
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
  const message = [typeof rec.msg === "string" ? rec.msg : "", ...fields].filter(Boolean).join(" ");
  return JSON.stringify({
    time: rec.time,
    level: LEVELS[rec.level] ?? String(rec.level),
    subsystem: typeof rec.component === "string" ? rec.component : "onebrain",
    message,
  });
}

export const logMethods: Record<string, OcMethod> = {
  "logs.tail": {
    scope: "operator.read",
    params: z.optional(
      z.looseObject({
        cursor: z.optional(z.int().check(z.minimum(0))),
        limit: z.optional(z.int().check(z.minimum(1), z.maximum(10_000))),
        maxBytes: z.optional(z.int().check(z.minimum(1), z.maximum(1_000_000_000))),
      }),
    ),
    run: async (p, ctx) => {
      const o = (p ?? {}) as { cursor?: number; limit?: number; maxBytes?: number };
      if (!ctx.logFile) return { file: null, cursor: 0, size: 0, lines: [], truncated: false, reset: false };
      const page = await tailLog({
        file: ctx.logFile,
        ...(o.cursor !== undefined ? { cursor: o.cursor } : {}),
        ...(o.limit !== undefined ? { limit: Math.min(o.limit, 5000) } : {}),
        ...(o.maxBytes !== undefined ? { maxBytes: Math.min(o.maxBytes, MAX_BYTES) } : {}),
      });
      return { ...page, lines: page.lines.map(openclawLogLine) };
    },
  },
};
