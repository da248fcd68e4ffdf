/**
 * Step 5: offer to install the gateway as a service. `onebrain gateway install` does the work
 * (units, sd_notify); this step asks, then runs it as a subprocess, or says how when this build
 * does not have it.
 */
import { hasCommand } from "../cli-probe.ts";
import type { OnboardStep } from "../step.ts";

/** What the service step did. */
export interface ServiceResult {
  wanted: boolean;
  /** False when this build has no `gateway install`. */
  available: boolean;
  installed: boolean;
  exitCode: number | null;
  output: string;
}

/** Asks whether to install the service (default no) and runs `onebrain gateway install`. */
export const serviceStep: OnboardStep = {
  id: "service",
  title: "Service",
  async run(ctx): Promise<ServiceResult> {
    const p = ctx.prompt;
    const wanted = await p.confirm({
      question: "Install the gateway as a service, so that it starts by itself?",
      flag: "--install-service",
      preset: ctx.flags.installService,
      default: false,
    });
    if (!wanted) {
      p.say("Not installed. Run it in the foreground with `onebrain gateway`, or install later with `onebrain onboard --install-service`.");
      return { wanted, available: false, installed: false, exitCode: null, output: "" };
    }
    if (!(await hasCommand(ctx.runCli, ["gateway", "install"]))) {
      p.say("This build has no `onebrain gateway install` yet: run `onebrain gateway` in the foreground, or under your own service manager (docs/deploy.md).");
      return { wanted, available: false, installed: false, exitCode: null, output: "" };
    }
    const r = await ctx.runCli(["gateway", "install"]);
    const output = `${r.stdout}${r.stderr}`.trimEnd();
    if (output) p.say(output);
    p.say(r.code === 0 ? "Service installed." : `\`onebrain gateway install\` failed (exit ${r.code}); see above.`);
    return { wanted, available: true, installed: r.code === 0, exitCode: r.code, output };
  },
};
