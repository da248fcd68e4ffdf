/** The CLI's `gateway` commands: run it, inspect it, and manage its systemd service (docs/service.md), each loaded lazily. */
import type { Command } from "commander";
import type { Wrap } from "./automation-commands.ts";

/** Adds `gateway` and its subcommands to `program`; `action` wraps each lazily loaded handler. */
export function gatewayCommands(program: Command, action: Wrap): void {
  const gateway = program.command("gateway").description("run and inspect the gateway process");
  const runOptions = (c: Command) =>
    c
      .option("--port <port>", "base port (overrides ONEBRAIN_GATEWAY_PORT and gateway.port)")
      .option("--bind <mode>", "loopback, lan, tailnet or custom (overrides gateway.bind; anything but loopback needs auth)")
      .option("--auth <mode>", "token, password or none (overrides gateway.auth.mode)")
      .option("--token <token>", "auth token (overrides ONEBRAIN_GATEWAY_TOKEN and the config; visible to local users in ps: prefer the env)")
      .option("--password <password>", "auth password (overrides ONEBRAIN_GATEWAY_PASSWORD and the config; prefer the env)")
      .option("--force", "stop an identified process holding this brain's lock or port, then start")
      .option("--yes", "with --force: do not ask for confirmation")
      .option("--json", "log to the console as JSON lines");
  runOptions(gateway.command("run", { isDefault: true }).description("run the gateway in the foreground")).action(
    action(() => import("./commands/gateway-run.ts")),
  );

  gateway
    .command("status")
    .description("configured paths and ports, lock owner, port listener and an RPC probe; read-only")
    .option("--json", "print JSON")
    .option("--require-rpc", "exit non-zero unless the RPC probe succeeds")
    .option("--port <port>", "inspect this port instead of the configured one")
    .option("--timeout <ms>", "RPC probe timeout", "1500")
    .action(action(() => import("./commands/gateway-status.ts")));

  gateway
    .command("probe")
    .description("connect, handshake and call health; exit 0 only if healthy (for container healthchecks)")
    .option("--url <url>", "gateway WebSocket URL (default: this brain's loopback URL); an OpenClaw-family gateway is answered in its protocol")
    .option("--token <token>", "token (default: ONEBRAIN_GATEWAY_TOKEN or the config)")
    .option("--password <password>", "password (default: ONEBRAIN_GATEWAY_PASSWORD or the config)")
    .option("--port <port>", "probe this port on loopback (default: the running gateway's, else the configured one)")
    .option("--timeout <ms>", "overall timeout", "3000")
    .option("--json", "print JSON")
    .action(action(() => import("./commands/gateway-probe.ts")));

  // The service: a systemd unit (user unit by default; --system --user NAME for a dedicated service user).
  const serviceOptions = (c: Command) => c.option("--system", "the system unit (/etc/systemd/system) instead of your user unit").option("--json", "print JSON");
  serviceOptions(gateway.command("install").description("install and enable a systemd unit for this brain (Type=notify, watchdog, no restart on fatal exits)"))
    .option("--user <name>", "with --system: the dedicated service user the gateway runs as")
    .option("--force", "replace a different unit of the same name")
    .option("--print", "print the unit instead of installing it")
    .action(action(() => import("./commands/gateway-install.ts")));
  serviceOptions(gateway.command("uninstall").description("stop and disable the unit, remove it, reload systemd (the brain is kept)")).action(
    action(() => import("./commands/gateway-uninstall.ts")),
  );
  serviceOptions(gateway.command("start").description("start the service and wait until healthy; says so if this brain already runs"))
    .option("--user <name>", "with --system: whose brain, when no unit is installed")
    .action(action(() => import("./commands/gateway-start.ts")));
  serviceOptions(gateway.command("stop").description("stop this brain's gateway (systemd, else SIGTERM) and check its port is free"))
    .option("--user <name>", "with --system: whose brain, when no unit is installed")
    .action(action(() => import("./commands/gateway-stop.ts")));
  serviceOptions(gateway.command("restart").description("stop, check the port is free, start, wait until healthy")).action(
    action(() => import("./commands/gateway-restart.ts")),
  );
}
