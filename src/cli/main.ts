/**
 * The onebrain CLI. Commands are thin: parse, call a domain function, render text or --json.
 * Command modules load lazily so that `onebrain gateway` pays only for what it uses.
 */
import { Command, CommanderError, Option } from "commander";
import { OnebrainError } from "../shared/errors.ts";
import { onebrainVersion } from "../shared/version.ts";
import { reportError, setHintProfile } from "./output.ts";
import { hintProfileOf } from "./brain.ts";
import type { GlobalOptions } from "./brain.ts";
import { automationCommands, type Action } from "./automation-commands.ts";
import { gatewayCommands } from "./gateway-commands.ts";

/** Wraps a lazily imported action: coded errors become their exit codes; --json errors are JSON. */
function action(load: () => Promise<{ default: Action }>) {
  return async (...raw: unknown[]) => {
    const cmd = raw[raw.length - 1] as Command;
    const opts = cmd.opts();
    const args = raw.slice(0, -2).filter((a): a is string => typeof a === "string");
    try {
      setHintProfile(hintProfileOf(program.opts<GlobalOptions>().profile));
      const mod = await load();
      await mod.default(program.opts<GlobalOptions>(), opts, args);
    } catch (err) {
      reportError(err, Boolean(opts.json));
    }
  };
}

const program = new Command("onebrain")
  .description("A self-hosted AI-agent gateway: one brain per state dir, enforced by the kernel.")
  .version(onebrainVersion(), "-V, --version")
  .addOption(new Option("--profile <name>", "use the named profile (state dir ~/.onebrain-NAME, its own ports)").env("ONEBRAIN_PROFILE"))
  .showSuggestionAfterError(true)
  // Commander's own error text is replaced by ours (with a code and exit status), so silence it.
  .configureOutput({ writeErr: (text) => (text.startsWith("error:") ? undefined : process.stderr.write(text)) })
  .exitOverride();

// `gateway run|status|probe|install|uninstall|start|stop|restart`.
gatewayCommands(program, action);

program
  .command("status")
  .description("one-screen summary of this brain, or with --url of the gateway there (onebrain or OpenClaw)")
  .option("--json", "print JSON")
  .option("--deep", "add every check: config, permissions, port plan overlaps, log file")
  .option("--url <url>", "a gateway's WebSocket URL: its status over RPC (an OpenClaw, Clawdbot or Moltbot gateway too)")
  .option("--token <token>", "with --url: its token (default: this brain's)")
  .option("--password <password>", "with --url: its password (default: this brain's)")
  .option("--timeout <ms>", "with --url: overall timeout", "3000")
  .action(action(() => import("./commands/status.ts")));

program
  .command("doctor")
  .description("check this brain and this host: other brains, lock, ports, service, permissions, exposure; read-only unless --fix")
  .option("--json", "print JSON: {ok, worst, checks, fixed?}")
  .option("--deep", "slower checks too: with --url, hold a WebSocket idle to find a proxy timeout shorter than the heartbeat")
  .option("--fix", "apply safe, reversible fixes (permissions, a stale owner record), with a backup and a list of changes")
  .option("--yes", "with --fix: also fixes that stop a process or edit a service")
  .option("--url <url>", "a reverse proxy in front of this gateway (https://host/): try a real WebSocket handshake through it")
  .option("--timeout <ms>", "network timeout for --url", "3000")
  .action(action(() => import("./commands/doctor.ts")));

program
  .command("health")
  .description("ask the running gateway for its health over RPC")
  .option("--json", "print JSON")
  .option("--timeout <ms>", "timeout", "3000")
  .action(action(() => import("./commands/health.ts")));

program
  .command("setup")
  .description("create the state dir (0700), a config (0600) with a generated token, and the workspace")
  .option("--force", "replace an existing config (the old one is kept as .bak)")
  .option("--json", "print JSON")
  .action(action(() => import("./commands/setup.ts")));

program
  .command("logs")
  .description("show the gateway's file log")
  .option("--follow", "keep printing new lines (survives rotation)")
  .option("--lines <n>", "how many recent lines", "100")
  .option("--json", "print raw JSON lines")
  .action(action(() => import("./commands/logs.ts")));

program
  .command("backup")
  .description("copy the brain's database to a file (consistent; safe while the gateway runs)")
  .option("--out <file>", "where to write it (default: <stateDir>/backups/brain-YYYYMMDD-HHMMSS.db)")
  .option("--json", "print JSON")
  .action(action(() => import("./commands/backup.ts")));

program
  .command("restore")
  .argument("<file>", "a backup made by `onebrain backup`")
  .description("replace the brain's database with a backup (the gateway must be stopped; the old one is kept)")
  .option("--json", "print JSON")
  .action(action(() => import("./commands/restore.ts")));

program
  .command("migrate")
  .description("copy sessions, transcripts, config and workspace files of another state dir into this brain (both must be stopped)")
  .requiredOption("--from <dir>", "the other brain's state dir")
  .option("--force", "also replace what this brain already has (same sessions, differing config values, workspace files)")
  .option("--dry-run", "show what would be moved; change nothing")
  .option("--json", "print JSON")
  .action(action(() => import("./commands/migrate.ts")));

// Coming over from OpenClaw (docs/openclaw-import.md).
program
  .command("import")
  .description("bring another gateway's settings and history into this brain")
  .command("openclaw")
  .description("import an OpenClaw, Clawdbot or Moltbot state dir: settings, agents, sessions, cron jobs, allowlists (its gateway must be stopped)")
  .option("--from <dir>", "the state dir (or its openclaw.json); default: --profile, then OPENCLAW_STATE_DIR, then ~/.openclaw, ~/.clawdbot")
  .option("--profile <name>", "after `import`: OpenClaw's profile (~/.openclaw-NAME); before `import` it names this brain")
  .option("--force", "also replace settings this brain already has")
  .option("--dry-run", "report exactly what would be imported; write nothing")
  .option("--json", "print JSON")
  .action(action(() => import("./commands/import-openclaw.ts")));

program
  .command("onboard")
  .description("first run, step by step: setup, model and key, channels, bind and auth, service, then doctor")
  .option("--non-interactive", "ask nothing: use the flags below and defaults (needed when stdin is not a terminal)")
  .option("--provider <name>", "anthropic, openai, openai-compatible or skip")
  .option("--provider-name <name>", "name for an openai-compatible provider (default: local)")
  .option("--model <id>", "model id (default: the provider's usual one)")
  .option("--base-url <url>", "endpoint of an openai-compatible server, e.g. http://127.0.0.1:11434/v1")
  .option("--api-key-env <var>", "the environment variable that will hold the key (kept out of the file)")
  .option("--api-key <key>", "store this key in the config (0600); prefer --api-key-env")
  .option("--bind <mode>", "loopback, lan or tailnet")
  .option("--auth <mode>", "token or none (none only with loopback)")
  .option("--install-service", "install the gateway as a service (`onebrain gateway install`)")
  .option("--no-doctor", "skip the final `onebrain doctor`")
  .option("--json", "print JSON (with --non-interactive)")
  .action(action(() => import("./commands/onboard.ts")));

// Channels (Telegram) and who may talk to the agent through them.
const channels = program.command("channels").description("the chat channels of this brain: status, and linking WhatsApp");
channels
  .command("status")
  .description("each channel's state, traffic, credential lease and last error, from the running gateway (else from the config)")
  .option("--probe", "also ask the platform who the bot is (Telegram getMe), with the latency")
  .option("--timeout <ms>", "RPC timeout", "3000")
  .option("--json", "print JSON")
  .action(action(() => import("./commands/channels-status.ts")));
channels
  .command("login")
  .argument("<channel>", "whatsapp")
  .description("link a WhatsApp device: scan the QR code drawn here, or --phone for a code to type on the phone")
  .option("--phone <number>", "the number to link, in E.164 (+4915123456789): show a pairing code instead of a QR code")
  .option("--timeout <seconds>", "how long to wait for the phone", "180")
  .option("--json", "print JSON lines (each QR code or pairing code, then the result)")
  .action(action(() => import("./commands/whatsapp-link.ts").then((m) => ({ default: m.loginCommand as Action }))));
channels
  .command("logout")
  .argument("<channel>", "whatsapp")
  .description("forget the linked WhatsApp device's keys (remove it on the phone too)")
  .option("--json", "print JSON")
  .action(action(() => import("./commands/whatsapp-link.ts").then((m) => ({ default: m.logoutCommand as Action }))));
const pairing = program.command("pairing").description("access requests of unknown senders: list them, approve a code");
pairing
  .command("list")
  .description("pending requests (with their codes) and approved senders")
  .option("--channel <id>", "only this channel, e.g. telegram")
  .option("--json", "print JSON")
  .action(action(() => import("./commands/pairing-list.ts")));
pairing
  .command("approve")
  .argument("<channel>", "the channel, e.g. telegram")
  .argument("<code>", "the code the sender was given")
  .description("let the sender of a pending code talk to the agent")
  .option("--json", "print JSON")
  .action(action(() => import("./commands/pairing-approve.ts")));
const outbox = program.command("outbox").description("replies waiting, delivered or failed: list them, send a failed one again");
outbox
  .command("list")
  .description("replies newest first with state, attempts and last error")
  .option("--failed", "only replies that failed")
  .option("--limit <n>", "at most this many (1-1000)", "50")
  .option("--json", "print JSON")
  .action(action(() => import("./commands/outbox-list.ts")));
outbox
  .command("retry")
  .argument("<id>", "the reply's id (`outbox list --failed`)")
  .description("send a failed reply again (attempts reset; never a delivered one, never a part twice)")
  .option("--json", "print JSON")
  .action(action(() => import("./commands/outbox-retry.ts")));

const approvals = program.command("approvals").description("exec approval requests: list them, allow or deny one");
approvals
  .command("list")
  .description("requests waiting for an answer: the exact command, cwd, env names, session and time left")
  .option("--all", "also the recent answered and expired ones")
  .option("--json", "print JSON")
  .action(action(() => import("./commands/approvals-list.ts")));
approvals
  .command("allow")
  .argument("<id>", "the request's id (`approvals list`)")
  .description("let the command run once (with --always: its executables run without asking from now on)")
  .option("--always", "also put its executables on the exec allowlist")
  .option("--json", "print JSON")
  .action(action(() => import("./commands/approvals-answer.ts").then((m) => ({ default: m.allowCommand as Action }))));
approvals
  .command("deny")
  .argument("<id>", "the request's id (`approvals list`)")
  .description("refuse the command (the model is told, with the reason)")
  .option("--reason <text>", "why, for the model and the record")
  .option("--json", "print JSON")
  .action(action(() => import("./commands/approvals-answer.ts").then((m) => ({ default: m.denyCommand as Action }))));

const devices = program.command("devices").description("OpenClaw clients that prove a device key: list them, approve or reject a request, revoke a device");
devices
  .command("list")
  .description("pending requests and approved devices (which are connected, while the gateway runs)")
  .option("--json", "print JSON")
  .action(action(() => import("./commands/devices-list.ts")));
const deviceCmd = (name: string, description: string, pick: (m: typeof import("./commands/devices-change.ts")) => unknown) =>
  devices
    .command(name)
    .argument("<id>", "a request or device id, or a unique prefix of 6+ characters (`devices list`)")
    .description(description)
    .option("--json", "print JSON")
    .action(action(() => import("./commands/devices-change.ts").then((m) => ({ default: pick(m) as Action }))));
deviceCmd("approve", "let a pending device in with the role and scopes it asked for", (m) => m.approveCommand);
deviceCmd("reject", "drop a pending request (the device may ask again)", (m) => m.rejectCommand);
deviceCmd("revoke", "forget an approved device and its tokens; its open sockets are closed", (m) => m.revokeCommand);

const browser = program.command("browser").description("the brain's browsers: status, start, stop, tabs, snapshot, actions (docs/browser.md)");
const browserCmd = (name: string, description: string, pick: (m: typeof import("./commands/browser.ts")) => unknown) =>
  browser
    .command(name)
    .description(description)
    .option("--profile <name>", "the browser profile (default: browser.defaultProfile); before `browser` it names the brain")
    .option("--json", "print JSON")
    .action(action(() => import("./commands/browser.ts").then((m) => ({ default: pick(m) as Action }))));
browserCmd("status", "each profile: running or not, pid, CDP port, headless and sandbox, from the running gateway", (m) => m.statusCommand);
browserCmd("start", "launch the profile's browser (or attach to its cdpUrl)", (m) => m.lifecycleCommand("start"));
browserCmd("stop", "stop the profile's browser (its whole process group)", (m) => m.lifecycleCommand("stop"));
browserCmd("tabs", "the open tabs (* marks the current one)", (m) => m.tabsCommand);
browserCmd("open", "open a tab at URL (starts the browser if needed)", (m) => m.gotoCommand("open")).argument("<url>", "an http(s) URL");
browserCmd("navigate", "send the current tab (or --tab) to URL", (m) => m.gotoCommand("navigate"))
  .argument("<url>", "an http(s) URL")
  .option("--tab <id>", "a tab id from `browser tabs`");
browserCmd("focus", "make a tab current and bring it to the front", (m) => m.tabCommand("focus")).argument("<tab>", "a tab id from `browser tabs`");
browserCmd("close", "close a tab", (m) => m.tabCommand("close")).argument("<tab>", "a tab id from `browser tabs`");
browserCmd("snapshot", "the page's accessibility tree with element refs (what `act` takes)", (m) => m.snapshotCommand).option("--tab <id>", "a tab id");
browserCmd("act", 'one action by ref, as JSON: \'{"kind":"click","ref":"e3"}\' (click, type, fill, press, select, hover, wait)', (m) => m.actCommand)
  .argument("<action>", "the action as JSON")
  .option("--tab <id>", "a tab id");
browserCmd("screenshot", "a PNG of the current tab (or --tab), written to --out", (m) => m.fileCommand("screenshot"))
  .option("--out <file>", "where to write it (default: ./screenshot-TIME.png)")
  .option("--full-page", "the whole page, not just the viewport")
  .option("--tab <id>", "a tab id");
browserCmd("pdf", "the current tab (or --tab) printed as PDF (headless only), written to --out", (m) => m.fileCommand("pdf"))
  .option("--out <file>", "where to write it (default: ./pdf-TIME.pdf)")
  .option("--tab <id>", "a tab id");

// cron, hooks and alerts (docs/cron.md, docs/hooks.md, docs/alerts.md).
automationCommands(program, action);

const config = program.command("config").description("read and edit the config file");
config
  .command("path")
  .description("print the config file path")
  .option("--json", "print JSON")
  .action(action(() => import("./commands/config-path.ts")));
config
  .command("get")
  .argument("<key>", "dotted key, e.g. gateway.port")
  .description("print a value (secrets masked unless --reveal)")
  .option("--json", "print JSON")
  .option("--reveal", "show secrets in full")
  .action(action(() => import("./commands/config-get.ts")));
config
  .command("set")
  .argument("<key>")
  .argument("<value>", "JSON5 value or plain text")
  .description("set a value (validated, atomic, keeps a .bak)")
  .option("--json", "print JSON")
  .action(action(() => import("./commands/config-set.ts")));
config
  .command("unset")
  .argument("<key>")
  .description("remove a key (back to its default)")
  .option("--json", "print JSON")
  .action(action(() => import("./commands/config-unset.ts")));
config
  .command("validate")
  .description("check the config file against the schema")
  .option("--json", "print JSON")
  .action(action(() => import("./commands/config-validate.ts")));

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help") process.exitCode = 0;
    else reportError(new OnebrainError("USAGE", err.message.replace(/^error: /, ""), { hint: "See `onebrain --help`." }), false);
  } else {
    reportError(err, false);
  }
}
