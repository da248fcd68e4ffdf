/** The CLI's automation commands: `cron`, `hooks` and `alerts` (docs/cron.md, docs/hooks.md, docs/alerts.md), each loaded lazily. */
import type { Command } from "commander";
import type { GlobalOptions } from "./brain.ts";

/** A command's handler: the global options, its own options, its arguments. */
export type Action = (global: GlobalOptions, opts: Record<string, unknown>, args: string[]) => Promise<void> | void;

export type Wrap = (load: () => Promise<{ default: Action }>) => (...raw: unknown[]) => Promise<void>;

/** Adds the cron, hooks and alerts commands to `program`; `action` wraps each lazily loaded handler. */
export function automationCommands(program: Command, action: Wrap): void {
  /** Subcommands of `parent`, each with --json, their handler picked from the module `load` imports when one runs. */
  const subcommands =
    <M>(parent: Command, load: () => Promise<M>) =>
    (name: string, description: string, pick: (m: M) => unknown) =>
      parent
        .command(name)
        .description(description)
        .option("--json", "print JSON")
        .action(action(() => load().then((m) => ({ default: pick(m) as Action }))));
  const cron = program.command("cron").description("the brain's scheduled jobs: each occurrence runs once, or is listed as missed (docs/cron.md)");
  const cronCmd = subcommands(cron, () => import("./commands/cron.ts"));
  cronCmd("add", "add a job: one of --every, --cron or --at, and --message", (m) => m.addCommand)
    .argument("<name>", "a name of your own: a-z, 0-9, . _ -")
    .option("--every <duration>", "an interval: 30s, 5m, 1h, 1d")
    .option("--cron <expr>", "a cron expression, 5 fields (or 6 with seconds first)")
    .option("--tz <zone>", "the cron expression's time zone, e.g. Europe/Berlin (default UTC)")
    .option("--at <time>", "once: an ISO time with its offset, or +DURATION (+20m)")
    .option("--message <text>", "what the agent is asked at each occurrence")
    .option("--agent <id>", "the agent that answers, one of agents.list (default: the default agent)")
    .option("--session <key>", 'the session it runs in: "isolated" (its own, the default) or an existing session key of that agent')
    .option("--deliver <target>", "announce the answer: CHANNEL:TARGET or CHANNEL@ACCOUNT:TARGET (default: no delivery)")
    .option("--missed <policy>", "occurrences passed while the gateway was down: skip, latest (default) or all")
    .option("--catchup-window <duration>", "how late a missed occurrence may still run (default 1h)")
    .option("--timeout <duration>", "a run's time limit; past it the outcome is unknown (default 10m)")
    .option("--retry-unknown", "resume an occurrence a crash interrupted instead of recording it as unknown");
  cronCmd("list", "every job: schedule, next occurrence, last outcome, delivery", (m) => m.listCommand);
  cronCmd("show", "one job and its latest occurrences", (m) => m.historyCommand("show"))
    .argument("<job>", "its name or id")
    .option("--limit <n>", "occurrences shown (1-1000)");
  cronCmd("runs", "a job's occurrences, newest first: delivered, done, failed, missed or unknown", (m) => m.historyCommand("runs"))
    .argument("<job>", "its name or id")
    .option("--limit <n>", "at most this many (1-1000)");
  cronCmd("run-now", "fire one occurrence now, by hand (the gateway must run)", (m) => m.runNowCommand).argument("<job>", "its name or id");
  cronCmd("pause", "stop firing a job until it is resumed", (m) => m.changeCommand("pause")).argument("<job>", "its name or id");
  cronCmd("resume", "fire a paused job again (what passed while paused does not run)", (m) => m.changeCommand("resume")).argument("<job>", "its name or id");
  cronCmd("remove", "remove a job (its history stays)", (m) => m.changeCommand("remove")).argument("<job>", "its name or id");

  const hooks = program.command("hooks").description("webhooks in: the hook token and what senders delivered (docs/hooks.md)");
  const hooksCmd = subcommands(hooks, () => import("./commands/hooks.ts"));
  hooksCmd("token", "make the hook token and print it once (only its hash is kept); refused when one exists, unless --rotate", (m) => m.tokenCommand).option(
    "--rotate",
    "replace the existing token: the old one stops working at once",
  );
  hooksCmd("status", "whether a token is set, the mappings, the recent deliveries and what became of them", (m) => m.statusCommand);

  const alerts = program.command("alerts").description("the watchdog: one alert, then one recovery, on another channel or a webhook (docs/alerts.md)");
  const alertsCmd = subcommands(alerts, () => import("./commands/alerts.ts"));
  alertsCmd("status", "the targets, what is bad now and when it alerts, open and recent alerts with each send", (m) => m.statusCommand).option(
    "--recent <n>",
    "closed alerts shown (1-100, default 10)",
  );
  alertsCmd("test", "send a test alert to every target and say what became of each send (the gateway must run)", (m) => m.testCommand);
}
