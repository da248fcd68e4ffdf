/** Step 1: the state dir, a config with a generated token, the workspace (`onebrain setup`). */
import { setupBrain } from "../../setup/setup.ts";
import type { OnboardStep } from "../step.ts";

/** Runs setup; an existing config is kept, so onboarding again changes only what is answered anew. */
export const setupStep: OnboardStep = {
  id: "setup",
  title: "State dir and config",
  async run(ctx) {
    const r = setupBrain(ctx.paths);
    ctx.prompt.say(r.config === "kept" ? `Using the existing brain at ${r.stateDir} (config kept).` : `Created the brain at ${r.stateDir}.`);
    for (const c of r.changed) ctx.prompt.say(`  + ${c}`);
    return r;
  },
};
