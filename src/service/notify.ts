/**
 * sd_notify for the gateway: READY=1 once it is listening and ready, WATCHDOG=1 only while it is
 * healthy, STOPPING=1 when the drain begins, STATUS= lines for `systemctl status`.
 *
 * Node cannot send unix datagrams (dgram is UDP only), so each message is one `systemd-notify`
 * child: spawned asynchronously, one at a time, killed if it hangs. systemd-notify waits until the
 * manager has read the message (a BARRIER), so the manager can still attribute it to the unit
 * (NotifyAccess=all) although the child exits right after. Without NOTIFY_SOCKET it does nothing.
 */
import { spawn } from "node:child_process";
import type { Env } from "../paths/paths.ts";

export interface NotifySettings {
  socket: string;
  /** The keep-alive deadline systemd gave this process (WATCHDOG_USEC), or null when none is meant for it. */
  watchdogMs: number | null;
}

/** What sd_notify and sd_watchdog_enabled would see: NOTIFY_SOCKET, and WATCHDOG_USEC if WATCHDOG_PID is unset or `pid`. */
export function notifySettings(env: Env, pid: number): NotifySettings | null {
  const socket = env.NOTIFY_SOCKET;
  if (!socket) return null;
  const usec = Number(env.WATCHDOG_USEC);
  const forUs = env.WATCHDOG_PID === undefined || env.WATCHDOG_PID === "" || Number(env.WATCHDOG_PID) === pid;
  const watchdogMs = Number.isSafeInteger(usec) && usec > 0 && forUs ? usec / 1000 : null;
  return { socket, watchdogMs };
}

export interface Health {
  ready: boolean;
  failing: readonly string[];
}

/**
 * Whether a keep-alive may go now. A tick that itself fired late proves the loop was stalled
 * even before the lag monitor has recorded it, so it withholds the keep-alive too.
 */
export function keepAliveDecision(health: Health, tickLateMs: number, maxLagMs: number): { send: boolean; reason: string | null } {
  if (tickLateMs > maxLagMs) return { send: false, reason: `event loop stalled ${Math.round(tickLateMs)} ms (limit ${maxLagMs} ms)` };
  if (!health.ready) return { send: false, reason: `not ready: ${health.failing.join(", ") || "unknown"}` };
  return { send: true, reason: null };
}

export interface GatewayProbe {
  health(): Health;
  /** gateway.maxEventLoopLagMs (read on every tick: a reload may change it). */
  maxLagMs(): number;
}

export interface NotifierOptions {
  env?: Env;
  pid?: number;
  /** The notify program; tests may point it elsewhere. */
  command?: string;
  /** A systemd-notify child still running after this is killed (its BARRIER wait is 5 s). */
  timeoutMs?: number;
  log?: (level: "info" | "warn" | "error", message: string, details?: Record<string, unknown>) => void;
}

type Kind = "ready" | "watchdog" | "status" | "stopping";
const MAX_QUEUE = 8;

/** Sends the gateway's notifications; every method is a no-op when systemd did not ask for them. */
export class Notifier {
  readonly settings: NotifySettings | null;
  private readonly command: string;
  private readonly timeoutMs: number;
  private readonly pid: number;
  private readonly childEnv: NodeJS.ProcessEnv;
  private readonly log: NonNullable<NotifierOptions["log"]>;
  private readonly queue: Array<{ kind: Kind; args: string[] }> = [];
  private inFlight: Promise<void> | null = null;
  private state: "starting" | "ready" | "stopping" = "starting";
  private timer: NodeJS.Timeout | undefined;
  private lastStatus = "";
  private failuresLogged = 0;

  constructor(opts: NotifierOptions = {}) {
    const env = opts.env ?? process.env;
    this.pid = opts.pid ?? process.pid;
    this.settings = notifySettings(env, this.pid);
    this.command = opts.command ?? "systemd-notify";
    this.timeoutMs = opts.timeoutMs ?? 8_000;
    this.log = opts.log ?? (() => {});
    // The child needs only the socket and a PATH; it does not inherit the gateway's secrets.
    this.childEnv = { NOTIFY_SOCKET: this.settings?.socket ?? "", PATH: env.PATH ?? "/usr/bin:/bin" };
  }

  get enabled(): boolean {
    return this.settings !== null;
  }

  /** Sends READY=1 (with MAINPID) once `probe` reports ready, then keeps the watchdog fed while it stays healthy. */
  async ready(probe: GatewayProbe, status: string): Promise<void> {
    if (!this.settings || this.state !== "starting") return;
    while (!probe.health().ready) {
      await new Promise((r) => setTimeout(r, 50).unref());
      if (this.state !== "starting") return;
    }
    this.state = "ready";
    this.lastStatus = status;
    this.send("ready", [`--pid=${this.pid}`, "READY=1", `STATUS=${status}`]);
    const intervalMs = this.settings.watchdogMs === null ? null : Math.max(10, this.settings.watchdogMs / 3);
    if (intervalMs !== null) this.watch(probe, intervalMs, status);
    this.log("info", "systemd notified: ready", { watchdogIntervalMs: intervalMs });
  }

  private watch(probe: GatewayProbe, intervalMs: number, healthyStatus: string): void {
    let expected = performance.now() + intervalMs;
    const tick = () => {
      const late = performance.now() - expected;
      const decision = keepAliveDecision(probe.health(), late, probe.maxLagMs());
      if (decision.send) {
        this.send("watchdog", ["WATCHDOG=1", ...(this.lastStatus !== healthyStatus ? [`STATUS=${healthyStatus}`] : [])]);
        this.lastStatus = healthyStatus;
      } else {
        const status = `watchdog keep-alives withheld: ${decision.reason}`;
        if (!this.lastStatus.startsWith("watchdog keep-alives withheld")) {
          this.send("status", [`STATUS=${status}`]);
          this.log("warn", "withholding the systemd watchdog keep-alive", { reason: decision.reason });
        }
        this.lastStatus = status;
      }
      expected = performance.now() + intervalMs;
      this.timer = setTimeout(tick, intervalMs);
      this.timer.unref();
    };
    this.timer = setTimeout(tick, intervalMs);
    this.timer.unref();
  }

  /** Sends STOPPING=1 and stops the keep-alives; idempotent. */
  stopping(status: string): void {
    if (!this.settings || this.state === "stopping") return;
    this.state = "stopping";
    clearTimeout(this.timer);
    this.queue.splice(0, this.queue.length, ...this.queue.filter((m) => m.kind === "ready"));
    this.send("stopping", ["STOPPING=1", `STATUS=${status}`]);
  }

  /** Waits until queued messages are sent, at most `timeoutMs`. */
  async flush(timeoutMs = 2_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.inFlight || this.queue.length) && Date.now() < deadline) {
      await Promise.race([this.inFlight ?? Promise.resolve(), new Promise((r) => setTimeout(r, Math.max(1, deadline - Date.now())).unref())]);
      if (!this.inFlight && this.queue.length) this.pump();
    }
  }

  private send(kind: Kind, args: string[]): void {
    // Keep-alives are interchangeable: one waiting is enough. The queue stays bounded whatever happens.
    if (kind === "watchdog" && this.queue.some((m) => m.kind === "watchdog")) return;
    if (this.queue.length >= MAX_QUEUE) {
      const drop = this.queue.findIndex((m) => m.kind === "watchdog" || m.kind === "status");
      if (drop < 0) return;
      this.queue.splice(drop, 1);
    }
    this.queue.push({ kind, args });
    this.pump();
  }

  private pump(): void {
    if (this.inFlight) return;
    const next = this.queue.shift();
    if (!next) return;
    this.inFlight = this.run(next.args).finally(() => {
      this.inFlight = null;
      this.pump();
    });
  }

  private run(args: string[]): Promise<void> {
    return new Promise((resolve) => {
      let stderr = "";
      const child = spawn(this.command, args, { stdio: ["ignore", "ignore", "pipe"], env: this.childEnv });
      const timer = setTimeout(() => child.kill("SIGKILL"), this.timeoutMs);
      timer.unref();
      child.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-500)));
      child.once("error", (err) => {
        clearTimeout(timer);
        this.failed(`cannot run ${this.command}: ${(err as NodeJS.ErrnoException).code ?? err.message}`, args);
        resolve();
      });
      child.once("close", (code, signal) => {
        clearTimeout(timer);
        if (code !== 0) this.failed(`${this.command} ${signal ? `was killed (${signal})` : `exited ${code}`}: ${stderr.trim() || "no message"}`, args);
        resolve();
      });
    });
  }

  private failed(message: string, args: string[]): void {
    // A broken notify path would otherwise log every keep-alive: the first few say it all.
    if (++this.failuresLogged <= 3)
      this.log("error", `systemd notification failed: ${message}`, { message: args.filter((a) => !a.startsWith("--")).join(" ") });
  }
}
