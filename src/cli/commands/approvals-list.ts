/** `onebrain approvals list [--all]`: exec approval requests waiting for an answer (with `--all`, the recent history too). */
import { listApprovals, approvalView } from "../../approvals/records.ts";
import { displayArgv } from "../../approvals/text.ts";
import type { ApprovalView } from "../../protocol/approvals.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";
import { viaGatewayOrStore } from "../gateway-or-store.ts";
import { formatDuration, printJson, printLines } from "../output.ts";

/** A pending request in full: what runs, where, with which env names, for whom, and the time left. */
function pendingLines(a: ApprovalView, now: number, via: "gateway" | "store"): string[] {
  const left = a.expiresAt - now;
  const when = left > 0 ? `expires in ${formatDuration(left)}` : via === "store" ? "time is up: askFallback decides when the gateway starts" : "time is up";
  return [
    `  ${a.id}  pending  ${when}  asked by ${a.sessionKey}`,
    `            run  ${displayArgv(a.argv)}`,
    `            in   ${a.cwd}${a.envNames.length ? `   env ${a.envNames.join(", ")}` : ""}`,
  ];
}

/** An answered or expired request on one line (the command cut to fit). */
function historyLine(a: ApprovalView, now: number): string {
  const cmd = displayArgv(a.argv);
  const short = cmd.length > 60 ? `${cmd.slice(0, 59)}…` : cmd;
  const when = a.decidedAt ? `${formatDuration(now - a.decidedAt)} ago` : "";
  return `  ${a.id}  ${a.state.padEnd(12)} ${when}${a.decidedBy ? ` by ${a.decidedBy}` : ""}  ${short}${a.reason ? `  (${a.reason})` : ""}`;
}

/** The command. */
export default async function approvalsListCommand(global: GlobalOptions, opts: { json?: boolean; all?: boolean }): Promise<void> {
  const query = opts.all ? { limit: 50 } : { state: "pending" as const, limit: 50 };
  const r = await viaGatewayOrStore(brainPaths(global), {
    rpc: async (conn) => (await conn.request<{ approvals: ApprovalView[] }>("approvals.list", query)).approvals,
    // Read only: closing what is stale is the gateway's job when it starts.
    local: (store) => (store ? listApprovals(store, query).map(approvalView) : []),
  });
  if (opts.json) return printJson({ via: r.via, approvals: r.value });
  const now = Date.now();
  const pending = r.value.filter((a) => a.state === "pending");
  const others = r.value.filter((a) => a.state !== "pending");
  const source = r.via === "gateway" ? "from the running gateway" : "from the store; the gateway is not running";
  const lines = [`approvals: ${pending.length} pending${opts.all ? `, ${others.length} answered or expired` : ""} (${source})`];
  for (const a of pending) lines.push(...pendingLines(a, now, r.via));
  for (const a of others) lines.push(historyLine(a, now));
  const first = pending.find((a) => a.expiresAt > now);
  if (first) lines.push(`next: onebrain approvals allow ${first.id} (add --always to allow its executables for good), or onebrain approvals deny ${first.id}`);
  else if (!r.value.length) lines.push("  nothing to answer: a command that misses the exec allowlist asks here, in the console and in its chat");
  printLines(lines);
}
