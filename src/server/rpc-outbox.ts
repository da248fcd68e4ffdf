/**
 * RPC methods about the outbox: `outbox.list` (replies newest first, e.g. the failed ones) and
 * `outbox.retry` (a failed reply sent again, through the running brain's delivery, which keeps
 * it exactly-once: parts sent are skipped, a part in doubt is looked for first).
 */
import { listOutbox, retryOutbox } from "../brain/outbox-admin.ts";
import type { OutboxState } from "../store/rows.ts";
import type { GatewayContext } from "./context.ts";
import type { CallerInfo } from "./rpc-chat.ts";
import { RpcError } from "./rpc-error.ts";

type Handler = (params: unknown, ctx: GatewayContext, caller: CallerInfo) => unknown;

export const outboxHandlers: Record<"outbox.list" | "outbox.retry", Handler> = {
  /** Replies newest first (`state` only when given). */
  "outbox.list"(params, ctx) {
    const p = (params ?? {}) as { state?: OutboxState; limit?: number };
    return { replies: listOutbox(ctx.brain.store, p) };
  },
  /** A failed reply back to pending with a fresh attempt count; delivery starts at once. */
  "outbox.retry"(params, ctx, caller) {
    const { id } = params as { id: number };
    const r = retryOutbox(ctx.brain.store, id);
    if (!r.ok) throw new RpcError("INVALID_REQUEST", r.message, { id, reason: r.reason });
    ctx.logger.info({ outbox: id, channel: r.reply.channel, by: caller.clientId }, "failed reply retried");
    void ctx.brain.brain.deliver();
    return { retried: true, reply: r.reply };
  },
};
