/**
 * Wire protocol v1: frame shapes as data. Shapes follow the OpenClaw gateway protocol
 * (req/res/event frames, connect.challenge -> connect -> hello-ok), so clients written for that
 * ecosystem can be supported. Documented in docs/protocol.md; changes are additive, breaking ones
 * bump PROTOCOL_VERSION.
 */
import { z } from "zod";

export const PROTOCOL_VERSION = 1;
export const MIN_PROTOCOL_VERSION = 1;

const nonEmpty = z.string().min(1);

export const requestFrameSchema = z.strictObject({
  type: z.literal("req"),
  id: nonEmpty.max(128),
  method: nonEmpty.max(128),
  params: z.unknown().optional(),
});

export const errorShapeSchema = z.strictObject({
  code: nonEmpty,
  message: nonEmpty,
  details: z.unknown().optional(),
  retryable: z.boolean().optional(),
  retryAfterMs: z.number().int().min(0).optional(),
});

export const responseFrameSchema = z.strictObject({
  type: z.literal("res"),
  id: nonEmpty,
  ok: z.boolean(),
  payload: z.unknown().optional(),
  error: errorShapeSchema.optional(),
});

export const eventFrameSchema = z.strictObject({
  type: z.literal("event"),
  event: nonEmpty,
  payload: z.unknown().optional(),
  seq: z.number().int().min(0).optional(),
});

export const connectParamsSchema = z.object({
  minProtocol: z.number().int().min(1),
  maxProtocol: z.number().int().min(1),
  client: z.object({
    id: nonEmpty.max(128),
    displayName: nonEmpty.max(256).optional(),
    version: nonEmpty.max(64),
    platform: nonEmpty.max(64),
    mode: nonEmpty.max(64),
    instanceId: nonEmpty.max(128).optional(),
  }),
  auth: z
    .object({
      token: z.string().max(4096).optional(),
      password: z.string().max(4096).optional(),
    })
    .optional(),
  locale: z.string().max(64).optional(),
  userAgent: z.string().max(512).optional(),
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
