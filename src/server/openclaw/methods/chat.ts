/**
 * OpenClaw's chat and agent methods: `chat.send` (a message into a session; the reply streams as
 * `chat` and `agent` events), `chat.history` / `chat.startup`, `chat.abort`, `agent` (answered
 * "accepted" at once, then with the run's result) and `agent.wait`, and the session methods. A
 * message is the client's idempotency key's, once: a retry after a crash or a lost answer is the
 * same message and starts nothing new.
 */
import * as z from "zod/mini";
import { CHAT_TEXT_MAX_BYTES } from "../../../protocol/methods.ts";
import { keyString } from "../../../protocol/keys.ts";
import { resetSessionKey } from "../../../sessions/store.ts";
import type { GatewayContext } from "../../context.ts";
import { agentOf } from "../events.ts";
import { runOutcome, waitRun, type RunOutcome } from "../runs.ts";
import { OcError, type OcCaller, type OcMethod } from "../types.ts";
import { describeSession, historyPage, listSessionRows, modelDefaults } from "./sessions.ts";

const text = z.string().check(
  z.minLength(1),
  z.refine((s) => Buffer.byteLength(s, "utf8") <= CHAT_TEXT_MAX_BYTES, `expected at most ${CHAT_TEXT_MAX_BYTES} bytes of UTF-8`),
);

/** The session a client names, checked: one of a configured agent's (`agent:<id>:...`). */
function sessionFor(ctx: GatewayContext, key: string | undefined, agentId: string | undefined): string {
  if (agentId !== undefined && !ctx.brain.agentIds().includes(agentId)) {
    throw new OcError("INVALID_REQUEST", `unknown agent id "${agentId}" (agents: ${ctx.brain.agentIds().join(", ")})`, { code: "UNKNOWN_AGENT_ID" });
  }
  const k = key ?? `agent:${agentId ?? ctx.brain.defaultAgentId()}:main`;
  // OpenClaw's clients may name the main session by its short name.
  const full = k === "main" ? `agent:${agentId ?? ctx.brain.defaultAgentId()}:main` : k;
  if (!ctx.brain.routableSessionKey(full))
    throw new OcError("INVALID_REQUEST", `cannot route session key ${JSON.stringify(k)}: expected ${ctx.brain.sessionKeyForms()}`);
  return full;
}

/** Stores the message once per idempotency key; whether it is new. */
async function submit(ctx: GatewayContext, caller: OcCaller, message: string, idempotencyKey: string, sessionKey: string): Promise<boolean> {
  const r = await ctx.brain.webchat.send({ text: message, idempotencyKey, sessionKey, sender: caller.clientId });
  return r.accepted > 0;
}

/** `agent`'s final answer in OpenClaw's shape. */
function agentResult(runId: string, o: RunOutcome | null | "unknown", timeoutS: number): Record<string, unknown> {
  if (o === null) return { runId, status: "timeout", summary: `no reply within ${timeoutS} s; the run goes on (agent.wait ${runId})` };
  if (o === "unknown") return { runId, status: "error", summary: "the message was not stored" };
  if (o.status !== "ok") return { runId, status: "error", summary: o.error ?? o.status, error: o.error ?? o.status };
  const [provider, ...model] = (o.model ?? "").split("/");
  return {
    runId,
    status: "ok",
    summary: "completed",
    result: {
      payloads: [{ text: o.text, mediaUrl: null }],
      meta: {
        durationMs: o.endedAt - o.startedAt,
        agentMeta: { sessionId: String(o.sessionId), sessionFile: o.sessionKey, provider: provider || null, model: model.join("/") || null },
      },
    },
  };
}

const loose = <T extends z.core.$ZodLooseShape>(shape: T) => z.looseObject(shape);

export const chatMethods: Record<string, OcMethod> = {
  "chat.send": {
    scope: "operator.write",
    params: loose({ sessionKey: z.optional(keyString(512)), message: text, idempotencyKey: keyString(128), deliver: z.optional(z.boolean()) }),
    run: async (p, ctx, caller) => {
      const o = p as { sessionKey?: string; message: string; idempotencyKey: string };
      const sessionKey = sessionFor(ctx, o.sessionKey, undefined);
      const fresh = await submit(ctx, caller, o.message, o.idempotencyKey, sessionKey);
      const done = fresh ? null : runOutcome(ctx, o.idempotencyKey);
      return { runId: o.idempotencyKey, status: fresh ? "started" : done && done !== "unknown" ? done.status : "in_flight" };
    },
  },
  "chat.history": {
    scope: "operator.read",
    params: loose({
      sessionKey: keyString(512),
      limit: z.optional(z.int().check(z.minimum(1), z.maximum(1000))),
      maxBytes: z.optional(z.int().check(z.minimum(1))),
    }),
    run: (p, ctx) => {
      const o = p as { sessionKey: string; limit?: number; maxBytes?: number; cursor?: string };
      // onebrain hands out no delta cursors; one from elsewhere is answered as OpenClaw answers a stale one: fetch the tail again.
      if (o.cursor !== undefined) return { kind: "reset" };
      return historyPage(ctx, sessionFor(ctx, o.sessionKey, undefined), o.limit ?? 50, o.maxBytes ?? 1024 * 1024);
    },
  },
  "chat.abort": {
    scope: "operator.write",
    params: loose({ sessionKey: z.optional(keyString(512)), runId: z.optional(keyString(128)) }),
    run: (p, ctx) => {
      const o = p as { sessionKey?: string; runId?: string };
      const runs = ctx.brain.brain.activeRuns().filter((r) => o.sessionKey === undefined || r.sessionKey === o.sessionKey);
      const aborted = runs.filter((r) => ctx.brain.brain.abort({ runId: r.runId }));
      return { ok: true, aborted: aborted.length > 0, runIds: aborted.map((r) => String(r.runId)) };
    },
  },
  "sessions.list": {
    scope: "operator.read",
    params: z.optional(
      loose({
        limit: z.optional(z.int().check(z.minimum(1), z.maximum(1000))),
        offset: z.optional(z.int().check(z.minimum(0))),
        agentId: z.optional(keyString(64)),
      }),
    ),
    run: (p, ctx) => {
      const o = (p ?? {}) as { limit?: number; offset?: number; agentId?: string };
      const limit = o.limit ?? 100;
      const offset = o.offset ?? 0;
      const { rows, total } = listSessionRows(ctx, { limit, offset, agentId: o.agentId });
      return {
        ts: Date.now(),
        path: ctx.paths.storePath,
        count: rows.length,
        totalCount: total,
        limitApplied: limit,
        nextOffset: offset + rows.length < total ? offset + rows.length : null,
        hasMore: offset + rows.length < total,
        owners: [],
        defaults: modelDefaults(ctx, o.agentId),
        sessions: rows,
      };
    },
  },
  "sessions.describe": {
    scope: "operator.read",
    params: loose({ key: keyString(512) }),
    run: (p, ctx) => ({ session: describeSession(ctx, (p as { key: string }).key) }),
  },
  "sessions.reset": {
    scope: "operator.admin",
    params: loose({ key: keyString(512) }),
    run: (p, ctx) => {
      const key = sessionFor(ctx, (p as { key: string }).key, undefined);
      ctx.brain.brain.abort({ sessionKey: key });
      const reset = ctx.brain.store.transaction(() => resetSessionKey(ctx.brain.store, key, "reset", Date.now()));
      return { ok: true, key, reset };
    },
  },
  agent: {
    scope: "operator.write",
    params: loose({
      message: text,
      idempotencyKey: keyString(128),
      agentId: z.optional(keyString(64)),
      sessionKey: z.optional(keyString(512)),
      deliver: z.optional(z.boolean()),
      timeout: z.optional(z.number().check(z.minimum(0))),
    }),
    run: async (p, ctx, caller, ack) => {
      const o = p as {
        message: string;
        idempotencyKey: string;
        agentId?: string;
        sessionKey?: string;
        deliver?: boolean;
        timeout?: number;
        channel?: string;
        to?: string;
      };
      if (o.deliver === true && (o.channel !== undefined || o.to !== undefined)) {
        throw new OcError(
          "INVALID_REQUEST",
          "agent --deliver to a channel is not served by onebrain yet: send the reply with `message send`, or use a cron job or hook with deliver (docs/openclaw.md)",
        );
      }
      const sessionKey = sessionFor(ctx, o.sessionKey, o.agentId);
      await submit(ctx, caller, o.message, o.idempotencyKey, sessionKey);
      ack({ runId: o.idempotencyKey, sessionKey, agentId: agentOf(sessionKey), status: "accepted", acceptedAt: Date.now() });
      const timeoutS = o.timeout && o.timeout > 0 ? Math.min(o.timeout, 86_400) : 600;
      return agentResult(o.idempotencyKey, await waitRun(ctx, o.idempotencyKey, timeoutS * 1000), timeoutS);
    },
  },
  "agent.wait": {
    scope: "operator.write",
    params: loose({ runId: keyString(128), timeoutMs: z.optional(z.int().check(z.minimum(0))) }),
    run: async (p, ctx) => {
      const o = p as { runId: string; timeoutMs?: number };
      const r = await waitRun(ctx, o.runId, Math.min(o.timeoutMs ?? 30_000, 600_000));
      if (r === "unknown") throw new OcError("INVALID_REQUEST", `unknown runId ${JSON.stringify(o.runId)}`);
      if (r === null) return { runId: o.runId, status: "timeout" };
      return { runId: o.runId, status: r.status === "ok" ? "ok" : "error", startedAt: r.startedAt, endedAt: r.endedAt, ...(r.error ? { error: r.error } : {}) };
    },
  },
};

// The Control UI loads a session's view with `chat.startup`: the same page as `chat.history`.
chatMethods["chat.startup"] = { ...chatMethods["chat.history"]! };
