/**
 * The `connect` params of OpenClaw's protocol (OpenClaw 2026.9: ConnectParamsSchema), closed at
 * every level as OpenClaw's are: an unknown property is refused, so a client that works here
 * works against OpenClaw too. Client ids and modes are OpenClaw's closed lists.
 */
import * as z from "zod/mini";
import { keyString } from "../keys.ts";

export const OPENCLAW_CLIENT_IDS = [
  "webchat-ui",
  "openclaw-control-ui",
  "openclaw-browser-copilot",
  "openclaw-tui",
  "webchat",
  "cli",
  "gateway-client",
  "openclaw-macos",
  "openclaw-linux",
  "openclaw-ios",
  "openclaw-watchos",
  "openclaw-android",
  "node-host",
  "openclaw-worker",
  "test",
  "fingerprint",
  "openclaw-probe",
] as const;

export const OPENCLAW_CLIENT_MODES = ["webchat", "cli", "ui", "backend", "node", "worker", "probe", "test"] as const;

/** Clients that are a browser UI: they must bring a device identity (OpenClaw: CONTROL_UI_DEVICE_IDENTITY_REQUIRED). */
export const UI_CLIENT_IDS: readonly string[] = ["openclaw-control-ui", "openclaw-browser-copilot", "openclaw-tui"];

const text = (max = 4096) => z.string().check(z.minLength(1), z.maxLength(max));
const texts = (max = 256) => z.array(text()).check(z.maxLength(max));

export const openclawConnectSchema = z.strictObject({
  minProtocol: z.int().check(z.minimum(1)),
  maxProtocol: z.int().check(z.minimum(1)),
  client: z.strictObject({
    id: z.enum(OPENCLAW_CLIENT_IDS),
    displayName: z.optional(text(256)),
    version: text(128),
    buildId: z.optional(text(96)),
    platform: text(128),
    deviceFamily: z.optional(text(128)),
    modelIdentifier: z.optional(text(128)),
    timeZone: z.optional(text(64)),
    mode: z.enum(OPENCLAW_CLIENT_MODES),
    instanceId: z.optional(keyString(128)),
  }),
  caps: z.optional(texts()),
  commands: z.optional(texts(1024)),
  computerUse: z.optional(z.unknown()),
  workerRuns: z.optional(z.unknown()),
  permissions: z.optional(z.record(text(256), z.boolean())),
  pathEnv: z.optional(z.string().check(z.maxLength(65536))),
  role: z.optional(text(64)),
  scopes: z.optional(texts(64)),
  modelCatalog: z.optional(z.unknown()),
  device: z.optional(
    z.strictObject({
      id: text(256),
      publicKey: text(4096),
      signature: text(1024),
      signedAt: z.int().check(z.minimum(0)),
      nonce: text(256),
    }),
  ),
  auth: z.optional(
    z.strictObject({
      token: z.optional(z.string().check(z.maxLength(4096))),
      bootstrapToken: z.optional(z.string().check(z.maxLength(4096))),
      deviceToken: z.optional(z.string().check(z.maxLength(4096))),
      password: z.optional(z.string().check(z.maxLength(4096))),
      approvalRuntimeToken: z.optional(z.string().check(z.maxLength(4096))),
      agentRuntimeIdentityToken: z.optional(z.string().check(z.maxLength(4096))),
    }),
  ),
  locale: z.optional(z.string().check(z.maxLength(64))),
  userAgent: z.optional(z.string().check(z.maxLength(512))),
});

export type OpenclawConnect = z.output<typeof openclawConnectSchema>;

/** A zod issue path as OpenClaw words it (`/client/id`, `root`). */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.length ? `/${path.map(String).join("/")}` : "root";
}
