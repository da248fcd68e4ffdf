/** `onebrain pairing approve CHANNEL CODE`: lets the sender of a pending code talk to the agent. */
import { approvePairing } from "../../channels/pairing.ts";
import { noPendingPairing } from "../../server/rpc-channels.ts";
import { OnebrainError } from "../../shared/errors.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";
import { viaGatewayOrStore } from "../gateway-or-store.ts";
import { printJson, printLines } from "../output.ts";

interface Approved {
  approved: true;
  channel: string;
  sender: string;
  name: string | null;
}

/** The same refusal whether the gateway or the store said no: a wrong code is a wrong command line. */
function unknownCode(message: string): OnebrainError {
  return new OnebrainError("USAGE", message, {
    hint: "`onebrain pairing list` shows the pending codes; a code is valid for 1 h after the sender's first message.",
  });
}

/** The command. */
export default async function pairingApproveCommand(global: GlobalOptions, opts: { json?: boolean }, [channel, rawCode]: string[]): Promise<void> {
  const code = rawCode!.trim();
  const r = await viaGatewayOrStore<Approved>(brainPaths(global), {
    rpc: async (conn) => {
      try {
        return await conn.request<Approved>("pairing.approve", { channel, code });
      } catch (err) {
        if (err instanceof OnebrainError && err.details.wireCode === "INVALID_REQUEST") throw unknownCode(err.message);
        throw err;
      }
    },
    local: (store) => {
      const row = store ? approvePairing(store, channel!, code, "onebrain-cli") : null;
      if (!row) throw unknownCode(noPendingPairing(channel!, code));
      return { approved: true, channel: channel!, sender: row.sender, name: row.sender_name ?? null };
    },
  });
  if (opts.json) return printJson({ ...r.value, via: r.via });
  const who = r.value.name ? `${r.value.name} (${r.value.sender})` : r.value.sender;
  printLines([
    `pairing: approved ${who} on ${r.value.channel}`,
    r.via === "gateway"
      ? "  their next message reaches the agent (the running gateway already knows)"
      : "  their next message reaches the agent once the gateway runs",
  ]);
}
