/**
 * The OpenClaw methods this gateway serves (docs/openclaw.md has the table of OpenClaw's methods
 * with yes/no), each with its scope and params, grouped by family in this folder. A method not
 * here is answered "unknown method" with details.code UNKNOWN_METHOD.
 */
import type { OcMethod } from "../types.ts";
import { channelMethods } from "./channels.ts";
import { chatMethods } from "./chat.ts";
import { cronMethods } from "./cron.ts";
import { deviceMethods } from "./devices.ts";
import { logMethods } from "./logs.ts";
import { messageMethods } from "./message.ts";
import { systemMethods } from "./system.ts";

export const OPENCLAW_METHODS: Record<string, OcMethod> = {
  ...systemMethods,
  ...deviceMethods,
  ...logMethods,
  ...channelMethods,
  ...chatMethods,
  ...messageMethods,
  ...cronMethods,
};

/** Events an OpenClaw client may get from this gateway. */
export const OPENCLAW_EVENTS = [
  "connect.challenge",
  "tick",
  "shutdown",
  "health",
  "chat",
  "agent",
  "device.pair.requested",
  "device.pair.resolved",
  "models.snapshot",
] as const;

/** Methods OpenClaw routes to nodes (companion apps) only. */
const NODE_METHODS = new Set([
  "node.event",
  "node.invoke.result",
  "node.invoke.progress",
  "node.pending.drain",
  "node.pending.pull",
  "node.pending.ack",
  "node.runnerInventory.update",
  "node.skills.update",
  "node.pluginTools.update",
  "node.pluginSurface.refresh",
  "skills.bins",
]);

/** Whether OpenClaw calls `method` from a node. */
export function isNodeMethod(method: string): boolean {
  return NODE_METHODS.has(method);
}
