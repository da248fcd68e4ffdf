/**
 * The state that the HTTP routes, the WebSocket server and the RPC methods share. Config and
 * auth are read through getters because a reload swaps them while the gateway runs.
 */
import type { Watchdog } from "../alerts/watchdog.ts";
import type { ProxyReport } from "../shared/proxy-env.ts";
import type { Logger } from "pino";
import type { LogThrottle } from "../logging/throttle.ts";
import type { GatewaySources } from "../config/effective.ts";
import type { Config } from "../config/schema.ts";
import type { BrainPaths } from "../paths/paths.ts";
import type { PortPlan } from "../paths/ports.ts";
import type { AuthFailureLimiter, AuthSettings } from "./auth.ts";
import type { BindPlan } from "./bind.ts";
import type { ToolSelection } from "../agent/tools/policy.ts";
import type { AgentHealth } from "../agent/agent.ts";
import type { FailedReply } from "../brain/outbox-admin.ts";
import type { OwnerRecord } from "../lock/owner.ts";
import type { BrainRuntime, ChannelStatus } from "./brain-runtime.ts";
import type { LagMonitor, ReadinessReport } from "./health.ts";
import type { WsAttempts } from "./ws-attempts.ts";
import type { ConfigProblem } from "./reload.ts";
import type { CanvasHost } from "./canvas/host.ts";
import type { DeviceAdmin } from "./devices.ts";

/** The browser control service (browser-control.ts): listening, or why not. */
export interface BrowserControl {
  port: number;
  listening: boolean;
  /** Why it does not listen (port held, service off), or null. */
  problem: string | null;
  close(): Promise<void>;
}

export interface GatewayContext {
  readonly version: string;
  readonly instanceId: string;
  readonly startedAtMs: number;
  readonly paths: BrainPaths;
  readonly plan: PortPlan;
  readonly bind: BindPlan;
  /** Which source won for port, bind and auth (flag, env, file, profile, default); auth follows reloads. */
  sources(): GatewaySources;
  /** Addresses really listened on (after optional ones were tried). */
  boundHosts: string[];
  readonly logFile: string | undefined;
  readonly logger: Logger;
  /** Rate-limited lines for what any client can cause (refusals, auth failures, socket errors). */
  readonly logThrottle: LogThrottle;
  readonly limiter: AuthFailureLimiter;
  readonly lag: LagMonitor;
  /** The store, agent, pipeline and WebChat channel. */
  readonly brain: BrainRuntime;
  /** The canvas host: root, capability, URLs, watcher (docs/canvas.md). */
  readonly canvas: CanvasHost;
  /** What became of recent WebSocket attempts (for `/api/ws-check`). */
  readonly attempts: WsAttempts;
  config(): Readonly<Config>;
  /** Why the running config is not the file's (missing, unreadable, invalid since T), or null. */
  configProblem(): ConfigProblem | null;
  auth(): AuthSettings;
  trustedProxies(): { matches(address: string): boolean };
  readiness(): ReadinessReport;
  /** Readiness of this process alone, without external components (what systemd's READY and watchdog judge). */
  processReadiness(): ReadinessReport;
  connectionCount(): number;
  /** Bytes written to WebSocket clients and not yet sent, all together. */
  unsentBytes(): number;
  shuttingDown: boolean;
  /** The browser control service on base+2 once started (listening, or why not). */
  browserControl?: BrowserControl;
  /** The watchdog (docs/alerts.md): started once the gateway serves. */
  readonly alerts: Watchdog;
  /** Devices (docs/devices.md): requests, approvals and revocations, told to the sockets. */
  readonly devices: DeviceAdmin;
}

export interface BrainStatus {
  version: string;
  instanceId: string;
  pid: number;
  user: string;
  hostname: string;
  home: string;
  stateDir: string;
  configPath: string;
  /** Set while the config file is missing, unreadable or invalid: the last good config runs. */
  configProblem: ConfigProblem | null;
  profile: string | null;
  startedAt: string;
  uptimeMs: number;
  bind: { mode: string; hosts: string[] };
  auth: { mode: string; tokenSource: string | null; passwordSource: string | null };
  /** Which source won for port, bind and auth mode: `{value, source, from}` each; never a secret. */
  sources: GatewaySources;
  ports: PortPlan;
  connections: number;
  memory: { rssBytes: number; heapUsedBytes: number };
  eventLoop: ReturnType<LagMonitor["snapshot"]>;
  readiness: ReadinessReport;
  /** The model chain (keys masked) or "not configured", and when replies last succeeded and failed. */
  model: { configured: boolean; describe: string } & AgentHealth;
  /** The tools the policy enables (none loaded until a run needs one), and its warnings (a name in tools.allow/deny that names nothing). */
  tools: ToolSelection;
  /** The configured agents (docs/agents.md), the default first, each with its workspace and model; and how many bindings route to them. */
  agents: { list: Array<{ id: string; name: string | null; default: boolean; workspace: string; model: string }>; bindings: number };
  /** Fencing epoch, runs in flight, queued messages and undelivered replies; the newest failed reply (null: none). */
  pipeline: { epoch: number; activeRuns: number; pendingInbound: number; pendingOutbox: number; failedOutbox: number; newestFailed: FailedReply | null };
  /** The brain lock's owner record on disk (this process, unless something is badly wrong). */
  lock: Pick<
    OwnerRecord,
    "pid" | "user" | "hostname" | "home" | "stateDir" | "configPath" | "profile" | "port" | "bindHosts" | "version" | "startedAt" | "instanceId" | "phase"
  > | null;
  /** Each running channel's last reported state. */
  channels: ChannelStatus[];
  /** The outbound proxy this process uses for model providers and Telegram (credentials masked). */
  outboundProxy: ProxyReport;
  /** The browser control service: its port, whether it listens (or why not), the profiles whose browser runs. */
  browser: { controlPort: number; listening: boolean; problem: string | null; running: Array<{ profile: string; pid: number | null; cdpPort: number | null }> };
  /** The watchdog (docs/alerts.md): how many targets are configured, and the alerts open now. */
  alerts: { targets: number; open: Array<{ condition: string; openedAt: number }> };
}
