/**
 * The browser commands' command line, read without the CLI framework. `--profile` after
 * `browser` names the browser profile; before it (or ONEBRAIN_PROFILE) it names the brain, as
 * everywhere else. Commander hands both to the global option, so they are told apart here by
 * where they stand on the command line.
 */
import { profilesAround } from "../profile-argv.ts";

/** The brain profile and the browser profile from a command line (`--profile X` or `--profile=X`, before or after `browser`). */
export function splitProfiles(argv: readonly string[]): { brain: string | undefined; browser: string | undefined } {
  const p = profilesAround(argv, "browser");
  return { brain: p.brain, browser: p.command };
}

/**
 * Whether a command line is exactly `[--profile B] browser status [--profile P] [--json]`, in any
 * order of the flags after `status`: the only shape `browser status`'s fast path answers. Anything
 * else (help, a typo, another flag, an empty profile) goes to the full CLI, which explains it.
 */
export function isPlainBrowserStatus(argv: readonly string[]): { json: boolean } | null {
  let i = 0;
  const profileAt = (j: number): number => {
    if (argv[j] === "--profile") return argv[j + 1] && !argv[j + 1]!.startsWith("-") ? j + 2 : -1;
    if (argv[j]!.startsWith("--profile=")) return argv[j]!.length > "--profile=".length ? j + 1 : -1;
    return j;
  };
  if (argv[i]?.startsWith("--profile")) i = profileAt(i);
  if (i < 0 || argv[i] !== "browser" || argv[i + 1] !== "status") return null;
  let json = false;
  for (i += 2; i < argv.length;) {
    if (argv[i] === "--json" && !json) {
      json = true;
      i++;
    } else if (argv[i]!.startsWith("--profile")) {
      i = profileAt(i);
      if (i < 0) return null;
    } else return null;
  }
  return { json };
}
