/**
 * Whether this onebrain build has a command, asked of the CLI itself (`--help`), since commands
 * arrive over time (`doctor`, `gateway install`) and onboarding runs them as subprocesses.
 */
import type { CliRunner } from "./step.ts";

/** The subcommand names listed by `onebrain ...parent --help`. */
export async function listCommands(runCli: CliRunner, parent: string[]): Promise<Set<string>> {
  const r = await runCli([...parent, "--help"]);
  const names = new Set<string>();
  if (r.code !== 0) return names;
  const section = r.stdout.split(/^Commands:\s*$/m)[1] ?? "";
  for (const m of section.matchAll(/^ {2}([a-z][\w-]*)/gm)) names.add(m[1]!);
  return names;
}

/** True when `onebrain ...words` is a command of this build (`["gateway", "install"]`). */
export async function hasCommand(runCli: CliRunner, words: string[]): Promise<boolean> {
  return (await listCommands(runCli, words.slice(0, -1))).has(words.at(-1)!);
}
