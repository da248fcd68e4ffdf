/** The methods and events of protocol v1, with their parameter schemas. */
import * as z from "zod/mini";
import { APPROVAL_DECISIONS, APPROVAL_STATES } from "./approvals.ts";
import { keyString } from "./keys.ts";

/** The largest `chat.send` text, in UTF-8 bytes (docs/protocol.md). */
export const CHAT_TEXT_MAX_BYTES = 64 * 1024;

export const methodParams = {
  health: z.optional(z.object({})),
  status: z.optional(z.object({})),
  "logs.tail": z.optional(
    z.object({
      cursor: z.optional(z.int().check(z.minimum(0))),
      limit: z.optional(z.int().check(z.minimum(1), z.maximum(5000))),
      maxBytes: z.optional(z.int().check(z.minimum(1), z.maximum(4 * 1024 * 1024))),
      follow: z.optional(z.boolean()),
    }),
  ),
  "logs.unfollow": z.optional(z.object({})),
  "chat.send": z.object({
    // Bytes, not UTF-16 units: 64 KiB of "€" is 21,845 characters.
    text: z.string().check(
      z.minLength(1),
      z.refine((s) => Buffer.byteLength(s, "utf8") <= CHAT_TEXT_MAX_BYTES, `expected at most ${CHAT_TEXT_MAX_BYTES} bytes of UTF-8`),
    ),
    idempotencyKey: keyString(128),
    sessionKey: z.optional(keyString(512)),
  }),
  "chat.history": z.object({
    sessionKey: z.optional(keyString(512)),
    limit: z.optional(z.int().check(z.minimum(1), z.maximum(1000))),
    beforeId: z.optional(z.int().check(z.minimum(1))),
  }),
  "chat.abort": z.object({
    runId: z.optional(z.int().check(z.minimum(1))),
    sessionKey: z.optional(keyString(512)),
  }),
  "sessions.list": z.optional(z.object({ limit: z.optional(z.int().check(z.minimum(1), z.maximum(1000))) })),
  "sessions.reset": z.object({ sessionKey: keyString(512) }),
  "channels.status": z.optional(z.object({ probe: z.optional(z.boolean()) })),
  "pairing.list": z.optional(z.object({ channel: z.optional(keyString(64)) })),
  "pairing.approve": z.object({
    channel: keyString(64),
    code: keyString(64),
  }),
  "outbox.list": z.optional(
    z.object({
      state: z.optional(z.enum(["pending", "delivered", "failed"])),
      limit: z.optional(z.int().check(z.minimum(1), z.maximum(1000))),
    }),
  ),
  "outbox.retry": z.object({ id: z.int().check(z.minimum(1)) }),
  "approvals.list": z.optional(
    z.object({
      state: z.optional(z.enum(APPROVAL_STATES)),
      limit: z.optional(z.int().check(z.minimum(1), z.maximum(1000))),
    }),
  ),
  "approvals.resolve": z.object({
    // An id as a person types it: case, spaces and dashes do not matter.
    id: keyString(32),
    decision: z.enum(APPROVAL_DECISIONS),
    reason: z.optional(z.string().check(z.maxLength(500))),
  }),
  "canvas.info": z.optional(z.object({})),
  // Cron jobs (docs/cron.md); the job's own checks (schedule, agent, session, target) are the service's.
  "cron.add": z.object({
    name: keyString(64),
    at: z.optional(z.string().check(z.maxLength(64))),
    every: z.optional(z.string().check(z.maxLength(32))),
    cron: z.optional(z.string().check(z.maxLength(128))),
    tz: z.optional(z.string().check(z.maxLength(64))),
    message: z.string().check(z.minLength(1), z.maxLength(16 * 1024)),
    agent: z.optional(keyString(64)),
    session: z.optional(keyString(512)),
    deliver: z.optional(z.object({ channel: keyString(64), account: z.optional(keyString(128)), target: keyString(256) })),
    missed: z.optional(z.enum(["skip", "latest", "all"])),
    catchupWindow: z.optional(z.string().check(z.maxLength(32))),
    timeout: z.optional(z.string().check(z.maxLength(32))),
    retryUnknown: z.optional(z.boolean()),
  }),
  "cron.list": z.optional(z.object({})),
  "cron.show": z.object({ job: keyString(64) }),
  "cron.runs": z.object({ job: keyString(64), limit: z.optional(z.int().check(z.minimum(1), z.maximum(1000))) }),
  "cron.runNow": z.object({ job: keyString(64) }),
  "cron.pause": z.object({ job: keyString(64) }),
  "cron.resume": z.object({ job: keyString(64) }),
  "cron.remove": z.object({ job: keyString(64) }),
  "hooks.status": z.optional(z.object({ recent: z.optional(z.int().check(z.minimum(1), z.maximum(100))) })),
  "alerts.status": z.optional(z.object({ recent: z.optional(z.int().check(z.minimum(1), z.maximum(100))) })),
  "alerts.test": z.optional(z.object({ waitMs: z.optional(z.int().check(z.minimum(0), z.maximum(60_000))) })),
  "whatsapp.link.start": z.optional(
    z.object({
      phone: z.optional(z.string().check(z.maxLength(32))),
      timeoutSeconds: z.optional(z.int().check(z.minimum(1), z.maximum(900))),
    }),
  ),
  "whatsapp.link.status": z.optional(z.object({})),
  "whatsapp.link.cancel": z.optional(z.object({})),
  "whatsapp.logout": z.optional(z.object({})),
  // Devices (docs/devices.md): an id is a whole request or device id, or a unique prefix of 6+ characters.
  "devices.list": z.optional(z.object({})),
  "devices.approve": z.object({ id: keyString(128) }),
  "devices.reject": z.object({ id: keyString(128) }),
  "devices.revoke": z.object({ id: keyString(128) }),
} as const;

export type MethodName = keyof typeof methodParams;

export const METHODS = Object.keys(methodParams) as MethodName[];

export const EVENTS = ["connect.challenge", "tick", "shutdown", "chat", "log", "approval", "device"] as const;

export type EventName = (typeof EVENTS)[number];
