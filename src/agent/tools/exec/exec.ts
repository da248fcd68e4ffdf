/**
 * The `exec` tool: a command (a shell string or an argv) run in the workspace under the exec
 * policy. Under the allowlist every program it would start is checked (plan.ts), a miss is asked
 * about, and what runs is the checked text, never the model's; under `full` the model's text runs
 * as written. Either way the command runs in a process group of its own that is killed on timeout,
 * abort and with the gateway (run.ts).
 *
 * Results: a command that ran is not a tool error whatever its exit code (the model reads
 * `exit code 2`); a refusal, a timeout, an abort or a failed start is, with a code the model can
 * recognise: EXEC_DENIED, EXEC_TIMEOUT, EXEC_ABORTED, EXEC_START_FAILED.
 */
import fs from "node:fs";
import path from "node:path";
import type { ApprovalDecision, Tool, ToolContext } from "../types.ts";
import { childEnv } from "./environment.ts";
import { quoteWord } from "./parse.ts";
import { planArgv, planShell, type Plan } from "./plan.ts";
import { decide, describeMiss } from "./policy.ts";
import { allowlistIdentities } from "./resolve.ts";
import { runCommand, type RunOutcome } from "./run.ts";

type Result = { content: string; isError: boolean };

const fail = (content: string): Result => ({ content, isError: true });

const MAX_COMMAND_CHARS = 64 * 1024;

const spec = {
  name: "exec",
  description:
    "Run a command in the workspace. Give `command` (a shell command line: simple commands joined by |, &&, || and ;) or `argv` (program and arguments, no shell). " +
    "Unless the operator allows everything, each program must be on the allowlist or approved, and the command line may not use $ variables or $(...), backticks, globs, ~, redirections, & or subshells: " +
    "write literal values, and use `cwd` and `env` instead of cd and export. Output is stdout and stderr interleaved, capped.",
  inputSchema: {
    type: "object",
    properties: {
      command: { type: "string", description: "A shell command line, e.g. `ls -la src && wc -l README.md`." },
      argv: { type: "array", items: { type: "string" }, description: "The program and its arguments, run without a shell." },
      cwd: { type: "string", description: "Working directory relative to the workspace (default: the workspace)." },
      timeoutSeconds: { type: "integer", minimum: 1, description: "Time limit in seconds (default and maximum set by the operator)." },
      env: { type: "object", additionalProperties: { type: "string" }, description: "Extra environment variables; only names the operator allows." },
    },
    additionalProperties: false,
  },
};

/** The exec tool. */
export const execTool: Tool = {
  name: "exec",
  group: "runtime",
  sideEffects: true,
  concurrent: false,
  spec,
  run,
};

async function run(input: Record<string, unknown>, ctx: ToolContext): Promise<Result> {
  if (ctx.signal.aborted) return fail("EXEC_ABORTED: the run was cancelled, so the command did not run.");
  const cfg = ctx.config.exec;
  const { command, argv } = input;
  const wrong = wrongType(input);
  if (wrong) return fail(wrong);
  if ((command === undefined) === (argv === undefined)) return fail("Give exactly one of `command` (a shell command line) or `argv` (a list of strings).");
  if (command !== undefined && (typeof command !== "string" || command.trim() === "" || command.length > MAX_COMMAND_CHARS)) {
    return fail(`\`command\` must be a non-empty string of at most ${MAX_COMMAND_CHARS} characters.`);
  }
  if (argv !== undefined && (!Array.isArray(argv) || argv.length === 0 || !argv.every((w) => typeof w === "string" && !w.includes("\0")))) {
    return fail("`argv` must be a non-empty list of strings without NUL bytes, the program first.");
  }
  const cwd = workingDirectory(input.cwd, ctx.workspace);
  if (!cwd.ok) return fail(cwd.error);
  const timeout = input.timeoutSeconds ?? Math.min(cfg.timeoutSeconds, cfg.maxTimeoutSeconds);
  if (typeof timeout !== "number" || !Number.isInteger(timeout) || timeout < 1 || timeout > cfg.maxTimeoutSeconds) {
    return fail(`\`timeoutSeconds\` must be a whole number from 1 to ${cfg.maxTimeoutSeconds} (tools.exec.maxTimeoutSeconds).`);
  }
  const extras = input.env ?? {};
  if (typeof extras !== "object" || extras === null || Array.isArray(extras)) return fail("`env` must be an object of variable names to string values.");
  const env = childEnv(ctx.env, cfg.env, extras as Record<string, unknown>, ctx.workspace);
  if (!env.ok) return fail(env.error);
  const searchPath = env.env.PATH ?? "";

  let plan: Plan | null = null;
  if (cfg.security === "allowlist") {
    const planEnv = { searchPath, cwd: cwd.path, allowedEnv: new Set(cfg.env) };
    plan = typeof command === "string" ? planShell(command, planEnv) : planArgv(argv as string[], planEnv);
  }
  const listed = allowlistIdentities(cfg.allowlist, searchPath, ctx.workspace);
  const decision = decide(plan, cfg, (identity) => listed.has(identity) || ctx.isAllowlisted(identity));
  if (decision.action === "deny") return fail(`EXEC_DENIED: ${decision.reason}.`);

  const shown = plan?.ok ? plan.argv : typeof command === "string" ? ["/bin/sh", "-c", command] : (argv as string[]);
  const script = plan?.ok ? plan.script : typeof command === "string" ? command : `exec ${(argv as string[]).map(quoteWord).join(" ")}`;
  let approvalId: string | undefined;
  if (decision.action === "ask") {
    const answer = await untilAborted(
      ctx.requestApproval({
        argv: shown,
        command: typeof command === "string" ? command : (argv as string[]).map(quoteWord).join(" "),
        cwd: cwd.path,
        envNames: Object.keys(env.env).sort((a, b) => a.localeCompare(b)),
        // With nothing missed (ask: always), every program is named, so askFallback allowlist can check them all.
        executables: (decision.misses.length || !plan?.ok ? decision.misses : plan.programs).flatMap((m) => (m.identity === null ? [] : [m.identity])),
      }),
      ctx.signal,
    );
    if (answer === null) return fail("EXEC_ABORTED: the run was cancelled while the command waited for approval; it did not run.");
    if (answer.decision === "deny") {
      const missed = decision.misses.length ? ` (not on the allowlist: ${decision.misses.map(describeMiss).join(", ")})` : "";
      return fail(`EXEC_DENIED: approval ${answer.approvalId} was denied by ${answer.by}: ${answer.reason}${missed}. The command did not run.`);
    }
    approvalId = answer.approvalId;
  }
  if (ctx.signal.aborted) return fail("EXEC_ABORTED: the run was cancelled before the command started; it did not run.");
  // On disk before the spawn (with the approval marked used, once): after a crash this call is never run again.
  try {
    await ctx.beginSideEffect(approvalId ? { approvalId } : undefined);
  } catch (err) {
    return fail(`EXEC_DENIED: ${(err as Error).message}. The command did not run.`);
  }

  const outcome = await runCommand({
    script,
    cwd: cwd.path,
    env: env.env,
    timeoutMs: timeout * 1000,
    maxOutputBytes: cfg.maxOutputBytes,
    signal: ctx.signal,
    onSpawn: (p) => ctx.recordProcess(p),
  });
  return report(outcome, timeout);
}

/** The first input of the wrong JSON type, named with what it should be; null when all fit. */
function wrongType(input: Record<string, unknown>): string | null {
  const expected: Record<string, [string, (v: unknown) => boolean]> = {
    command: ["a string", (v) => typeof v === "string"],
    argv: ["a list of strings", Array.isArray],
    cwd: ["a path relative to the workspace", (v) => typeof v === "string"],
    timeoutSeconds: ["a whole number of seconds", Number.isInteger],
    env: ["an object of names to strings", (v) => typeof v === "object" && v !== null && !Array.isArray(v)],
  };
  for (const [key, [what, fits]] of Object.entries(expected)) {
    if (input[key] !== undefined && !fits(input[key])) return `\`${key}\` must be ${what}.`;
  }
  const unknown = Object.keys(input).filter((k) => !(k in expected));
  return unknown.length
    ? `Unknown input ${unknown.map((k) => `\`${k}\``).join(", ")}: exec takes ${Object.keys(expected)
        .map((k) => `\`${k}\``)
        .join(", ")}.`
    : null;
}

/** The working directory: inside the workspace by real path, an existing directory. */
function workingDirectory(cwd: unknown, workspace: string): { ok: true; path: string } | { ok: false; error: string } {
  if (cwd === undefined) return { ok: true, path: workspace };
  if (typeof cwd !== "string" || cwd.includes("\0")) return { ok: false, error: "`cwd` must be a path relative to the workspace." };
  let real: string;
  try {
    real = fs.realpathSync(path.resolve(workspace, cwd));
  } catch {
    return { ok: false, error: `cwd "${cwd}" does not exist in the workspace; create it first or pick an existing directory.` };
  }
  const rel = path.relative(workspace, real);
  if (rel.startsWith("..") || path.isAbsolute(rel))
    return { ok: false, error: `cwd "${cwd}" leads outside the workspace (to ${real}); commands run inside the workspace only.` };
  if (!fs.statSync(real).isDirectory()) return { ok: false, error: `cwd "${cwd}" is not a directory.` };
  return { ok: true, path: real };
}

/** The approval's answer, or null if the run is aborted first. */
function untilAborted(answer: Promise<ApprovalDecision>, signal: AbortSignal): Promise<ApprovalDecision | null> {
  if (signal.aborted) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(null);
    signal.addEventListener("abort", onAbort, { once: true });
    answer.then(
      (a) => {
        signal.removeEventListener("abort", onAbort);
        resolve(a);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/** The outcome in words for the model. */
function report(o: RunOutcome, timeoutSeconds: number): Result {
  if (o.spawnError !== null) return fail(`EXEC_START_FAILED: the command could not be started (${o.spawnError}).`);
  const seconds = `${(o.durationMs / 1000).toFixed(2)} s`;
  const output = o.output === "" ? "(no output)" : `stdout and stderr interleaved:\n${o.output}`;
  if (o.timedOut) return fail(`EXEC_TIMEOUT: timed out after ${timeoutSeconds} s; the command's process group was killed.\n${output}`);
  if (o.aborted) return fail(`EXEC_ABORTED: the run was cancelled after ${seconds}; the command's process group was killed.\n${output}`);
  const status = o.signal !== null ? `killed by ${o.signal}` : `exit code ${o.exitCode}`;
  return { content: `${status} after ${seconds}; ${output}`, isError: false };
}
