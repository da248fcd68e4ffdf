/**
 * OpenClaw's `message.action` with action "send" and `send` (`openclaw message send --channel C
 * --target T --message M`): the operator's message to a chat, written to the outbox like a reply,
 * so it goes out exactly once however often the client retries its idempotency key. Other actions
 * (react, pin, poll, ...) are answered as not served.
 */
import * as z from "zod/mini";
import { enqueueReply } from "../../../brain/runs.ts";
import { keyString } from "../../../protocol/keys.ts";
import type { GatewayContext } from "../../context.ts";
import { OcError, type OcMethod } from "../types.ts";

/** The account a message goes out on: as named, else the channel's only running one. */
function accountFor(ctx: GatewayContext, channel: string, account: string | undefined): string {
  const running = ctx.brain.brain.channelAccounts().filter((c) => c.id === channel && c.id !== "webchat");
  if (!running.length)
    throw new OcError("UNAVAILABLE", `channel ${JSON.stringify(channel)} is not running in this gateway (onebrain channels status shows why)`);
  if (account !== undefined) {
    if (!running.some((c) => c.account === account))
      throw new OcError("INVALID_REQUEST", `channel ${channel} has no running account ${JSON.stringify(account)}`);
    return account;
  }
  if (running.length > 1)
    throw new OcError("INVALID_REQUEST", `channel ${channel} runs several accounts (${running.map((c) => c.account).join(", ")}): pass --account`);
  return running[0]!.account;
}

/** Enqueues one message; the outbox row's id and whether it was already there. */
async function send(
  ctx: GatewayContext,
  m: { channel: string; account?: string | undefined; target: string; text: string; idempotencyKey: string },
): Promise<Record<string, unknown>> {
  // A target may come as "telegram:123" (OpenClaw's `to`): the channel prefix is not part of the chat id.
  const target = m.target.startsWith(`${m.channel}:`) ? m.target.slice(m.channel.length + 1) : m.target;
  if (!target) throw new OcError("INVALID_REQUEST", "a target is required (--target)");
  const account = accountFor(ctx, m.channel, m.account);
  const store = ctx.brain.store;
  const key = `openclaw:${m.idempotencyKey}`;
  const had = store.prepare("SELECT id FROM outbox WHERE idempotency_key = ?").get(key) as { id: number } | undefined;
  const { value: outboxId, durable } = store.grouped(() =>
    enqueueReply(store, { inboundId: null, key, channel: m.channel, account, target, replyTo: null, text: m.text, epoch: ctx.brain.epoch, now: Date.now() }),
  );
  await durable;
  void ctx.brain.brain.deliver();
  // OpenClaw answers once the platform took the message: wait for the outbox's answer a while,
  // then say it is queued (it is durable, and goes out exactly once whatever happens next).
  const sent = await outcome(ctx, outboxId, SEND_WAIT_MS);
  if (sent.state === "failed") throw new OcError("UNAVAILABLE", `Error: ${m.channel} refused the message: ${sent.error ?? "unknown error"}`, { outboxId });
  return {
    ok: true,
    channel: m.channel,
    accountId: account,
    to: target,
    chatId: target,
    messageId: sent.platformId ?? `outbox-${outboxId}`,
    queued: sent.state === "pending",
    duplicate: had !== undefined,
  };
}

const SEND_WAIT_MS = 15_000;

/** The outbox row's state once it is delivered or failed, or as it is after `waitMs`. */
async function outcome(ctx: GatewayContext, id: number, waitMs: number): Promise<{ state: string; error: string | null; platformId: string | null }> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const row = ctx.brain.store.prepare("SELECT state, last_error AS error, platform_message_id AS platformId FROM outbox WHERE id = ?").get(id) as {
      state: string;
      error: string | null;
      platformId: string | null;
    };
    if (row.state !== "pending" || Date.now() >= deadline) return row;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const text = z.string().check(z.minLength(1), z.maxLength(64 * 1024));

export const messageMethods: Record<string, OcMethod> = {
  "message.action": {
    scope: "operator.write",
    params: z.looseObject({
      channel: keyString(64),
      action: keyString(64),
      params: z.looseObject({}),
      idempotencyKey: z.optional(keyString(128)),
      accountId: z.optional(keyString(128)),
    }),
    run: async (p, ctx) => {
      const o = p as { channel: string; action: string; params: Record<string, unknown>; idempotencyKey?: string; accountId?: string };
      if (o.action !== "send")
        throw new OcError("INVALID_REQUEST", `message action "${o.action}" is not served by onebrain (only "send")`, { code: "UNKNOWN_METHOD" });
      const body = o.params.message ?? o.params.text;
      const target = o.params.target ?? o.params.to;
      if (typeof body !== "string" || !body) throw new OcError("INVALID_REQUEST", "a message is required (--message)");
      if (typeof target !== "string") throw new OcError("INVALID_REQUEST", "a target is required (--target)");
      const account = typeof o.params.accountId === "string" ? o.params.accountId : o.accountId;
      const r = await send(ctx, { channel: o.channel, account, target, text: body, idempotencyKey: o.idempotencyKey ?? `${o.channel}:${target}:${body}` });
      return { ...r, action: "send", dryRun: false, via: "gateway" };
    },
  },
  send: {
    scope: "operator.write",
    params: z.looseObject({
      to: keyString(512),
      message: z.optional(text),
      channel: z.optional(keyString(64)),
      accountId: z.optional(keyString(128)),
      idempotencyKey: keyString(128),
    }),
    run: async (p, ctx) => {
      const o = p as { to: string; message?: string; channel?: string; accountId?: string; idempotencyKey: string };
      const channel = o.channel ?? /^([a-z]+):/.exec(o.to)?.[1];
      if (!channel) throw new OcError("INVALID_REQUEST", 'a channel is required (channel, or a target such as "telegram:123")');
      if (!o.message) throw new OcError("INVALID_REQUEST", "a message is required");
      const r = await send(ctx, { channel, account: o.accountId, target: o.to, text: o.message, idempotencyKey: o.idempotencyKey });
      return { runId: o.idempotencyKey, messageId: r.messageId, channel, toJid: r.to, ok: true };
    },
  },
};
