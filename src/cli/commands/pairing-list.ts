/** `onebrain pairing list`: who asked for access (with their codes) and who was let in. */
import { listPairings } from "../../channels/pairing.ts";
import { pairingView, type PairingView } from "../../server/rpc-channels.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";
import { viaGatewayOrStore } from "../gateway-or-store.ts";
import { formatDuration, printJson, printLines } from "../output.ts";

/** The pairings of this brain: from the running gateway, else from the store. */
export async function readPairings(global: GlobalOptions, channel: string | undefined): Promise<{ via: "gateway" | "store"; pairings: PairingView[] }> {
  const r = await viaGatewayOrStore(brainPaths(global), {
    rpc: async (conn) => (await conn.request<{ pairings: PairingView[] }>("pairing.list", channel ? { channel } : {})).pairings,
    local: (store) => {
      const now = Date.now();
      return store
        ? listPairings(store, channel)
            .map((row) => pairingView(row, now))
            .filter((v): v is PairingView => v !== null)
        : [];
    },
  });
  return { via: r.via, pairings: r.value };
}

/** `Ada Lovelace (12345)` or `12345`. */
export const who = (p: PairingView): string => (p.name ? `${p.name} (${p.sender})` : p.sender);

/** The command. */
export default async function pairingListCommand(global: GlobalOptions, opts: { json?: boolean; channel?: string }): Promise<void> {
  const { via, pairings } = await readPairings(global, opts.channel);
  if (opts.json) return printJson({ via, pairings });
  const now = Date.now();
  const pending = pairings.filter((p) => p.state === "pending");
  const approved = pairings.filter((p) => p.state === "approved");
  const source = via === "gateway" ? "from the running gateway" : "from the store; the gateway is not running";
  const lines = [`pairing: ${pending.length} pending, ${approved.length} approved (${source})`];
  for (const p of pending)
    lines.push(
      `  pending   ${p.channel.padEnd(9)} ${p.code}  ${who(p)}  asked ${formatDuration(now - p.createdAt)} ago, expires in ${formatDuration(Math.max(0, (p.expiresAt ?? now) - now))}`,
    );
  for (const p of approved)
    lines.push(
      `  approved  ${p.channel.padEnd(9)} ${who(p)}  ${p.approvedAt ? `${formatDuration(now - p.approvedAt)} ago` : ""}${p.approvedBy ? ` by ${p.approvedBy}` : ""}`,
    );
  if (pending[0]) lines.push(`next: onebrain pairing approve ${pending[0].channel} ${pending[0].code}`);
  else if (!pairings.length) lines.push("  nobody asked yet: an unknown sender's direct message gets a code to give you");
  printLines(lines);
}
