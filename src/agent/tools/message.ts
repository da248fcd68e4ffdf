/**
 * `message`: the model sends a message to a conversation, by default the one its run answers.
 * The message goes through the same exactly-once outbox as replies: its idempotency key is
 * `tool:<runId>:<callId>`, so the same call enqueued twice (a retry, a resumed run) is one
 * message. Which channels and conversations may be named is the brain's decision
 * (`src/brain/tool-messages.ts`): a refusal comes back as a thrown error and is shown to the
 * model as a tool error, with what to do.
 */
import type { Tool, ToolContext } from "./types.ts";

/** Longest message text (channels split long messages into parts as they do for replies). */
export const MAX_MESSAGE_CHARS = 16_000;
const CHANNEL_ID = /^[a-z][a-z0-9_-]{0,31}$/;
const MAX_ID_CHARS = 256;
// oxlint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function fail(content: string): { content: string; isError: true } {
  return { content, isError: true };
}

/** A conversation id (`to`, `account`): a non-empty line of at most MAX_ID_CHARS; null when fine, else what is wrong. */
function badId(name: string, v: unknown): string | null {
  if (typeof v !== "string" || !v.trim()) return `"target.${name}" must be a non-empty string`;
  if (v.length > MAX_ID_CHARS || CONTROL.test(v)) return `"target.${name}" must be one line of at most ${MAX_ID_CHARS} characters`;
  return null;
}

type Target = { channel: string; account?: string; to: string };

/** The target named by the input, or the run's own conversation; a string says what is wrong. */
function target(raw: unknown, ctx: ToolContext): Target | string {
  if (raw === undefined || raw === null) return { channel: ctx.origin.channel, account: ctx.origin.account, to: ctx.origin.peer };
  if (typeof raw !== "object" || Array.isArray(raw)) return '"target" must be an object {channel, to, account?}; leave it out to answer this conversation';
  const t = raw as Record<string, unknown>;
  const extra = Object.keys(t).filter((k) => k !== "channel" && k !== "to" && k !== "account");
  if (extra.length) return `"target" has unknown key(s) ${extra.map((k) => JSON.stringify(k)).join(", ")}; it takes channel, to and account`;
  if (typeof t.channel !== "string" || !CHANNEL_ID.test(t.channel)) return '"target.channel" must be a channel id such as "webchat" or "telegram"';
  const to = badId("to", t.to);
  if (to) return to;
  if (t.account !== undefined) {
    const account = badId("account", t.account);
    if (account) return account;
  }
  return { channel: t.channel, to: t.to as string, ...(t.account === undefined ? {} : { account: t.account as string }) };
}

const tool: Tool = {
  name: "message",
  group: "messaging",
  sideEffects: true,
  concurrent: false,
  spec: {
    name: "message",
    description:
      "Send a message to a conversation, delivered exactly once. Without target it goes to the conversation you are answering now (before your final reply). " +
      "With target {channel, to, account?} it goes to another conversation this assistant has already answered on that channel.",
    inputSchema: {
      type: "object",
      properties: {
        text: { type: "string", description: `The message (at most ${MAX_MESSAGE_CHARS} characters).` },
        target: {
          type: "object",
          description: "Where to send it; leave out for the current conversation.",
          properties: {
            channel: { type: "string", description: 'The channel id, e.g. "telegram" or "webchat".' },
            to: { type: "string", description: "The conversation on that channel (a Telegram chat id, a WebChat peer)." },
            account: { type: "string", description: "The channel account, when the channel has several." },
          },
          required: ["channel", "to"],
          additionalProperties: false,
        },
      },
      required: ["text"],
      additionalProperties: false,
    },
  },
  async run(input: Record<string, unknown>, ctx: ToolContext) {
    if (ctx.signal.aborted) return fail("The run was cancelled, so the message was not sent.");
    const { text } = input;
    if (typeof text !== "string" || !text.trim()) return fail('message needs "text": the message to send, as a non-empty string.');
    if (text.length > MAX_MESSAGE_CHARS)
      return fail(`The text is ${text.length} characters; a message holds at most ${MAX_MESSAGE_CHARS}. Shorten it or send several.`);
    const t = target(input.target, ctx);
    if (typeof t === "string") return fail(`${t}.`);
    const where = `${t.channel} ${JSON.stringify(t.to)}${t.account ? ` (account ${JSON.stringify(t.account)})` : ""}`;
    try {
      await ctx.beginSideEffect();
      const { outboxId } = await ctx.sendMessage({
        channel: t.channel,
        ...(t.account === undefined ? {} : { account: t.account }),
        target: t.to,
        text,
        idempotencyKey: `tool:${ctx.origin.runId}:${ctx.origin.callId}`,
      });
      return {
        content: `Message queued for ${where} (outbox #${outboxId}); it is delivered once, in order with the other messages to that conversation.`,
        isError: false,
      };
    } catch (err) {
      return fail(`The message to ${where} was not sent: ${(err as Error).message}`);
    }
  },
};

/** The `message` tool (group "messaging", side effects, never run in parallel with other calls). */
export function messageTool(): Tool {
  return tool;
}
