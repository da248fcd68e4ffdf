/**
 * What a command line says about a process: whether it is a onebrain or OpenClaw-family gateway
 * (not a CLI command talking about one), and the values of its flags. Pure: argv in, facts out.
 */
/** The gateways the host scan recognises. */
export type BrainKind = "onebrain" | "openclaw" | "clawdbot" | "moltbot";

const CLAW = /(?:^|[\s/._-])(openclaw|clawdbot|moltbot)(?:$|[\s/._-])/i;
/** CLI subcommands that talk about a gateway without being one. */
const NOT_A_GATEWAY = /(?:^|\s)(status|probe|doctor|logs|install|uninstall|stop|restart|health)(?:\s|$)/;
const VALUE_FLAGS = new Set(["--profile", "--port", "--url", "--timeout", "--token", "--password"]);
/**
 * Every gateway command line has one of these words (a onebrain argv names its binary, a claw
 * gateway's says "gateway"): a raw /proc/PID/cmdline without them is no gateway, and needs no split.
 */
const MAYBE_A_GATEWAY = /onebrain|gateway/i;

/** False when a raw /proc/PID/cmdline (NUL-separated) cannot be a gateway's; true when it may be. */
export function mayBeGatewayCmdline(raw: string): boolean {
  return MAYBE_A_GATEWAY.test(raw);
}

/** The onebrain subcommand of an argv (`gateway`, `gateway run`, `restore`...), or null when it is not onebrain. */
export function onebrainCommand(argv: readonly string[]): string | null {
  const bin = argv.findIndex((a) => /(^|\/)onebrain(\.js)?$/.test(a) || a.endsWith("/dist/onebrain.js"));
  if (bin === -1) return null;
  const words: string[] = [];
  for (let i = bin + 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (VALUE_FLAGS.has(a)) i++;
    else if (!a.startsWith("-")) words.push(a);
  }
  return words.slice(0, 2).join(" ");
}

/** True for the argv of a onebrain gateway (`onebrain gateway`, `onebrain gateway run`). */
export function isOnebrainGatewayArgv(argv: readonly string[]): boolean {
  const cmd = onebrainCommand(argv);
  return cmd === "gateway" || cmd === "gateway run";
}

/** The OpenClaw-family kind of a gateway argv (`openclaw gateway`, `openclaw-gateway`), or null. */
export function clawGatewayKind(argv: readonly string[]): BrainKind | null {
  const line = argv.join(" ");
  const m = CLAW.exec(line);
  if (!m || !/gateway/i.test(line) || NOT_A_GATEWAY.test(line)) return null;
  return m[1]!.toLowerCase() as BrainKind;
}

/** The value of `--flag V` or `--flag=V` in an argv. */
export function flagValue(argv: readonly string[], flag: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === flag) return argv[i + 1];
    if (argv[i]!.startsWith(`${flag}=`)) return argv[i]!.slice(flag.length + 1);
  }
  return undefined;
}
