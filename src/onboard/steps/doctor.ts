/**
 * Last step: `onebrain doctor` as a subprocess, its output shown as it is. A build without
 * `doctor` runs the read-only checks of `onebrain status --deep` instead.
 */
import { hasCommand } from "../cli-probe.ts";
import type { OnboardStep } from "../step.ts";

/** What the doctor step ran and what it said. */
export interface DoctorResult {
  /** The command run, e.g. "onebrain doctor"; null when skipped (--no-doctor). */
  command: string | null;
  exitCode: number | null;
  output: string;
}

/** Runs doctor (or status --deep) and shows its report. */
export const doctorStep: OnboardStep = {
  id: "doctor",
  title: "Checks",
  async run(ctx): Promise<DoctorResult> {
    const p = ctx.prompt;
    if (ctx.flags.doctor === false) {
      p.say("Skipped (--no-doctor). Run `onebrain doctor` any time.");
      return { command: null, exitCode: null, output: "" };
    }
    let args = ["doctor"];
    if (!(await hasCommand(ctx.runCli, ["doctor"]))) {
      p.say("This build has no `onebrain doctor` yet: running `onebrain status --deep` (the read-only checks) instead.");
      args = ["status", "--deep"];
    }
    const r = await ctx.runCli(args);
    const output = `${r.stdout}${r.stderr}`.trimEnd();
    if (output) p.say(output);
    if (r.code !== 0) p.say(`\`onebrain ${args.join(" ")}\` reported problems (exit ${r.code}); see above.`);
    return { command: `onebrain ${args.join(" ")}`, exitCode: r.code, output };
  },
};
