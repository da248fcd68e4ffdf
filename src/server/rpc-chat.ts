/** RPC methods of the WebChat channel and sessions: chat.send/history/abort, sessions.list/reset. */
import { inboundSessionKey } from "../brain/inbox.ts";
import { WEBCHAT } from "../channels/webchat.ts";
import { listSessions, resetSessionKey, transcript } from "../sessions/store.ts";
import { RpcError } from "./rpc-error.ts";
import type { EventName } from "../protocol/methods.ts";
import type { GatewayContext } from "./context.ts";

export interface CallerInfo {
  connId: string;
  /** The `client.id` the caller gave in `connect`. */
  clientId: string;
  /** Sends an event to this connection only. */
  push(event: EventName, payload: unknown): void;
  /** Starts a named subscription of this connection: a new one replaces (aborts) the old; closing the socket aborts all. */
  subscribe(name: string): AbortSignal;
  /** Ends a named subscription; false when there was none. */
  unsubscribe(name: string): boolean;
}

type Handler = (params: unknown, ctx: GatewayContext, caller: CallerInfo) => unknown; // a value or a Promise of one

export const chatHandlers: Record<"chat.send" | "chat.history" | "chat.abort" | "sessions.list" | "sessions.reset", Handler> = {
  /** Accepts a message once per idempotency key; the reply arrives as `chat` events. */
  async "chat.send"(params, ctx, caller) {
    const p = params as { text: string; idempotencyKey: string; sessionKey?: string };
    const rt = ctx.brain;
    if (p.sessionKey !== undefined && !rt.routableSessionKey(p.sessionKey)) {
      throw new RpcError(
        "INVALID_REQUEST",
        `Cannot route session key ${JSON.stringify(p.sessionKey)}: expected ${rt.sessionKeyForms()} (or no sessionKey for your default session)`,
        { sessionKey: p.sessionKey },
      );
    }
    const r = await rt.webchat.send({
      text: p.text,
      idempotencyKey: p.idempotencyKey,
      sessionKey: p.sessionKey ?? rt.webchatSessionKey(caller.clientId),
      sender: caller.clientId,
    });
    // The session the message is stored under, read back: a duplicate's is the original's.
    const sessionKey = inboundSessionKey(rt.store, WEBCHAT, rt.webchat.account, p.idempotencyKey);
    return { status: r.accepted ? "accepted" : "duplicate", sessionKey, idempotencyKey: p.idempotencyKey };
  },
  /** A page of a session key's transcript (all its sessions), oldest first. */
  "chat.history"(params, ctx, caller) {
    const p = (params ?? {}) as { sessionKey?: string; limit?: number; beforeId?: number };
    const sessionKey = p.sessionKey ?? ctx.brain.webchatSessionKey(caller.clientId);
    const messages = transcript(ctx.brain.store, sessionKey, p.limit ?? 50, p.beforeId);
    const active = ctx.brain.brain.activeRuns().find((r) => r.sessionKey === sessionKey);
    return { sessionKey, messages, activeRunId: active?.runId ?? null };
  },
  "chat.abort"(params, ctx) {
    const p = params as { runId?: number; sessionKey?: string };
    return {
      aborted: ctx.brain.brain.abort({
        ...(p.runId !== undefined ? { runId: p.runId } : {}),
        ...(p.sessionKey !== undefined ? { sessionKey: p.sessionKey } : {}),
      }),
    };
  },
  "sessions.list"(params, ctx) {
    const p = (params ?? {}) as { limit?: number };
    return { sessions: listSessions(ctx.brain.store, p.limit ?? 100) };
  },
  /** Ends a session (its transcript is kept); a run in flight for it is stopped first. */
  "sessions.reset"(params, ctx) {
    const p = params as { sessionKey: string };
    const aborted = ctx.brain.brain.abort({ sessionKey: p.sessionKey });
    const reset = ctx.brain.store.transaction(() => resetSessionKey(ctx.brain.store, p.sessionKey, "reset", Date.now()));
    return { sessionKey: p.sessionKey, reset, aborted };
  },
};
