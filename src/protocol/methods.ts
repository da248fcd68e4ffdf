/** The methods and events of protocol v1, with their parameter schemas. */
import * as z from "zod/mini";

export const methodParams = {
  health: z.optional(z.object({})),
  status: z.optional(z.object({})),
  "logs.tail": z.optional(
    z.object({
      cursor: z.optional(z.int().check(z.minimum(0))),
      limit: z.optional(z.int().check(z.minimum(1), z.maximum(5000))),
      maxBytes: z.optional(z.int().check(z.minimum(1), z.maximum(4 * 1024 * 1024))),
    }),
  ),
} as const;

export type MethodName = keyof typeof methodParams;

export const METHODS = Object.keys(methodParams) as MethodName[];

export const EVENTS = ["connect.challenge", "tick", "shutdown"] as const;

export type EventName = (typeof EVENTS)[number];
