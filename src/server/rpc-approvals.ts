/**
 * RPC methods about exec approvals: `approvals.list` (pending ones first to answer, and a history)
 * and `approvals.resolve` (an answer from the operator: every authenticated client is the
 * operator, as for `pairing.approve`). Answers go through the running ApprovalService, so the
 * waiting run wakes at once and every client gets the `approval` event.
 */
import type { ApprovalAnswer, ApprovalState } from "../protocol/approvals.ts";
import { hasCode } from "../shared/errors.ts";
import type { GatewayContext } from "./context.ts";
import type { CallerInfo } from "./rpc-chat.ts";
import { RpcError } from "./rpc-error.ts";

type Handler = (params: unknown, ctx: GatewayContext, caller: CallerInfo) => unknown;

export const approvalHandlers: Record<"approvals.list" | "approvals.resolve", Handler> = {
  /** Requests newest first (`state` only when given). */
  "approvals.list"(params, ctx) {
    const p = (params ?? {}) as { state?: ApprovalState; limit?: number };
    return { approvals: ctx.brain.approvals.list(p) };
  },
  /** The operator's answer; an unknown id or one no longer pending is INVALID_REQUEST with the registry code in `details.code`. */
  "approvals.resolve"(params, ctx, caller) {
    const p = params as { id: string; decision: ApprovalAnswer; reason?: string };
    try {
      return { approval: ctx.brain.approvals.decide(p.id, p.decision, caller.clientId, p.reason) };
    } catch (err) {
      if (hasCode(err, "APPROVAL_NOT_FOUND") || hasCode(err, "APPROVAL_CLOSED"))
        throw new RpcError("INVALID_REQUEST", err.message, { code: err.code, ...err.details });
      throw err;
    }
  },
};
