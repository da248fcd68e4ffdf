/**
 * Programs that run another program named in their arguments (`sh -c`, `env`, `nice`, `xargs`,
 * ...), read by their real option grammars so the program inside can be checked too: allowing
 * `nice` must not allow `nice touch X`. An option not listed here makes the command unparseable
 * rather than guessed at, since a misread option shifts where the inner command starts.
 */
import { bad, readOptions, type OptionSpec } from "./options.ts";

/** A wrapper's arguments: plain words kept as they are, an inner command, or an inner shell script. */
export type Part = string | { argv: string[] } | { script: string };

/** What a wrapper's arguments hold. */
export interface Unwrapped {
  parts: Part[];
  /** xargs -I: a string that xargs replaces with input, so it must not reach a command name. */
  replacement?: string;
  /** xargs without -I: input words are appended to the inner command's arguments. */
  appends?: boolean;
}

/** The options as words, then the inner command (if any) as a part. */
function simple(tool: string, args: string[], spec: OptionSpec): Unwrapped {
  const at = readOptions(tool, args, spec);
  return withInner(args, at);
}

function withInner(args: string[], at: number): Unwrapped {
  const parts: Part[] = args.slice(0, at);
  if (at < args.length) parts.push({ argv: args.slice(at) });
  return { parts };
}

const SHELL_FLAGS = "aefhluvxCEPT";
const SHELL_LONG = new Set("--login --noprofile --norc --posix".split(" "));
const SHELL_SET_O = new Set("errexit nounset pipefail xtrace verbose noglob noclobber posix allexport".split(" "));

/** `sh [-flags] [-o name] -c SCRIPT [name [args...]]`: the script is checked as a command line. */
function shell(tool: string, args: string[]): Unwrapped {
  const parts: Part[] = [];
  let hasC = false;
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--" || arg === "-") {
      parts.push(arg);
      i++;
      break;
    }
    if (arg.startsWith("--")) {
      if (!SHELL_LONG.has(arg)) bad(`\`${tool}\` option \`${arg}\` is not one the allowlist knows`);
      parts.push(arg);
      continue;
    }
    if (!/^[-+]./.test(arg)) break;
    parts.push(arg);
    for (const ch of arg.slice(1)) {
      if (ch === "c" && arg.startsWith("-")) hasC = true;
      else if (ch === "o") {
        const name = args[++i];
        if (name === undefined || !SHELL_SET_O.has(name)) bad(`\`${tool} -o ${name ?? ""}\` is not an option the allowlist knows`);
        parts.push(name);
      } else if (!SHELL_FLAGS.includes(ch)) bad(`\`${tool}\` option \`-${ch}\` is not one the allowlist knows (-i, -s and -m are never allowed)`);
    }
  }
  if (!hasC) bad(`\`${tool}\` without \`-c\` runs a script file or its input, which cannot be checked; pass the command with \`-c\``);
  const script = args[i];
  if (script === undefined) bad(`\`${tool} -c\` has no command`);
  parts.push({ script }, ...args.slice(i + 1));
  return { parts };
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `env [-i] [-u NAME] [NAME=VALUE...] [cmd...]`: only variables the config allows may be set. */
function env(args: string[], allowedEnv: ReadonlySet<string>): Unwrapped {
  let at = readOptions("env", args, {
    short: { i: "flag", u: "arg", v: "flag", "0": "flag" },
    long: { "ignore-environment": "flag", unset: "arg", debug: "flag", null: "flag" },
  });
  if (args[at] === "-") at++;
  for (; at < args.length; at++) {
    const arg = args[at] as string;
    const eq = arg.indexOf("=");
    if (eq < 0) break;
    const name = arg.slice(0, eq);
    if (!NAME.test(name)) bad(`\`env\` sets \`${name}\`, which is not a variable name`);
    if (!allowedEnv.has(name)) bad(`\`env\` sets ${name}, which is not in tools.exec.env; only the names listed there may be set`);
  }
  return withInner(args, at);
}

/** `nice [-n N | -N] cmd` (a bare `-N` is nice's own historical form). */
function nice(args: string[]): Unwrapped {
  if (/^-[0-9]+$/.test(args[0] ?? "")) return withInner(args, 1);
  return simple("nice", args, { short: { n: "arg" }, long: { adjustment: "arg" } });
}

/** `timeout [opts] DURATION cmd`. */
function timeout(args: string[]): Unwrapped {
  const at = readOptions("timeout", args, {
    short: { s: "arg", k: "arg", v: "flag" },
    long: { signal: "arg", "kill-after": "arg", "preserve-status": "flag", foreground: "flag", verbose: "flag" },
  });
  const duration = args[at];
  if (duration === undefined || !/^(\d+(\.\d*)?|\.\d+)[smhd]?$/.test(duration))
    bad(`\`timeout\` needs a duration before the command, found \`${duration ?? ""}\``);
  // Without --foreground timeout moves itself into a process group of its own, out of reach of
  // the group kill that ends a command on timeout, abort or a gateway that died.
  const parts: Part[] = args.slice(0, at);
  if (!parts.includes("--foreground")) parts.unshift("--foreground");
  parts.push(duration);
  if (at + 1 < args.length) parts.push({ argv: args.slice(at + 1) });
  return { parts };
}

/** `xargs [opts] [cmd [args]]`: the command defaults to echo; input becomes arguments. */
function xargs(args: string[]): Unwrapped {
  let replacement: string | undefined;
  const at = readOptions(
    "xargs",
    args,
    {
      short: {
        "0": "flag",
        a: "arg",
        d: "arg",
        E: "arg",
        e: "optional",
        I: "arg",
        i: "optional",
        l: "optional",
        L: "arg",
        n: "arg",
        P: "arg",
        r: "flag",
        s: "arg",
        t: "flag",
        x: "flag",
      },
      long: {
        null: "flag",
        "arg-file": "arg",
        delimiter: "arg",
        eof: "optional",
        replace: "optional",
        "max-lines": "optional",
        "max-args": "arg",
        "max-procs": "arg",
        "no-run-if-empty": "flag",
        "max-chars": "arg",
        verbose: "flag",
        exit: "flag",
        "show-limits": "flag",
      },
    },
    (name, value) => {
      if (name === "I" || name === "i" || name === "replace") replacement = value ?? "{}";
    },
  );
  if (replacement === "") bad("`xargs -I` with an empty replacement string cannot be checked");
  const inner = at < args.length ? args.slice(at) : ["echo"];
  return { parts: [...args.slice(0, at), { argv: inner }], ...(replacement === undefined ? { appends: true } : { replacement }) };
}

/** `find ... -exec cmd args ; ...`: each -exec/-execdir/-ok/-okdir command is checked. */
function find(args: string[]): Unwrapped {
  const parts: Part[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    parts.push(arg);
    if (!["-exec", "-execdir", "-ok", "-okdir"].includes(arg)) continue;
    let end = i + 1;
    while (end < args.length && args[end] !== ";" && !(args[end] === "+" && args[end - 1] === "{}")) end++;
    if (end >= args.length) bad(`\`find ${arg}\` has no closing \`;\` or \`{} +\``);
    const inner = args.slice(i + 1, end);
    if (inner.length === 0 || (inner[0] as string).includes("{}")) bad(`\`find ${arg}\` must name a program, not run the files found`);
    parts.push({ argv: inner }, args[end] as string);
    i = end;
  }
  return { parts };
}

/** `exec cmd` and `command [-p] cmd` (shell builtins); `command -v/-V` only describes. */
function builtin(tool: string, args: string[]): Unwrapped {
  let describe = false;
  const at = readOptions(tool, args, { short: tool === "command" ? { p: "flag", v: "flag", V: "flag" } : {}, long: {} }, (name) => {
    if (name === "v" || name === "V") describe = true;
  });
  return describe ? { parts: args } : withInner(args, at);
}

const KINDS: Record<string, (args: string[], allowedEnv: ReadonlySet<string>) => Unwrapped> = {
  env,
  nice,
  timeout,
  xargs,
  find,
  exec: (args) => builtin("exec", args),
  command: (args) => builtin("command", args),
  setsid: (args) => simple("setsid", args, { short: { c: "flag", f: "flag", w: "flag" }, long: { ctty: "flag", fork: "flag", wait: "flag" } }),
  nohup: (args) => (args[0] === "--help" || args[0] === "--version" ? { parts: args } : withInner(args, args[0] === "--" ? 1 : 0)),
  stdbuf: (args) => simple("stdbuf", args, { short: { i: "arg", o: "arg", e: "arg" }, long: { input: "arg", output: "arg", error: "arg" } }),
  ionice: (args) => simple("ionice", args, { short: { c: "arg", n: "arg", t: "flag" }, long: { class: "arg", classdata: "arg", ignore: "flag" } }),
  time: (args) =>
    simple("time", args, {
      short: { f: "arg", o: "arg", a: "flag", p: "flag", q: "flag", v: "flag" },
      long: { format: "arg", output: "arg", append: "flag", portability: "flag", quiet: "flag", verbose: "flag" },
    }),
  sudo: (args) =>
    simple("sudo", args, {
      short: { u: "arg", g: "arg", n: "flag", H: "flag", k: "flag", E: "flag", P: "flag" },
      long: {
        user: "arg",
        group: "arg",
        "non-interactive": "flag",
        "set-home": "flag",
        "reset-timestamp": "flag",
        "preserve-env": "optional",
        "preserve-groups": "flag",
      },
    }),
};

const SHELLS = new Set("sh dash bash zsh ksh mksh ash posh yash".split(" "));

/** Multi-call binaries run the applet their first argument names; call the applet by its name. */
const MULTICALL = new Set("busybox toybox coreutils".split(" "));

/** Programs that run another program from their arguments in ways not read here. */
const OPAQUE_RUNNERS = new Set(
  "flock chroot unshare nsenter script su runuser doas pkexec sg newgrp strace ltrace watch chrt taskset numactl systemd-run parallel firejail bwrap proot xvfb-run dbus-run-session catchsegv faketime torsocks proxychains proxychains4".split(
    " ",
  ),
);

/**
 * Why a program is asked about even when allowlisted, or null: an allow-always answer must not
 * turn these into a way around the process-group kill or the check of what they run.
 */
export function alwaysAsk(name: string): string | null {
  if (name === "setsid") return "setsid takes the command out of the process group a timeout kills";
  if (OPAQUE_RUNNERS.has(name)) return `${name} runs a program from its arguments in a way the allowlist cannot check`;
  return null;
}

function grammar(name: string): string {
  return SHELLS.has(name) ? "sh" : name;
}

function isWrapper(name: string): boolean {
  return SHELLS.has(name) || MULTICALL.has(name) || name in KINDS;
}

/**
 * Which wrapper grammar reads a program started as `invoked` whose file is really `real`, or null.
 * The name it was started under wins (a multi-call binary acts on it); the real file's name counts
 * when the link's name is not a wrapper (a link `x` to `bash` is bash), and two different wrappers
 * are refused rather than guessed between.
 */
export function wrapperFor(invoked: string, real: string): string | null {
  const byName = isWrapper(invoked) ? invoked : null;
  const byFile = real !== invoked && isWrapper(real) && !MULTICALL.has(real) ? real : null;
  if (byName && byFile && grammar(byName) !== grammar(byFile)) bad(`\`${invoked}\` is a link to \`${real}\`; call the program by its own name`);
  return byName ?? byFile;
}

/** What the arguments of wrapper `name` hold; throws Unparseable when they cannot be read exactly. */
export function unwrap(name: string, args: string[], allowedEnv: ReadonlySet<string>): Unwrapped {
  if (SHELLS.has(name)) return shell(name, args);
  if (MULTICALL.has(name)) bad(`\`${name}\` runs the program named by its first argument; call that program by its own name`);
  const kind = KINDS[name];
  if (!kind) bad(`\`${name}\` is not a wrapper`);
  return kind(args, allowedEnv);
}
