/**
 * The onboarding step interface. A step asks through the Prompter (so it runs the same with a
 * terminal or with flags), changes the brain through the domain functions (setup, config edit),
 * and returns a JSON-able result for `--json`. Adding a step (a channel that needs a token, say)
 * is a new file in steps/ and one line in the list in onboard.ts.
 */
import type { BrainPaths } from "../paths/paths.ts";
import type { Prompter } from "./prompt.ts";

/** The flags of `onebrain onboard`; each answers one question. */
export interface OnboardFlags {
  provider?: string | undefined;
  providerName?: string | undefined;
  model?: string | undefined;
  baseUrl?: string | undefined;
  apiKeyEnv?: string | undefined;
  apiKey?: string | undefined;
  bind?: string | undefined;
  auth?: string | undefined;
  installService?: boolean | undefined;
  /** False with --no-doctor. */
  doctor?: boolean | undefined;
}

/** What running `onebrain ARGS` as a subprocess gave. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs this onebrain's own CLI (same binary, same brain) as a subprocess. */
export type CliRunner = (args: string[]) => Promise<CliRun>;

/** What a step may use. */
export interface OnboardContext {
  paths: BrainPaths;
  prompt: Prompter;
  flags: OnboardFlags;
  env: NodeJS.ProcessEnv;
  runCli: CliRunner;
  /** Results of the steps so far, by step id. */
  results: Record<string, unknown>;
}

/** One step of onboarding. */
export interface OnboardStep {
  id: string;
  /** Shown as the step's heading. */
  title: string;
  run(ctx: OnboardContext): Promise<unknown>;
  /** Checks this step's flags before any step runs, so a bad flag changes nothing (throws USAGE). */
  checkFlags?(flags: OnboardFlags, interactive: boolean): void;
}
