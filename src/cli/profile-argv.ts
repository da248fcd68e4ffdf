/**
 * `--profile` on either side of a command word. Before it (or ONEBRAIN_PROFILE) it names the brain,
 * as everywhere else; after it, the command's own profile (`browser`'s browser profile, `import`'s
 * OpenClaw profile). Commander hands both to the global option, so they are told apart here by
 * where they stand, without the CLI framework (the browser's fast path reads argv before loading it).
 */

/** The last `--profile X` or `--profile=X` of `part`. */
function lastProfile(part: readonly string[]): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < part.length; i++) {
    const a = part[i]!;
    if (a === "--profile" && i + 1 < part.length) found = part[++i];
    else if (a.startsWith("--profile=")) found = a.slice("--profile=".length);
  }
  return found;
}

/** The brain's profile and `command`'s own, when the first bare word of argv is `command` (a --profile value is never it). */
export function profilesAround(argv: readonly string[], command: string): { brain: string | undefined; command: string | undefined } {
  let at = -1;
  for (let i = 0; i < argv.length && at < 0; i++) {
    if (argv[i] === "--profile") i++;
    else if (!argv[i]!.startsWith("-")) at = argv[i] === command ? i : argv.length;
  }
  if (at < 0 || at >= argv.length) return { brain: lastProfile(argv), command: undefined };
  return { brain: lastProfile(argv.slice(0, at)), command: lastProfile(argv.slice(at + 1)) };
}
