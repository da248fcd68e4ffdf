/**
 * The check of one command: every program it would start (each segment, each wrapper layer and
 * what each wrapper runs, recursively), resolved to the identity the allowlist matches, and the
 * exact sh text that runs. That text is rebuilt from the checked words, every word quoted and
 * every resolved program written as its absolute path, so neither the shell's builtins, its PATH
 * search nor anything it would expand can make it run something other than what was checked.
 */
import path from "node:path";
import { invisibleReason, parseShell, quoteWord, renderList } from "./parse.ts";
import { resolveCommand } from "./resolve.ts";
import { bad, Unparseable } from "./options.ts";
import { alwaysAsk, type Part, unwrap, wrapperFor } from "./wrappers.ts";

/** A program the command would start. */
export interface Program {
  /** The command word as written. */
  word: string;
  /** The resolved identity (what the allowlist matches), or null when nothing by that name exists. */
  identity: string | null;
  /** Why it is asked about even when allowlisted (it escapes the group, or runs what we cannot read). */
  alwaysAsk: string | null;
}

/** A checked command: what the approver is shown, the sh text that runs, the programs it starts. */
export interface CheckedCommand {
  ok: true;
  /** Exactly what would run, as argv (`/bin/sh -c TEXT` for a shell string). */
  argv: string[];
  /** The sh text run after the process-group watcher starts. */
  script: string;
  programs: Program[];
}

/** A check: the command, or why it cannot be read exactly. */
export type Plan = CheckedCommand | { ok: false; reason: string };

/** What resolution depends on: the child's PATH, its working directory, the variables `env` may set. */
export interface PlanEnv {
  searchPath: string;
  cwd: string;
  allowedEnv: ReadonlySet<string>;
}

const MAX_DEPTH = 8;

/** Words sh reads as syntax at the start of a command; quoted, they would become program names. */
const RESERVED = new Set("if then else elif fi case esac for select while until do done in function { } ! [[ ]] coproc".split(" "));

/** Builtins with no program file that change the shell's state or run code (`cd` would move later relative paths). */
const STATE_BUILTINS = new Set(
  "cd . source eval trap export readonly unset set alias unalias hash read shift local getopts builtin enable declare typeset let fc ulimit umask wait jobs fg bg exit return break continue times shopt history bind complete compgen mapfile readarray pushd popd dirs disown suspend logout caller".split(
    " ",
  ),
);

/** The builtins read as wrappers; they start no program of their own. */
const BUILTIN_WRAPPERS = new Set("exec command".split(" "));

interface Walk {
  depth: number;
  /** More words will be appended to this command's arguments (it runs under xargs). */
  openTail: boolean;
  /** xargs -I's replacement string, which must reach no program name or wrapper word. */
  replacement: string | null;
}

/** Checks a shell string. */
export function planShell(command: string, env: PlanEnv): Plan {
  return guarded(() => {
    const programs: Program[] = [];
    const script = checkScript(command, env, 0, programs);
    return { ok: true, argv: ["/bin/sh", "-c", script], script, programs };
  });
}

/** Checks an argv (run without a shell of its own). */
export function planArgv(argv: string[], env: PlanEnv): Plan {
  return guarded(() => {
    if (argv.length === 0) bad("argv is empty");
    for (const word of argv) {
      const invisible = invisibleReason(word);
      if (invisible) bad(invisible);
    }
    const programs: Program[] = [];
    const rendered = checkArgv(argv, env, { depth: 0, openTail: false, replacement: null }, programs);
    return { ok: true, argv: rendered, script: `exec ${rendered.map(quoteWord).join(" ")}`, programs };
  });
}

function guarded(check: () => CheckedCommand): Plan {
  try {
    return check();
  } catch (err) {
    if (err instanceof Unparseable) return { ok: false, reason: err.message };
    throw err;
  }
}

/** A shell string parsed, each segment checked, rendered back with every word quoted. */
function checkScript(text: string, env: PlanEnv, depth: number, programs: Program[]): string {
  const parsed = parseShell(text);
  if (!parsed.ok) bad(depth === 0 ? parsed.reason : `inside a shell's -c command, ${parsed.reason}`);
  const walk = { depth, openTail: false, replacement: null };
  const segments = parsed.list.segments.map((words) => checkArgv(words, env, walk, programs));
  return renderList({ segments, operators: parsed.list.operators });
}

/** One simple command checked; returns its words as they will run. */
function checkArgv(words: string[], env: PlanEnv, walk: Walk, programs: Program[]): string[] {
  if (walk.depth > MAX_DEPTH) bad(`wrappers nest deeper than ${MAX_DEPTH} levels`);
  const word = words[0];
  if (word === undefined) bad("a wrapper has no command to run");
  if (walk.replacement !== null && word.includes(walk.replacement)) bad(`xargs would put its input into the program name \`${word}\``);
  if (RESERVED.has(word)) bad(`\`${word}\` is shell syntax, which the allowlist cannot check; run simple commands joined by |, &&, || and ;`);
  if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(word)) bad(`\`${word}\` sets a variable for the command; pass it in the env input instead`);
  if (STATE_BUILTINS.has(word)) bad(`\`${word}\` is a shell builtin that changes the shell or runs code; use the cwd and env inputs instead`);

  let head = word;
  let name = word;
  let realName = word;
  if (!BUILTIN_WRAPPERS.has(word)) {
    const resolved = resolveCommand(word, env.searchPath, env.cwd);
    name = path.basename(resolved?.identity ?? word);
    realName = resolved ? path.basename(resolved.real) : name;
    programs.push({ word, identity: resolved?.identity ?? null, alwaysAsk: alwaysAsk(name) ?? alwaysAsk(realName) });
    if (resolved) head = resolved.identity;
  }
  const wrapper = wrapperFor(name, realName);
  if (!wrapper) return [head, ...words.slice(1)];

  const unwrapped = unwrap(wrapper, words.slice(1), env.allowedEnv);
  const out = [head];
  unwrapped.parts.forEach((part, i) => out.push(...renderPart(part, i === unwrapped.parts.length - 1)));
  if (walk.openTail && !unwrapped.parts.some((p) => typeof p === "object" && "script" in p) && !isArgv(unwrapped.parts.at(-1))) {
    bad(`xargs appends its input to the arguments of \`${word}\`, where it could name a program`);
  }
  return out;

  function renderPart(part: Part, last: boolean): string[] {
    if (typeof part === "string") {
      if (walk.replacement !== null && part.includes(walk.replacement)) bad(`xargs would put its input into \`${word}\`'s argument \`${part}\``);
      return [part];
    }
    if ("script" in part) {
      if (walk.replacement !== null && part.script.includes(walk.replacement)) bad(`xargs would put its input into the command of \`${word} -c\``);
      return [checkScript(part.script, env, walk.depth + 1, programs)];
    }
    const inner: Walk = {
      depth: walk.depth + 1,
      openTail: (last && walk.openTail) || unwrapped.appends === true,
      replacement: unwrapped.replacement ?? walk.replacement,
    };
    return checkArgv(part.argv, env, inner, programs);
  }
}

function isArgv(part: Part | undefined): boolean {
  return typeof part === "object" && "argv" in part;
}
