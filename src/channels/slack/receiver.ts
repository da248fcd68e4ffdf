/**
 * What the Slack channel does with each envelope, strictly in arrival order (one queue): an event
 * is decided (inbound.ts), stored with the cursor in one `ctx.ingest`, and acknowledged only once
 * that resolved. A crash or a lost socket before the ack leaves the envelope unacked, so Slack
 * sends it again (`retry_attempt` + 1) and the core's dedupe on channel + ts makes that harmless.
 * A failed ingest is not acked either: Slack's redelivery is the retry.
 *
 * Slash commands (`/onebrain new|status`) are stored and acked the same way; what a stranger or
 * a wrong sub-command gets is the ack's own ephemeral answer. Other envelopes are acked at once.
 */
import type { WebClient } from "@slack/web-api";
import type { Logger } from "pino";
import type { ChannelContext, InboundMessage } from "../channel.ts";
import type { Envelope } from "./connection.ts";
import { encodeCursor, noteThread, type Threads } from "./cursor.ts";
import { fromSlack } from "./format.ts";
import {
  decideCommand,
  decideMessage,
  pairingText,
  type Decision,
  type InboundContext,
  type SlackMessageEvent,
  type SlashCommand,
  type ThreadNote,
} from "./inbound.ts";
import type { SlackSender } from "./send.ts";
import type { SlackSettings, SlackTiming } from "./settings.ts";
import { describeFailure } from "./web.ts";

/** Who the bot is (from auth.test), shared with the channel. */
export interface BotIdentity {
  userId: string | null;
  botId: string | null;
}

export interface ReceiverOptions {
  ctx: ChannelContext;
  web: WebClient;
  settings: () => SlackSettings;
  sender: SlackSender;
  bot: BotIdentity;
  threads: Threads;
  timing: SlackTiming;
  stop: AbortSignal;
}

/** Counts for `channels status`. */
export interface ReceiverFacts {
  envelopes: number;
  redeliveries: number;
  lastEnvelopeAt: number | null;
}

export class Receiver {
  readonly facts: ReceiverFacts = { envelopes: 0, redeliveries: 0, lastEnvelopeAt: null };
  private readonly o: ReceiverOptions;
  private tail: Promise<void> = Promise.resolve();
  /** Codes already sent in this process: a stranger gets theirs once. */
  private readonly codesSent = new Set<string>();

  constructor(o: ReceiverOptions) {
    this.o = o;
  }

  private get log(): Logger {
    return this.o.ctx.logger;
  }

  /** Queues one envelope. Never throws. */
  push(e: Envelope): void {
    this.facts.envelopes++;
    this.facts.lastEnvelopeAt = Date.now();
    if ((e.retry_num ?? 0) > 0) this.facts.redeliveries++;
    this.tail = this.tail.then(async () => {
      if (this.o.stop.aborted) return; // not acked: Slack sends it again to the next connection
      try {
        await this.handle(e);
      } catch (err) {
        this.log.warn({ envelope: e.envelope_id, error: (err as Error).message }, "slack: an event could not be stored; not acked, so Slack sends it again");
      }
    });
  }

  /** Resolves once everything queued so far is handled. */
  drained(): Promise<void> {
    return this.tail;
  }

  private async handle(e: Envelope): Promise<void> {
    if (e.type === "events_api") {
      const event = (e.body as { event?: unknown } | null)?.event;
      const d = event && typeof event === "object" ? decideMessage(event as SlackMessageEvent, this.context()) : ({ kind: "skip", why: "no event" } as const);
      if (d.kind === "ingest") {
        const message = await this.withHistory(d.message, d.thread);
        // Noted first: the run (and its status reaction) may start before ingest's promise settles here.
        if (message.replyTo) this.o.sender.noteInbound(message.peer, message.replyTo);
        await this.store(message, d.thread);
      }
      const code = d.kind === "pairing" ? this.pairingCode(d) : null;
      await this.ack(e);
      if (d.kind === "pairing" && code) await this.sendPairing(d.ask.peer, d.ask.sender, code);
      return;
    }
    if (e.type === "slash_commands") {
      const d = decideCommand((e.body ?? {}) as SlashCommand, this.context());
      if (d.kind === "ingest") {
        await this.store(d.message, null);
        return this.ack(e);
      }
      if (d.kind === "pairing") return this.ack(e, { response_type: "ephemeral", text: pairingText(this.pairingCode(d) ?? "?", d.ask.sender) });
      return this.ack(e, d.usage ? { response_type: "ephemeral", text: d.usage } : undefined);
    }
    await this.ack(e);
  }

  private async store(m: InboundMessage, thread: ThreadNote | null): Promise<void> {
    const threads = this.o.threads;
    const before = thread ? threads.get(thread.peer) : undefined;
    if (thread) noteThread(threads, thread.peer, Date.now());
    try {
      await this.o.ctx.ingest({ messages: [m], cursor: encodeCursor(threads) });
    } catch (err) {
      if (thread && before === undefined) threads.delete(thread.peer);
      throw err;
    }
  }

  /** Acks on the connection it came on; a closed one means Slack sends it again (deduped). Never throws. */
  private async ack(e: Envelope, response?: Record<string, unknown>): Promise<void> {
    try {
      await e.ack(response);
    } catch (err) {
      this.log.debug({ envelope: e.envelope_id, error: (err as Error).message }, "slack: ack not sent (socket gone); Slack will send the envelope again");
    }
  }

  /** A message that starts a session inside an existing thread, with the thread's earlier messages before it. */
  private async withHistory(m: InboundMessage, thread: ThreadNote | null): Promise<InboundMessage> {
    const limit = this.o.settings().thread.initialHistoryLimit;
    if (!thread?.fresh || limit <= 0 || !m.replyTo) return m;
    try {
      const r = await within(
        this.o.timing.historyTimeoutMs,
        this.o.web.conversations.replies({ channel: thread.channel, ts: thread.threadTs, latest: m.replyTo, inclusive: false, limit: 200 }),
      );
      const earlier = ((r.messages ?? []) as SlackMessageEvent[]).filter((x) => x.ts !== m.replyTo);
      const kept = earlier.length > limit ? [earlier[0]!, ...earlier.slice(earlier.length - limit + 1)] : earlier;
      const lines = kept
        .map((x) => {
          const who = x.bot_id && (x.user === this.o.bot.userId || !x.user) ? "you" : `<@${x.user ?? x.bot_id ?? "?"}>`;
          const said = fromSlack(x.text ?? "", this.o.bot.userId);
          return said ? `${who}: ${said}` : "";
        })
        .filter(Boolean);
      if (!lines.length) return m;
      return { ...m, text: `[earlier in this Slack thread]\n${lines.join("\n")}\n[the new message]\n${m.text}` };
    } catch (err) {
      this.log.info(
        { thread: thread.peer, error: describeFailure(err) },
        "slack: the thread's earlier messages could not be read; the agent gets the message alone",
      );
      return m;
    }
  }

  /** The stranger's pairing code (stored), or null when it could not be made. */
  private pairingCode(d: Extract<Decision, { kind: "pairing" }>): string | null {
    try {
      const r = this.o.ctx.access!.requestPairing(d.ask);
      if (r.isNew)
        this.log.info({ sender: d.ask.sender, code: r.code }, "slack: an unknown sender asked for access; approve with `onebrain pairing approve slack CODE`");
      return r.code;
    } catch (err) {
      this.log.warn({ sender: d.ask.sender, error: (err as Error).message }, "slack: could not make a pairing code");
      return null;
    }
  }

  /** Sends a stranger their code, once per code in this process. Never throws. */
  private async sendPairing(peer: string, sender: string, code: string): Promise<void> {
    if (this.codesSent.has(code)) return;
    this.codesSent.add(code);
    try {
      await this.o.web.chat.postMessage({ channel: peer, text: pairingText(code, sender), parse: "none", link_names: false });
    } catch (err) {
      this.log.warn({ sender, error: describeFailure(err) }, "slack: could not send a pairing code");
    }
  }

  private context(): InboundContext {
    return {
      botUserId: this.o.bot.userId,
      botId: this.o.bot.botId,
      settings: this.o.settings(),
      access: this.o.ctx.access,
      knowsThread: (peer) => this.o.threads.has(peer),
    };
  }
}

/** `p`, or a rejection after `ms` (the call itself goes on and is let go). */
function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
