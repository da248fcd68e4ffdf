/**
 * The one config schema. Every key of onebrain.json is declared here with its default;
 * unknown keys are errors (with the nearest valid key suggested by load.ts).
 * Leaf messages state what is expected; load.ts adds the key path and what was found.
 */
import { z } from "zod";

const port = () =>
  z
    .number({ error: "expected an integer 1-65535" })
    .int({ error: "expected an integer 1-65535" })
    .min(1, { error: "expected an integer 1-65535" })
    .max(65535, { error: "expected an integer 1-65535" });

const int = (min: number, max: number) => {
  const expected = `expected an integer ${min}-${max}`;
  return z.number({ error: expected }).int({ error: expected }).min(min, { error: expected }).max(max, { error: expected });
};

const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `expected one of ${values.join(", ")}` });

const text = () => z.string({ error: "expected a string" }).min(1, { error: "expected a non-empty string" });
const textList = () => z.array(text(), { error: "expected a list of strings" });

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const authSchema = z.strictObject({
  /** none: no auth (loopback only); token: Bearer token; password: shared password. Default: inferred from what is set. */
  mode: oneOf(["none", "token", "password"]).optional(),
  token: text().optional(),
  password: text().optional(),
});

const wsSchema = z.strictObject({
  /** How often each client is pinged; a client that misses one pong is terminated. */
  pingIntervalMs: int(100, 600_000).default(30_000),
  /** How long a new socket may take to send a valid `connect`. */
  handshakeTimeoutMs: int(100, 120_000).default(10_000),
  /** Largest frame accepted after the handshake. */
  maxPayload: int(1024, 64 * 1024 * 1024).default(1024 * 1024),
  /** Largest frame accepted before the handshake. */
  preAuthMaxPayload: int(256, 1024 * 1024).default(64 * 1024),
  /** A client whose unsent bytes pass this is closed as a slow consumer. */
  maxBufferedBytes: int(1024, 1024 * 1024 * 1024).default(8 * 1024 * 1024),
});

const gatewaySchema = z.strictObject({
  bind: oneOf(["loopback", "lan", "tailnet", "custom"]).default("loopback"),
  customBindHost: text().optional(),
  port: port().optional(),
  auth: authSchema.prefault({}),
  /** Proxies (IPs or CIDRs) whose X-Forwarded-For is believed. */
  trustedProxies: textList().default([]),
  /** Extra browser origins allowed to open the WebSocket (the gateway's own loopback origins always are). */
  allowedOrigins: textList().default([]),
  ws: wsSchema.prefault({}),
  /** How long a stop waits for clients and work to drain before closing them. */
  shutdownGraceMs: int(0, 300_000).default(5_000),
  /** Event-loop delay (p99 over the last window) above which /readyz reports not ready. */
  maxEventLoopLagMs: int(10, 60_000).default(1_000),
  /** Failed auth attempts allowed per remote address per minute before it is rate limited. */
  authFailuresPerMinute: int(1, 10_000).default(10),
});

const sessionSchema = z.strictObject({
  historyLimit: int(0, 10_000).default(50),
  reset: z
    .strictObject({
      mode: oneOf(["daily", "idle"]).default("daily"),
      atHour: int(0, 23).default(4),
      idleMinutes: int(1, 525_600).default(120),
    })
    .prefault({}),
});

const loggingSchema = z.strictObject({
  level: oneOf(LOG_LEVELS).default("info"),
  consoleLevel: oneOf(LOG_LEVELS).default("info"),
  consoleStyle: oneOf(["pretty", "compact", "json"]).default("pretty"),
  /** Log file; default `<stateDir>/logs/gateway.log`. */
  file: text().optional(),
  maxFileBytes: int(64 * 1024, 1024 * 1024 * 1024).default(10 * 1024 * 1024),
  maxFiles: int(1, 100).default(5),
});

const browserProfileSchema = z.strictObject({
  cdpPort: port().optional(),
  color: text().optional(),
});

export const configSchema = z.strictObject({
  $schema: z.string().optional(),
  gateway: gatewaySchema.prefault({}),
  session: sessionSchema.prefault({}),
  reply: z.strictObject({ timeoutSeconds: int(1, 3600).default(120) }).prefault({}),
  logging: loggingSchema.prefault({}),
  agents: z
    .strictObject({
      defaults: z.strictObject({ workspace: text().optional() }).prefault({}),
    })
    .prefault({}),
  browser: z
    .strictObject({
      controlPort: port().optional(),
      profiles: z.record(z.string(), browserProfileSchema, { error: "expected an object of browser profiles" }).default({}),
    })
    .prefault({}),
  canvasHost: z.strictObject({ port: port().optional() }).prefault({}),
});

/** The parsed, defaulted config. Always deep-frozen once loaded. */
export type Config = z.output<typeof configSchema>;
