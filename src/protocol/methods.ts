/** The methods and events of protocol v1, with their parameter schemas. */
import { z } from "zod";

export const methodParams = {
  health: z.object({}).optional(),
  status: z.object({}).optional(),
  "logs.tail": z
    .object({
      cursor: z.number().int().min(0).optional(),
      limit: z.number().int().min(1).max(5000).optional(),
      maxBytes: z.number().int().min(1).max(4 * 1024 * 1024).optional(),
    })
    .optional(),
} as const;

export type MethodName = keyof typeof methodParams;

export const METHODS = Object.keys(methodParams) as MethodName[];

export const EVENTS = ["connect.challenge", "tick", "shutdown"] as const;

export type EventName = (typeof EVENTS)[number];
