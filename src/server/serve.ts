/** The heavy second half of a start: logging, HTTP + WebSocket servers, readiness, reload, stop. */
import http, { type IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import path from "node:path";
import type { Config } from "../config/schema.ts";
import { createLogger, setLevels, closeLogger } from "../logging/logger.ts";
import type { BrainPaths } from "../paths/paths.ts";
import { AuthFailureLimiter, resolveAuth, type AuthSettings } from "./auth.ts";
import { proxyMatcher } from "./client.ts";
import type { GatewayContext } from "./context.ts";
import { evaluateReadiness, LagMonitor } from "./health.ts";
import { brainChecks, processChecks } from "./readiness-checks.ts";
import { WsAttempts } from "./ws-attempts.ts";
import { createHttpHandler } from "./http.ts";
import { listenAll } from "./listen.ts";
import type { PreparedStart } from "./prepare.ts";
import { reloadOnce, watchConfig, type ConfigProblem } from "./reload.ts";
import { DeviceAdmin } from "./devices.ts";
import { createWsGateway } from "./ws.ts";
import { answerClientError, guardServer, logSocketError, type SocketErrorSink } from "./sockets.ts";
import { LogThrottle } from "../logging/throttle.ts";
import { startBrain } from "./brain-runtime.ts";
import type { BrainEvent } from "../brain/brain.ts";
import type { ApprovalEvent } from "../approvals/service.ts";
import type { OwnerRecord } from "../lock/owner.ts";
import { OnebrainError } from "../shared/errors.ts";
import { runStop, type StopOutcome, type StopStep } from "./stop.ts";
import { startBrowserControl } from "./browser-control.ts";
import { CanvasHost } from "./canvas/host.ts";
import { wireCanvas } from "./canvas/wire.ts";
import { hookRoutes } from "./hooks/routes.ts";
import { createAlerts } from "./alerts-runtime.ts";

export interface GatewayHandle {
  readonly ctx: GatewayContext;
  readonly port: number;
  readonly hosts: string[];
  /** Stops accepting, tells clients, drains, releases the lock: within the grace period, never rejecting. Idempotent. */
  stop(reason?: string, restartExpectedMs?: number): Promise<StopOutcome>;
  /** Re-reads the config file now (as SIGHUP does). */
  reload(): void;
}

function logFileOf(config: Readonly<Config>, paths: BrainPaths): string {
  return config.logging.file ? path.resolve(paths.stateDir, config.logging.file) : path.join(paths.logDir, "gateway.log");
}

/** Binds and serves a prepared start. The caller releases the lock if this throws. */
export async function serve(p: PreparedStart): Promise<GatewayHandle> {
  const { opts, env, startedAtMs, plan, bind, version, instanceId, lock } = p;
  let config = p.config;
  let auth: AuthSettings = p.auth;
  /** Whether `config` came from the file (a later missing file is then a problem, not the defaults). */
  let configFromFile = opts.loaded.exists;
  let configProblem: ConfigProblem | null = null;

  // Bind before anything heavy, so a port conflict leaves nothing behind (not even a log file).
  // Until the gateway is wired up below (synchronously), requests get 503 and upgrades are dropped.
  let onRequest: http.RequestListener = (_req, res) => void res.writeHead(503, { "retry-after": "1" }).end();
  let onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void = (_req, socket) => socket.destroy();
  let onSocketError: SocketErrorSink = () => {};
  // The gateway port's servers and the canvas port's are made alike (timeouts, guards).
  const makeServer = (request: http.RequestListener, upgrade: typeof onUpgrade) => () => {
    const s = http.createServer({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 }, request);
    s.on("upgrade", upgrade);
    s.on("clientError", (err, socket) => answerClientError(err, socket));
    guardServer(s, (err, where) => onSocketError(err, where));
    return s;
  };
  const bound = await listenAll(
    bind,
    plan.base,
    makeServer(
      (req, res) => onRequest(req, res),
      (req, socket, head) => onUpgrade(req, socket, head),
    ),
  );
  const servers = bound.servers;
  let canvasListeners: () => readonly http.Server[] = () => [];

  try {
    const logFile = logFileOf(config, opts.paths);
    const logger = createLogger({
      file: logFile,
      fileLevel: config.logging.level,
      consoleLevel: config.logging.consoleLevel,
      consoleStyle: opts.consoleStyle ?? config.logging.consoleStyle,
      maxFileBytes: config.logging.maxFileBytes,
      maxFiles: config.logging.maxFiles,
      console: opts.console === undefined ? process.stderr : opts.console,
      base: { pid: process.pid, instance: instanceId.slice(0, 8) },
    });
    const logThrottle = new LogThrottle(logger);
    onSocketError = (err, where) => logSocketError(logThrottle, err, where);
    let trusted = proxyMatcher(config.gateway.trustedProxies);
    if (trusted.invalid.length) logger.warn({ invalid: trusted.invalid }, "ignoring gateway.trustedProxies entries that are not IPs or CIDRs");
    const limiter = new AuthFailureLimiter({ limit: config.gateway.authFailuresPerMinute });
    const lag = new LagMonitor();
    let ws: ReturnType<typeof createWsGateway> | undefined;

    // ctx is made below; the lifecycle check reads it only once the gateway serves.
    const checks = processChecks({ lock, servers, lag, config: () => config, shuttingDown: () => ctx.shuttingDown });

    const canvas = new CanvasHost({ paths: opts.paths, plan, bind, config: () => config, auth: () => auth, gatewayHosts: bound.hosts, logger });
    canvasListeners = () => canvas.listeners();
    // The durable brain: store (integrity-checked, epoch bumped), agent, pipeline, WebChat.
    let onBrainEvent: (e: BrainEvent | ApprovalEvent) => void = () => {};
    const brain = await startBrain({
      paths: opts.paths,
      config: () => config,
      logger,
      env,
      emit: (e) => onBrainEvent(e),
      port: plan.base,
      cdpRange: plan.cdp,
      ...(canvas.enabled ? { canvas } : {}),
    });
    checks.push(...brainChecks(brain));

    const ctx: GatewayContext = {
      version,
      instanceId,
      startedAtMs,
      paths: opts.paths,
      plan,
      bind,
      sources: () => ({ ...p.sources, auth: { value: auth.mode, source: auth.modeSource, from: auth.modeFrom } }),
      boundHosts: bound.hosts,
      logFile,
      logger,
      logThrottle,
      limiter,
      lag,
      brain,
      attempts: new WsAttempts(),
      canvas,
      config: () => config,
      configProblem: () => configProblem,
      auth: () => auth,
      trustedProxies: () => trusted,
      readiness: () => evaluateReadiness(checks),
      processReadiness: () => evaluateReadiness(checks, { processOnly: true }),
      connectionCount: () => ws?.count() ?? 0,
      unsentBytes: () => ws?.unsentBytes() ?? 0,
      shuttingDown: false,
      alerts: createAlerts({ brain, logger, version }, () => ctx),
      devices: new DeviceAdmin(() => brain.store),
    };

    ws = createWsGateway(ctx);
    const wsRef = ws;
    ctx.devices.attach({
      openclaw: (event, payload, scope) => wsRef.broadcastOpenclaw(event, payload, scope),
      onebrain: (event, payload) => wsRef.broadcast(event, payload),
      disconnect: (deviceId) => wsRef.disconnectDevice(deviceId),
      connected: () => wsRef.connectedDevices(),
    });
    const canvasSide = await wireCanvas(ctx, makeServer);
    onRequest = createHttpHandler(ctx, undefined, canvasSide.routes, hookRoutes(ctx));
    onUpgrade = (req, socket, head) => {
      if (!canvasSide.upgrade(req, socket, head)) wsRef.handleUpgrade(req, socket, head);
    };
    ctx.browserControl = await startBrowserControl(ctx, brain.browser);
    const browserControl = ctx.browserControl;
    onBrainEvent = (e) => {
      if (e.type === "chat") {
        const { type: _type, ...payload } = e;
        wsRef.broadcast("chat", payload);
      } else if (e.type === "approval") {
        const { type: _type, ...payload } = e;
        wsRef.broadcast("approval", payload);
      } else if (e.type === "fenced") {
        opts.onFatal?.(
          new OnebrainError(
            "GATEWAY_LOCK_HELD",
            `Another process took this brain (fencing epoch ${e.epoch} is stale): this gateway stops delivering and exits`,
          ),
        );
      } else if (e.type === "store-failed") {
        opts.onFatal?.(
          new OnebrainError(
            "STORE_WRITE_FAILED",
            `A write to the brain's database failed (${e.error.message}): this gateway stops and exits; a restart recovers from the disk`,
            { cause: e.error },
          ),
        );
      }
    };
    lag.start();
    const alerts = ctx.alerts;
    alerts.start();
    lock.updateOwner({ phase: "running", bindHosts: bound.hosts });

    // Written to the owner record too, so `status` can tell even when it cannot authenticate
    // (with the file gone, the CLI no longer knows the token).
    const setOwner = (update: Partial<OwnerRecord>): void => {
      try {
        lock.updateOwner(update);
      } catch (err) {
        logger.warn({ err }, "cannot update the owner record");
      }
    };
    const setConfigProblem = (problem: ConfigProblem | null): void => {
      configProblem = problem;
      setOwner({ configProblem: problem });
    };
    const reload = (): void => {
      const result = reloadOnce(
        opts.paths.configPath,
        {
          current: () => config,
          fromFile: () => configFromFile,
          onProblem: (problem) => {
            logger.error(
              { code: problem.code, kind: problem.kind, since: problem.since, reason: problem.message },
              `config reload failed; keeping the running config (${problem.summary})`,
            );
            setConfigProblem(problem);
          },
          apply: (next, changes, fromFile) => {
            configFromFile = fromFile;
            config = next;
            auth = resolveAuth(next.gateway.auth, env, p.flags);
            setOwner({ sources: ctx.sources() });
            trusted = proxyMatcher(next.gateway.trustedProxies);
            limiter.limit = next.gateway.authFailuresPerMinute;
            setLevels(logger, { fileLevel: next.logging.level, consoleLevel: next.logging.consoleLevel });
            const revoked = wsRef.revokeRotated();
            logger.info({ applied: changes.hot, needsRestart: changes.restart, revoked }, "config reloaded");
          },
        },
        configProblem,
      );
      if (!result.ok) return;
      if (configProblem) {
        logger.info({ since: configProblem.since }, "config file is usable again: the running config follows it");
        setConfigProblem(null);
      }
      if (result.restart.length) logger.warn({ keys: result.restart }, "these config changes take effect after a restart");
    };
    const unwatch = watchConfig(opts.paths.configPath, reload);

    logger.info(
      {
        port: plan.base,
        hosts: bound.hosts,
        stateDir: opts.paths.stateDir,
        profile: opts.paths.profile ?? "default",
        auth: auth.mode,
        ms: Date.now() - startedAtMs,
      },
      "gateway listening",
    );

    // Each step is guarded and the whole stop is bounded by the grace period (src/server/stop.ts):
    // a state dir removed under us, or a step that hangs, still ends in an exit with a code.
    let serversClosed: Promise<unknown> | undefined;
    const allServers = () => [...servers, ...canvasListeners()];
    const steps: StopStep[] = [
      {
        name: "mark the gateway stopping",
        run: () => {
          ctx.shuttingDown = true;
          // First: what a stop does to the channels is not an outage to report.
          alerts.stop();
          logger.info({ reason: shutdownEvent.reason }, "gateway stopping");
          unwatch();
        },
      },
      { name: "mark owner record stopping", run: () => lock.updateOwner({ phase: "stopping" }) },
      {
        name: "stop accepting connections",
        run: () => {
          serversClosed = Promise.all(allServers().map((s) => new Promise<void>((r) => s.close(() => r()))));
          for (const s of allServers()) s.closeIdleConnections();
        },
      },
      { name: "close the browser control port", run: () => browserControl.close() },
      { name: "close the canvas's live-reload sockets", run: () => canvasSide.close() },
      { name: "drain WebSocket clients", run: (b) => wsRef.shutdown(shutdownEvent, b.drainMs()) },
      {
        name: "close HTTP connections",
        run: async () => {
          for (const s of allServers()) s.closeAllConnections();
          await serversClosed;
        },
      },
      { name: "stop the brain", run: (b) => brain.close(b.drainMs()) },
      { name: "stop the lag monitor", run: () => lag.stop() },
      { name: "write the suppressed-warning summaries", run: () => logThrottle.flushAll() },
      { name: "release the brain lock", run: () => lock.release(), final: true },
    ];
    let shutdownEvent: { reason: string; restartExpectedMs?: number } = { reason: "stop requested" };
    let stopping: Promise<StopOutcome> | undefined;
    const stop = (reason = "stop requested", restartExpectedMs?: number): Promise<StopOutcome> => {
      stopping ??= (async () => {
        shutdownEvent = { reason, ...(restartExpectedMs !== undefined ? { restartExpectedMs } : {}) };
        const outcome = await runStop(opts.stopSteps ? opts.stopSteps(steps) : steps, logger, { graceMs: config.gateway.shutdownGraceMs });
        const { exitCode: _code, ...facts } = outcome;
        try {
          if (outcome.ok) logger.info({ uptimeMs: Date.now() - startedAtMs, ms: outcome.ms }, "gateway stopped");
          else logger.warn({ uptimeMs: Date.now() - startedAtMs, ...facts }, "gateway stopped, but not cleanly (see the failed steps above)");
          closeLogger(logger);
        } catch {
          // The log is the last thing; a broken one must not keep the stop from ending.
        }
        return outcome;
      })();
      return stopping;
    };

    return { ctx, port: plan.base, hosts: bound.hosts, stop, reload };
  } catch (err) {
    // Wiring failed after the bind (e.g. the log file cannot be opened): give the port back.
    for (const server of [...servers, ...canvasListeners()]) {
      server.closeAllConnections();
      server.close();
    }
    throw err;
  }
}
