/** `onebrain gateway [run]`: the gateway in the foreground, with signals wired to a clean stop. */
import { loadBrainConfig } from "../../config/load.ts";
import { hasCode, OnebrainError } from "../../shared/errors.ts";
import { redactArgv } from "../../lock/owner.ts";
import { startGateway, type GatewayHandle } from "../../server/gateway.ts";
import { Notifier } from "../../service/notify.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";
import { forceClear } from "./force.ts";

/** Runs until SIGTERM/SIGINT; a second signal exits at once. */
export default async function run(global: GlobalOptions, opts: { port?: string; bind?: string; auth?: string; token?: string; password?: string; force?: boolean; yes?: boolean; json?: boolean }): Promise<void> {
  // A secret on the command line is readable by every local user in /proc/PID/cmdline (ps);
  // mask it in the process title at once (the docs say to prefer the environment).
  if (opts.token !== undefined || opts.password !== undefined) process.title = redactArgv(process.argv).join(" ");
  const paths = brainPaths(global);
  const loaded = loadBrainConfig(paths);
  // sd_notify when systemd started us (NOTIFY_SOCKET set); a no-op otherwise.
  const notify = new Notifier({ log: (level, msg, details) => handle?.ctx.logger[level](details ?? {}, msg) });
  // Fenced (another process took the brain: exit 10) or the store failed (exit 29).
  const onFatal = (err: Error) => {
    handle?.ctx.logger.fatal({ err }, "stopping: this process can no longer act for the brain");
    const code = err instanceof OnebrainError ? err.exitCode : 1;
    notify.stopping(`stopping: ${err.message}`);
    void handle?.stop(err.message).finally(() => notify.flush(1000).finally(() => process.exit(code)));
  };
  const flags = { port: opts.port, bind: opts.bind, auth: opts.auth, token: opts.token, password: opts.password };
  const start = () => startGateway({ paths, loaded, flags, consoleStyle: opts.json ? "json" : undefined, onFatal });
  // Signal handlers go in before the start: "gateway listening" is logged a moment before start()
  // returns, and a SIGTERM in that window would otherwise kill the process with no clean stop.
  let handle: GatewayHandle | undefined;
  let pending: NodeJS.Signals | undefined;
  let signals = 0;
  const stopOn = (h: GatewayHandle, signal: NodeJS.Signals) => {
    notify.stopping(`draining: received ${signal}`);
    void h.stop(`received ${signal}`).then(() => notify.flush(1000)).then(() => process.exit(0));
  };
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      handle?.ctx.logger.warn({ signal }, "second signal: exiting without waiting for the drain");
      process.exit(130);
    }
    if (handle) stopOn(handle, signal);
    else pending = signal; // still starting: stopped as soon as it is up
  };
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
  if (pending) stopOn(gw, pending);
  else void notify.ready({ health: () => gw.ctx.processReadiness(), maxLagMs: () => gw.ctx.config().gateway.maxEventLoopLagMs }, `listening on port ${gw.port} (${gw.hosts.join(", ")})`);

  if (reloadPending) gw.reload();
  process.on("uncaughtException", (err, origin) => {
    logger.fatal({ err, origin }, "uncaught exception: stopping the gateway");
    notify.stopping("stopping: uncaught exception");
    void gw.stop("uncaught exception").finally(() => process.exit(1));
  });
  process.on("unhandledRejection", (reason) => {
    logger.error({ err: reason instanceof Error ? reason : { message: String(reason) } }, "unhandled promise rejection (a bug; the gateway keeps running)");
  });
  await new Promise<never>(() => {
    // Runs until a signal handler exits the process.
  });
}
