/** `onebrain gateway [run]`: the gateway in the foreground, with signals wired to a clean stop. */
import { loadBrainConfig } from "../../config/load.ts";
import { errorCatalog, hasCode, OnebrainError } from "../../shared/errors.ts";
import { stopDeadline } from "../../server/stop.ts";
import { redactArgv } from "../../lock/owner.ts";
import { startGateway, type GatewayHandle } from "../../server/gateway.ts";
import { Notifier } from "../../service/notify.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";
import { forceClear } from "./force.ts";
import { portPlanClashes } from "../../diagnostics/other-brains.ts";

/** How long after the start the port plans of other brains are checked. */
const CLASH_CHECK_DELAY_MS = 1_000;

/** Time beyond the stop's own deadline for telling systemd and exiting. */
const EXIT_SLACK_MS = 500;

/** Runs until SIGTERM/SIGINT; a second signal exits at once. */
export default async function run(
  global: GlobalOptions,
  opts: { port?: string; bind?: string; auth?: string; token?: string; password?: string; force?: boolean; yes?: boolean; json?: boolean },
): Promise<void> {
  // A secret on the command line is readable by every local user in /proc/PID/cmdline (ps);
  // mask it in the process title at once (the docs say to prefer the environment).
  if (opts.token !== undefined || opts.password !== undefined) process.title = redactArgv(process.argv).join(" ");
  const paths = brainPaths(global);
  const loaded = loadBrainConfig(paths);
  // sd_notify when systemd started us (NOTIFY_SOCKET set); a no-op otherwise.
  const notify = new Notifier({ log: (level, msg, details) => handle?.ctx.logger[level](details ?? {}, msg) });
  let handle: GatewayHandle | undefined;
  let pending: { reason: string; code: number | null } | undefined;
  let exiting = false;
  /**
   * The one way out once running: stop within the grace period, then exit with `code` (a fatal
   * error's own) or the stop's (0, or STOP_INCOMPLETE). A timer backs the stop up: whatever hangs,
   * the process exits, so it never stays half-stopped holding its port and lock.
   */
  const stopAndExit = (reason: string, code: number | null) => {
    if (exiting) return;
    exiting = true;
    notify.stopping(reason);
    const h = handle;
    if (!h) return void (pending = { reason, code }); // still starting: stopped as soon as it is up
    const graceMs = h.ctx.config().gateway.shutdownGraceMs;
    setTimeout(
      () => {
        h.ctx.logger.error({ graceMs }, "the stop did not finish by its deadline: exiting now");
        process.exit(code ?? errorCatalog.STOP_INCOMPLETE.exitCode);
      },
      stopDeadline(0, { graceMs }) + EXIT_SLACK_MS,
    );
    void h.stop(reason).then((outcome) => notify.flush(EXIT_SLACK_MS / 2).then(() => process.exit(code ?? outcome.exitCode)));
  };
  // Fenced (another process took the brain: exit 10) or the store failed (exit 29).
  const onFatal = (err: Error) => {
    handle?.ctx.logger.fatal({ err }, "stopping: this process can no longer act for the brain");
    stopAndExit(`stopping: ${err.message}`, err instanceof OnebrainError ? err.exitCode : 1);
  };
  const flags = { port: opts.port, bind: opts.bind, auth: opts.auth, token: opts.token, password: opts.password };
  const start = () => startGateway({ paths, loaded, flags, consoleStyle: opts.json ? "json" : undefined, onFatal });
  // Signal handlers go in before the start: "gateway listening" is logged a moment before start()
  // returns, and a SIGTERM in that window would otherwise kill the process with no clean stop.
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      handle?.ctx.logger.warn({ signal }, "second signal: exiting without waiting for the drain");
      process.exit(130);
    }
    notify.stopping(`draining: received ${signal}`);
    stopAndExit(`received ${signal}`, null);
  };
  // A bug anywhere ends in a logged, coded exit after a bounded stop, never in a process that
  // half works (a failed stop once left a gateway holding its port 617 s after SIGTERM).
  const onBug = (what: string, code: number) => (err: unknown) => {
    const details = { err: err instanceof Error ? err : { message: String(err) } };
    if (handle) handle.ctx.logger.fatal(details, `${what} (a bug): stopping the gateway`);
    else process.stderr.write(`onebrain: ${what} (a bug): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    if (exiting) return; // already stopping: the stop's deadline still ends the process
    if (!handle) process.exit(code);
    stopAndExit(what, code);
  };
  process.on("uncaughtException", onBug("uncaught exception", errorCatalog.INTERNAL.exitCode));
  process.on("unhandledRejection", onBug("unhandled promise rejection", errorCatalog.UNHANDLED_REJECTION.exitCode));
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  // SIGHUP's default action kills the process: a reload asked for while starting runs once it is up.
  let reloadPending = false;
  process.on("SIGHUP", () => {
    if (!handle) return void (reloadPending = true);
    handle.ctx.logger.info("SIGHUP: reloading config");
    handle.reload();
  });
  try {
    handle = await start();
  } catch (err) {
    if (!opts.force || !(hasCode(err, "GATEWAY_LOCK_HELD") || hasCode(err, "PORT_IN_USE"))) throw err;
    await forceClear(err as OnebrainError, { yes: Boolean(opts.yes), paths });
    handle = await start();
  }
  const gw = handle;
  const { logger } = gw.ctx;
  if (pending) {
    exiting = false;
    stopAndExit(pending.reason, pending.code);
  } else
    void notify.ready(
      { health: () => gw.ctx.processReadiness(), maxLagMs: () => gw.ctx.config().gateway.maxEventLoopLagMs },
      `listening on port ${gw.port} (${gw.hosts.join(", ")})`,
    );

  // After the start, off its path: a port plan shared with another running brain is a start-up
  // warning (its CDP range may take our ports, or ours its), not a refusal. It runs a moment after
  // the gateway is up, so the /proc scan never competes with the first requests (readiness probes,
  // clients reconnecting after a restart: the scan once doubled the time to the first /readyz).
  setTimeout(() => {
    try {
      for (const w of portPlanClashes(gw.ctx.plan, gw.ctx.paths.stateDir)) logger.warn(w);
    } catch (err) {
      logger.debug({ err }, "could not check other brains' port plans");
    }
  }, CLASH_CHECK_DELAY_MS).unref();

  if (reloadPending) gw.reload();
  await new Promise<never>(() => {
    // Runs until stopAndExit (a signal, a fatal error, a bug) exits the process.
  });
}
