/** `onebrain outbox list [--failed]`: replies newest first, with their state, attempts and last error (the ids `outbox retry` takes). */
import { listOutbox, type OutboxView } from "../../brain/outbox-admin.ts";
import { OnebrainError } from "../../shared/errors.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";
import { viaGatewayOrStore } from "../gateway-or-store.ts";
import { formatDuration, printJson, printLines } from "../output.ts";

/** One reply in one line: id, state, where to, age, attempts, parts, the start of its text, its last error. */
function line(r: OutboxView, now: number): string {
  const doubt = r.inDoubt ? ", a part in doubt" : "";
  const parts = r.partsSent ? `, ${r.partsSent} part(s) sent` : "";
  const head = `  #${String(r.id).padEnd(5)} ${r.state.padEnd(9)} ${r.channel} ${r.target}  ${formatDuration(now - r.createdAt)} ago, ${r.attempts} attempt(s)${parts}${doubt}`;
  return [
    head,
    `         "${r.preview.replace(/\s+/g, " ")}${r.preview.length >= 80 ? "…" : ""}"`,
    ...(r.lastError && r.state !== "delivered" ? [`         last error: ${r.lastError}`] : []),
  ].join("\n");
}

/** The command. */
export default async function outboxListCommand(global: GlobalOptions, opts: { json?: boolean; failed?: boolean; limit?: string }): Promise<void> {
  const limit = opts.limit === undefined ? 50 : Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw new OnebrainError("USAGE", `Cannot use "${opts.limit}" as --limit: expected an integer 1-1000`);
  const query = { ...(opts.failed ? { state: "failed" as const } : {}), limit };
  const r = await viaGatewayOrStore(brainPaths(global), {
    rpc: async (conn) => (await conn.request<{ replies: OutboxView[] }>("outbox.list", query)).replies,
    local: (store) => (store ? listOutbox(store, query) : []),
  });
  if (opts.json) return printJson({ via: r.via, replies: r.value });
  const now = Date.now();
  const source = r.via === "gateway" ? "from the running gateway" : "from the store; the gateway is not running";
  const lines = [
    `outbox: ${r.value.length} ${opts.failed ? "failed " : ""}repl${r.value.length === 1 ? "y" : "ies"}, newest first (${source})`,
    ...r.value.map((x) => line(x, now)),
  ];
  const failed = r.value.find((x) => x.state === "failed");
  if (failed) lines.push(`next: onebrain${global.profile ? ` --profile ${global.profile}` : ""} outbox retry ${failed.id}`);
  printLines(lines);
}
