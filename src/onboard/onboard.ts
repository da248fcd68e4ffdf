/**
 * `onebrain onboard`: a first run, step by step. The steps are a list; each asks through the
 * Prompter (terminal or flags) and changes the brain through the same domain functions as the
 * single-purpose commands (setup, config set). Running it again is safe: an existing config is
 * kept and only what is answered anew changes.
 */
import type { BrainPaths } from "../paths/paths.ts";
import type { Prompter } from "./prompt.ts";
import type { CliRunner, OnboardFlags, OnboardStep } from "./step.ts";
import { channelsStep } from "./steps/channels.ts";
import { doctorStep } from "./steps/doctor.ts";
import { gatewayStep, type GatewayResult } from "./steps/gateway.ts";
import { modelStep } from "./steps/model.ts";
import { serviceStep, type ServiceResult } from "./steps/service.ts";
import { setupStep } from "./steps/setup.ts";

/** The steps, in order. */
export const ONBOARD_STEPS: readonly OnboardStep[] = Object.freeze([setupStep, modelStep, channelsStep, gatewayStep, serviceStep, doctorStep]);

export interface OnboardOptions {
  paths: BrainPaths;
  prompt: Prompter;
  flags: OnboardFlags;
  runCli: CliRunner;
  env?: NodeJS.ProcessEnv;
  steps?: readonly OnboardStep[];
}

/** Everything onboarding did, by step id, and what to do next. */
export interface OnboardReport {
  stateDir: string;
  configPath: string;
  steps: Record<string, unknown>;
  next: string[];
}

/** Runs every step in order; a step's error (or Ctrl-C: ONBOARD_ABORTED) stops the run, keeping what earlier steps did. */
export async function runOnboard(opts: OnboardOptions): Promise<OnboardReport> {
  const steps = opts.steps ?? ONBOARD_STEPS;
  const results: Record<string, unknown> = {};
  for (const step of steps) step.checkFlags?.(opts.flags, opts.prompt.interactive);
  const ctx = { paths: opts.paths, prompt: opts.prompt, flags: opts.flags, env: opts.env ?? process.env, runCli: opts.runCli, results };
  for (const [i, step] of steps.entries()) {
    opts.prompt.say();
    opts.prompt.say(`[${i + 1}/${steps.length}] ${step.title}`);
    results[step.id] = await step.run(ctx);
  }
  const next: string[] = [];
  const service = results.service as ServiceResult | undefined;
  const gateway = results.gateway as GatewayResult | undefined;
  if (!service?.installed) next.push("start the gateway: onebrain gateway");
  if (gateway)
    next.push(
      `open the console: ${gateway.url}${gateway.auth === "token" ? " (clients present the token: onebrain config get gateway.auth.token --reveal)" : ""}`,
    );
  return { stateDir: opts.paths.stateDir, configPath: opts.paths.configPath, steps: results, next };
}
