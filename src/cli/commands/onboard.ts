/** `onebrain onboard`: the interactive first run, or `--non-interactive` with flags. */
import { spawn } from "node:child_process";
import { runOnboard } from "../../onboard/onboard.ts";
import { presetPrompter, ttyPrompter } from "../../onboard/prompt.ts";
import type { CliRun, CliRunner, OnboardFlags } from "../../onboard/step.ts";
import { OnebrainError } from "../../shared/errors.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";
import { printJson, printLines, withProfile } from "../output.ts";

type Opts = OnboardFlags & { nonInteractive?: boolean; json?: boolean };

/** Runs this very binary (same node flags, same brain) with `args`, capturing its output. */
function cliRunner(global: GlobalOptions): CliRunner {
  const prefix = global.profile ? ["--profile", global.profile] : [];
  return (args) =>
    new Promise<CliRun>((resolve) => {
      const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...prefix, ...args], {
        env: { ...process.env, NO_COLOR: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("error", (err) => resolve({ code: null, stdout, stderr: `${stderr}${err.message}\n` }));
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
}

/** The command. */
export default async function onboardCommand(global: GlobalOptions, opts: Opts): Promise<void> {
  const interactive = !opts.nonInteractive;
  if (interactive && !process.stdin.isTTY) {
    throw new OnebrainError("USAGE", "onboard asks questions, but stdin is not a terminal", {
      hint: "Run it in a terminal, or pass --non-interactive with flags (`onebrain onboard --help` lists them).",
    });
  }
  if (interactive && opts.json)
    throw new OnebrainError("USAGE", "--json needs --non-interactive (questions and JSON would share stdout)", {
      hint: "Add --non-interactive and answer with flags.",
    });

  const prompt = interactive ? ttyPrompter(process.stdin, process.stdout) : presetPrompter(opts.json ? null : process.stdout);
  prompt.say(
    interactive
      ? "onebrain onboard: a few questions to get this brain running. Ctrl-C stops; what is done is kept."
      : "onebrain onboard (non-interactive): answers come from the flags and defaults.",
  );
  const report = await runOnboard({ paths: brainPaths(global), prompt, flags: opts, runCli: cliRunner(global) });
  if (opts.json) return printJson({ ok: true, ...report, next: report.next.map((n) => withProfile(n)) });
  printLines(["", "onboard: done", ...report.next.map((n) => `next: ${n}`)]);
}
