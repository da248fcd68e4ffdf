/**
 * `onebrain outbox retry ID`: a failed reply sent again, with its attempts and backoff reset.
 * Through the running gateway, else on the store (delivered at the gateway's next start). Never a
 * second copy: a delivered reply is refused, parts already sent are skipped, and a part in doubt
 * is looked for on the platform before it is sent (src/brain/outbox-admin.ts).
 */
import { retryOutbox, type OutboxView } from "../../brain/outbox-admin.ts";
import { OnebrainError } from "../../shared/errors.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";
import { viaGatewayOrStore } from "../gateway-or-store.ts";
import { printJson, printLines } from "../output.ts";

/** The same refusal whether the gateway or the store said no. */
function refused(message: string, profile: string | undefined): OnebrainError {
  return new OnebrainError("OUTBOX_RETRY_REFUSED", message, {
    hint: `\`onebrain${profile ? ` --profile ${profile}` : ""} outbox list --failed\` shows the failed replies and their ids.`,
  });
}

/** The command. */
export default async function outboxRetryCommand(global: GlobalOptions, opts: { json?: boolean }, [rawId]: string[]): Promise<void> {
  const id = Number(rawId);
  if (!Number.isInteger(id) || id < 1)
    throw new OnebrainError("USAGE", `Cannot use "${rawId}" as a reply id: expected a positive integer (see \`onebrain outbox list --failed\`)`);
  const r = await viaGatewayOrStore<OutboxView>(brainPaths(global), {
    rpc: async (conn) => {
      try {
        return (await conn.request<{ reply: OutboxView }>("outbox.retry", { id })).reply;
      } catch (err) {
        if (err instanceof OnebrainError && err.details.wireCode === "INVALID_REQUEST") throw refused(err.message, global.profile);
        throw err;
      }
    },
    local: (store) => {
      const done = store ? retryOutbox(store, id) : { ok: false as const, message: `no reply #${id} in the outbox` };
      if (!done.ok) throw refused(done.message, global.profile);
      return done.reply;
    },
  });
  if (opts.json) return printJson({ retried: true, via: r.via, reply: r.value });
  const doubt = r.value.inDoubt ? "; a part was in doubt: it is looked for on the platform first, and sent only if it is not there" : "";
  printLines([
    `outbox: reply #${id} to ${r.value.channel} ${r.value.target} is pending again (attempts reset)${doubt}`,
    r.via === "gateway" ? "  the running gateway is delivering it now" : "  it is delivered when the gateway starts",
  ]);
}
