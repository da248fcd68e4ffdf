/** How an approval reads in a chat and on a terminal: the exact command, where it runs, how to answer, and what was answered. */
import type { ApprovalView } from "../protocol/approvals.ts";

/**
 * One argument as a shell would need it typed: bare when it is plain, else in single quotes. An
 * argument that holds single quotes itself (the checked script of `/bin/sh -c`, whose every word
 * is single-quoted) goes in double quotes instead, with backslash, double quote, dollar and
 * backtick escaped: as exact, and readable, where each quote nested as '\'' would bury the
 * command from the person who approves it.
 */
function shellWord(arg: string): string {
  if (arg !== "" && /^[A-Za-z0-9_./:=@%+,-]+$/.test(arg)) return arg;
  // `!` is left to single quotes: an interactive bash expands it inside double quotes.
  if (arg.includes("'") && !arg.includes("!")) return `"${arg.replace(/[\\"$`]/g, "\\$&")}"`;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The argv as one line a person can read and a shell would run unchanged. */
export function displayArgv(argv: readonly string[]): string {
  return argv.map(shellWord).join(" ");
}

/** `45 s`, `2 min`, `3 h`: time left, rounded the way people say it. */
export function timeLeft(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 90) return `${min} min`;
  return `${Math.round(min / 60)} h`;
}

/** The chat message that asks: the command, cwd, env names, the three answers and the time left. */
export function askText(a: ApprovalView, now: number): string {
  const env = a.envNames.length ? ` with ${a.envNames.join(", ")} set` : "";
  return (
    `Approval needed (${a.id}): run \`${displayArgv(a.argv)}\` in \`${a.cwd}\`${env}? ` +
    `Reply /approve ${a.id} allow-once | allow-always | deny — it expires in ${timeLeft(a.expiresAt - now)}.`
  );
}

/** What became of a request, in one sentence. */
export function outcomeText(a: ApprovalView): string {
  const by = a.decidedBy ? ` by ${a.decidedBy}` : "";
  switch (a.state) {
    case "pending":
      return `Approval ${a.id} is waiting for an answer.`;
    case "allow-once":
      return a.decidedBy === "askFallback" ? `Approval ${a.id}: ${a.reason ?? "allowed once by askFallback"}.` : `Approval ${a.id}: allowed once${by}.`;
    case "allow-always":
      return `Approval ${a.id}: allowed${by}; ${a.executables.length ? a.executables.join(", ") : "its executables"} will run without asking from now on.`;
    case "deny":
      return `Approval ${a.id}: denied${by}${a.reason ? ` (${a.reason})` : ""}.`;
    case "expired":
      return `Approval ${a.id} expired: ${a.reason ?? "nobody answered in time"}.`;
  }
}
