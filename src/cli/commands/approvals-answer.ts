/**
 * `onebrain approvals allow ID [--always]` and `onebrain approvals deny ID [--reason TEXT]`: the
 * operator's answer to an exec approval. Through the running gateway (the waiting run wakes at
 * once), else on the store under the brain lock (the run finds the answer when it resumes).
 */
import { answerApproval, approvalView } from "../../approvals/records.ts";
import { displayArgv } from "../../approvals/text.ts";
import type { ApprovalAnswer, ApprovalView } from "../../protocol/approvals.ts";
import { OnebrainError } from "../../shared/errors.ts";
import { brainPaths, type GlobalOptions } from "../brain.ts";
import { viaGatewayOrStore } from "../gateway-or-store.ts";
import { printJson, printLines } from "../output.ts";

const BY = "onebrain-cli";

/** The gateway's refusal as the same coded error the store path raises (its code rides in the wire details). */
function fromWire(err: unknown): unknown {
  if (!(err instanceof OnebrainError)) return err;
  const wire = err.details.wire as { code?: string } | undefined;
  if (wire?.code === "APPROVAL_NOT_FOUND" || wire?.code === "APPROVAL_CLOSED")
    return new OnebrainError(wire.code, err.message, {
      hint:
        wire.code === "APPROVAL_NOT_FOUND"
          ? "`onebrain approvals list --all` shows the ids (8 characters; case does not matter)."
          : "An answer counts once. `onebrain approvals list` shows what is still pending.",
      details: wire,
    });
  return err;
}

async function answer(global: GlobalOptions, rawId: string, decision: ApprovalAnswer, reason: string | undefined, json: boolean): Promise<void> {
  const id = rawId.trim();
  const r = await viaGatewayOrStore<ApprovalView>(brainPaths(global), {
    rpc: async (conn) => {
      try {
        return (await conn.request<{ approval: ApprovalView }>("approvals.resolve", { id, decision, ...(reason ? { reason } : {}) })).approval;
      } catch (err) {
        throw fromWire(err);
      }
    },
    local: (store) => {
      if (!store) throw new OnebrainError("APPROVAL_NOT_FOUND", `no approval with id ${id}: this brain has no database yet`);
      const done = store.transaction(() => answerApproval(store, id, decision, BY, reason ?? null, Date.now()));
      if (!done.ok) throw done.error;
      return approvalView(done.row);
    },
  });
  if (json) return printJson({ ok: true, via: r.via, approval: r.value });
  const a = r.value;
  const what =
    a.state === "deny"
      ? `denied: ${displayArgv(a.argv)} will not run`
      : `allowed ${a.state === "allow-always" ? `(and ${a.executables.join(", ") || "its executables"} from now on)` : "once"}: ${displayArgv(a.argv)}`;
  printLines([
    `approvals: ${a.id} ${what}`,
    r.via === "gateway" ? "  the running gateway told the waiting run" : "  the run finds this answer when the gateway starts and it resumes",
  ]);
}

/** `approvals allow ID [--always]`. */
export async function allowCommand(global: GlobalOptions, opts: { json?: boolean; always?: boolean }, [id]: string[]): Promise<void> {
  await answer(global, id!, opts.always ? "allow-always" : "allow-once", undefined, Boolean(opts.json));
}

/** `approvals deny ID [--reason TEXT]`. */
export async function denyCommand(global: GlobalOptions, opts: { json?: boolean; reason?: string }, [id]: string[]): Promise<void> {
  await answer(global, id!, "deny", opts.reason, Boolean(opts.json));
}
