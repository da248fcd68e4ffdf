/** `onebrain health`: the running gateway's readiness over RPC, component by component. */
import { connectGateway } from "../../client/gateway-client.ts";
import { gatewayTarget } from "../../diagnostics/target.ts";
import type { BrainStatus } from "../../server/context.ts";
import { OnebrainError } from "../../shared/errors.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";
import { formatBytes, formatDuration, printJson, printLines, rows } from "../output.ts";

/** The command. */
export default async function healthCommand(global: GlobalOptions, opts: { json?: boolean; timeout?: string }): Promise<void> {
  const target = gatewayTarget(brainPaths(global));
  const timeoutMs = Number(opts.timeout ?? 3000);
  const conn = await connectGateway({ url: target.url, token: target.auth.token, password: target.auth.password, timeoutMs });
  let status: BrainStatus;
  try {
    status = await conn.request<BrainStatus>("status", undefined, timeoutMs);
  } finally {
    await conn.closeWithin(200);
  }
  const r = status.readiness;
  if (opts.json)
    printJson({ ok: r.ready, readiness: r, eventLoop: status.eventLoop, memory: status.memory, connections: status.connections, uptimeMs: status.uptimeMs });
  else {
    printLines([
      `health: ${r.ready ? "READY" : `NOT READY (${r.failing.join(", ")})`}`,
      ...rows(r.components.map((c) => [c.name, `${c.ok ? "ok" : "FAIL"}${c.detail ? `  ${c.detail}` : ""}`] as const)),
      ...rows([
        ["uptime", formatDuration(status.uptimeMs)],
        ["memory", `rss ${formatBytes(status.memory.rssBytes)}, heap ${formatBytes(status.memory.heapUsedBytes)}`],
        ["clients", String(status.connections)],
      ]),
    ]);
  }
  if (!r.ready) process.exitCode = new OnebrainError("UNHEALTHY", "not ready").exitCode;
}
