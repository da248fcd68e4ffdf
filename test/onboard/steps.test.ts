/** The service and doctor steps in-process, with a stand-in for the CLI they run as subprocesses. */
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { resolvePaths } from "../../src/paths/paths.ts";
import { presetPrompter } from "../../src/onboard/prompt.ts";
import type { CliRun, OnboardContext, OnboardFlags } from "../../src/onboard/step.ts";
import { doctorStep } from "../../src/onboard/steps/doctor.ts";
import { serviceStep } from "../../src/onboard/steps/service.ts";
import { tmpDir } from "../helpers/gateway.ts";

const HELP = (commands: string[]) =>
  `Usage: onebrain [options] [command]\n\nOptions:\n  -h, --help  display help\n\nCommands:\n${commands.map((c) => `  ${c} [options]   does things`).join("\n")}\n`;

/** A context whose CLI answers `--help` with the given commands and records every other call. */
function context(flags: OnboardFlags, commands: { top: string[]; gateway: string[] }, answer: CliRun = { code: 0, stdout: "all good\n", stderr: "" }) {
  const calls: string[][] = [];
  const said: string[] = [];
  const stateDir = path.join(tmpDir("onebrain-steps-"), "state");
  const ctx: OnboardContext = {
    paths: resolvePaths({ env: { ONEBRAIN_STATE_DIR: stateDir }, home: path.dirname(stateDir) }),
    prompt: { ...presetPrompter(null), say: (line = "") => void said.push(line) },
    flags,
    env: {},
    results: {},
    async runCli(args) {
      if (args.at(-1) === "--help") return { code: 0, stdout: HELP(args[0] === "gateway" ? commands.gateway : commands.top), stderr: "" };
      calls.push(args);
      return answer;
    },
  };
  return { ctx, calls, said };
}

test("the service step runs `onebrain gateway install` when asked and the build has it, and shows its output", async () => {
  const { ctx, calls, said } = context(
    { installService: true },
    { top: ["gateway", "doctor"], gateway: ["run", "status", "install"] },
    { code: 0, stdout: "installed onebrain-gateway.service\n", stderr: "" },
  );
  const r = await serviceStep.run(ctx);
  assert.deepEqual(calls, [["gateway", "install"]]);
  assert.deepEqual(r, { wanted: true, available: true, installed: true, exitCode: 0, output: "installed onebrain-gateway.service" });
  assert.ok(said.includes("installed onebrain-gateway.service"));
});

test("the service step says how to run the gateway when the build has no `gateway install`, and installs nothing unasked", async () => {
  const missing = context({ installService: true }, { top: ["gateway"], gateway: ["run", "status"] });
  const r = await serviceStep.run(missing.ctx);
  assert.deepEqual(missing.calls, []);
  assert.equal((r as { available: boolean }).available, false);
  assert.match(missing.said.join("\n"), /no `onebrain gateway install` yet: run `onebrain gateway`/);

  const unasked = context({}, { top: ["gateway"], gateway: ["run", "install"] });
  assert.equal(((await serviceStep.run(unasked.ctx)) as { wanted: boolean }).wanted, false);
  assert.deepEqual(unasked.calls, []);
});

test("the last step runs `onebrain doctor`, falls back to `status --deep` without it, reports a failing exit, and is skipped by --no-doctor", async () => {
  const withDoctor = context({}, { top: ["gateway", "doctor"], gateway: [] }, { code: 3, stdout: "FAIL something\n", stderr: "" });
  const r = await doctorStep.run(withDoctor.ctx);
  assert.deepEqual(withDoctor.calls, [["doctor"]]);
  assert.deepEqual(r, { command: "onebrain doctor", exitCode: 3, output: "FAIL something" });
  assert.match(withDoctor.said.join("\n"), /reported problems \(exit 3\)/);

  const without = context({}, { top: ["gateway", "status"], gateway: [] });
  await doctorStep.run(without.ctx);
  assert.deepEqual(without.calls, [["status", "--deep"]]);

  const skipped = context({ doctor: false }, { top: ["doctor"], gateway: [] });
  assert.deepEqual(await doctorStep.run(skipped.ctx), { command: null, exitCode: null, output: "" });
  assert.deepEqual(skipped.calls, []);
});
