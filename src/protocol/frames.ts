/**
 * Wire protocol v1: frame shapes as data. Shapes follow the OpenClaw gateway protocol
 * (req/res/event frames, connect.challenge -> connect -> hello-ok), so clients written for that
 * ecosystem can be supported. Documented in docs/protocol.md; changes are additive, breaking ones
 * bump PROTOCOL_VERSION.
 */
import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";
import { keyString } from "./keys.ts";

// zod/mini ships no messages by default ("Invalid input"); English ones make protocol errors useful.
z.config(en());

export const PROTOCOL_VERSION = 1;
export const MIN_PROTOCOL_VERSION = 1;

const nonEmpty = (max = 4096) => z.string().check(z.minLength(1), z.maxLength(max));
const uint = () => z.int().check(z.minimum(0));

export const requestFrameSchema = z.strictObject({
  type: z.literal("req"),
  id: nonEmpty(128),
  method: nonEmpty(128),
  params: z.optional(z.unknown()),
  // OpenClaw's clients may send these on any request (a W3C trace context, a profile precondition); accepted, not acted on.
  traceparent: z.optional(z.string().check(z.maxLength(128))),
  expectedProfileId: z.optional(nonEmpty(128)),
});

export const errorShapeSchema = z.strictObject({
  code: nonEmpty(),
  message: nonEmpty(),
  details: z.optional(z.unknown()),
  retryable: z.optional(z.boolean()),
  retryAfterMs: z.optional(uint()),
});

export const responseFrameSchema = z.strictObject({
  type: z.literal("res"),
  id: nonEmpty(128),
  ok: z.boolean(),
  payload: z.optional(z.unknown()),
  error: z.optional(errorShapeSchema),
});

export const eventFrameSchema = z.strictObject({
  type: z.literal("event"),
  event: nonEmpty(128),
  payload: z.optional(z.unknown()),
  seq: z.optional(uint()),
});

export const connectParamsSchema = z.object({
  minProtocol: z.int().check(z.minimum(1)),
  maxProtocol: z.int().check(z.minimum(1)),
  client: z.object({
    id: keyString(128),
    displayName: z.optional(nonEmpty(256)),
    version: nonEmpty(64),
    platform: nonEmpty(64),
    mode: nonEmpty(64),
    instanceId: z.optional(keyString(128)),
  }),
  auth: z.optional(
    z.object({
      token: z.optional(z.string().check(z.maxLength(4096))),
      password: z.optional(z.string().check(z.maxLength(4096))),
    }),
  ),
  locale: z.optional(z.string().check(z.maxLength(64))),
  userAgent: z.optional(z.string().check(z.maxLength(512))),
});

export type RequestFrame = z.output<typeof requestFrameSchema>;
export type ResponseFrame = z.output<typeof responseFrameSchema>;
export type EventFrame = z.output<typeof eventFrameSchema>;
export type ErrorShape = z.output<typeof errorShapeSchema>;
export type ConnectParams = z.output<typeof connectParamsSchema>;

/** The payload of the `hello-ok` response to `connect`. */
export interface HelloOk {
  type: "hello-ok";
  protocol: number;
  server: { version: string; connId: string; instanceId: string; host: string };
  features: { methods: string[]; events: string[] };
  snapshot: { uptimeMs: number; stateDir: string; profile: string | null };
  policy: { maxPayload: number; maxBufferedBytes: number; tickIntervalMs: number };
}

/** Payload of `connect.challenge`, the first frame the server sends. */
export interface ConnectChallenge {
  nonce: string;
  ts: number;
}

/** Payload of `tick`. */
export interface TickEvent {
  ts: number;
}

/** Payload of `shutdown`, sent to every client before the gateway closes. */
export interface ShutdownEvent {
  reason: string;
  restartExpectedMs?: number;
}
