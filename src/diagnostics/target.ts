/**
 * Where this brain's gateway answers. A gateway started with `--port` or another env listens
 * somewhere the config does not say; its owner record (checked against the kernel lock) does.
 */
import { loadBrainConfig } from "../config/load.ts";
import { inspectLock } from "../lock/inspect.ts";
import type { BrainPaths, Env } from "../paths/paths.ts";
import { parsePort, portPlan } from "../paths/ports.ts";
import { resolveAuth, type AuthSettings } from "../server/auth.ts";

export interface GatewayTarget {
  url: string;
  port: number;
  /** flag: `--port`; owner: from the running gateway's owner record; config: from env and config. */
  source: "flag" | "owner" | "config";
  auth: AuthSettings;
}

/** The WebSocket URL and credentials to reach this brain's gateway; `portFlag` names the port outright. */
export function gatewayTarget(paths: BrainPaths, env: Env = process.env, portFlag?: string): GatewayTarget {
  const { config } = loadBrainConfig(paths);
  const auth = resolveAuth(config.gateway.auth, env);
  if (portFlag !== undefined) {
    const port = parsePort(portFlag, "--port");
    return { url: `ws://127.0.0.1:${port}`, port, source: "flag", auth };
  }
  const lock = inspectLock(paths.lockPath, paths.ownerPath);
  if (lock.ownerIsHolder && lock.owner) {
    const host = lock.owner.bindHosts.find((h) => h !== "0.0.0.0" && h !== "::") ?? "127.0.0.1";
    return { url: `ws://${host.includes(":") ? `[${host}]` : host}:${lock.owner.port}`, port: lock.owner.port, source: "owner", auth };
  }
  const port = portPlan({ env, configPort: config.gateway.port, profile: paths.profile }).base;
  const host = config.gateway.bind === "custom" && config.gateway.customBindHost ? config.gateway.customBindHost : "127.0.0.1";
  return { url: `ws://${host.includes(":") ? `[${host}]` : host}:${port}`, port, source: "config", auth };
}
