/**
 * The exec policy: one decision from `tools.exec.security` and `tools.exec.ask` and the check of
 * the command. The operator is asked only about commands that were read exactly; a command that
 * cannot be read is refused under the allowlist (an approver could not know what it would do).
 */
import type { Plan, Program } from "./plan.ts";

/** What to do with a command. */
export type Decision = { action: "run" } | { action: "ask"; misses: Program[] } | { action: "deny"; reason: string };

/** The policy keys of `tools.exec`. */
export interface ExecPolicy {
  security: "deny" | "allowlist" | "full";
  ask: "off" | "on-miss" | "always";
}

/**
 * Decides run, ask or deny. `plan` is null under `security: full` (nothing is checked there);
 * `isAllowed` answers for a resolved identity (config allowlist or an allow-always answer).
 */
export function decide(plan: Plan | null, policy: ExecPolicy, isAllowed: (identity: string) => boolean): Decision {
  if (policy.security === "deny") return { action: "deny", reason: "exec is turned off here (tools.exec.security is deny)" };
  if (policy.security === "full") return policy.ask === "always" ? { action: "ask", misses: [] } : { action: "run" };
  if (plan === null) return { action: "deny", reason: "the command was not checked" };
  if (!plan.ok)
    return {
      action: "deny",
      reason: `the command cannot be checked against the allowlist: ${plan.reason}. Such commands run only when tools.exec.security is full`,
    };
  const misses = uniqueMisses(plan.programs, isAllowed);
  if (misses.length === 0) return policy.ask === "always" ? { action: "ask", misses: [] } : { action: "run" };
  if (policy.ask === "off")
    return { action: "deny", reason: `not on the allowlist: ${misses.map(describeMiss).join(", ")} (tools.exec.ask is off, so nobody is asked)` };
  return { action: "ask", misses };
}

function uniqueMisses(programs: Program[], isAllowed: (identity: string) => boolean): Program[] {
  const seen = new Set<string>();
  const out: Program[] = [];
  for (const p of programs) {
    if (p.identity !== null && p.alwaysAsk === null && isAllowed(p.identity)) continue;
    const key = p.identity ?? `?${p.word}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return out;
}

/** A missed program in words: its path, "not found", or why it is always asked about. */
export function describeMiss(p: Program): string {
  if (p.identity === null) return `\`${p.word}\` (not found)`;
  if (p.alwaysAsk !== null) return `${p.identity} (${p.alwaysAsk})`;
  return p.identity;
}
