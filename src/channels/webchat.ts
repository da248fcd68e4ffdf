/**
 * WebChat, the first channel: the operator console and any protocol client chat over the
 * gateway's own WebSocket. `chat.send` carries an idempotency key, which is the message id, so
 * a retried send (after a reconnect or a crash) is one message, one run and one reply.
 * Delivery is the `chat` event stream plus the transcript (`chat.history`); both are idempotent,
 * so `deliver` only confirms.
 */
import type { Channel, ChannelContext, IngestResult } from "./channel.ts";

export const WEBCHAT = "webchat";

export interface WebChatSend {
  text: string;
  idempotencyKey: string;
  /** An explicit session key (`agent:...`); omitted: the sender's default session. */
  sessionKey?: string;
  /** Who is typing (the client id), for the transcript. */
  sender: string;
}

/** The WebChat channel (one account, "default"). */
export class WebChatChannel implements Channel {
  readonly id = WEBCHAT;
  readonly account = "default";
  readonly idempotentDelivery = true;
  private ctx: ChannelContext | undefined;

  async start(ctx: ChannelContext): Promise<void> {
    this.ctx = ctx;
    ctx.setState({ state: "connected", since: Date.now() });
  }

  /** Ingests one typed message; resolves once it is durable (accepted or a duplicate). */
  async send(m: WebChatSend): Promise<IngestResult> {
    if (!this.ctx) throw new Error("webchat is not started");
    return this.ctx.ingest({
      // Whoever can call chat.send is authenticated to the gateway: the operator.
      messages: [{ messageId: m.idempotencyKey, kind: "dm", peer: m.sessionKey ?? m.sender, sender: m.sender, text: m.text, owner: true }],
    });
  }

  async deliver(): Promise<{ platformMessageId?: string }> {
    // The final `chat` event went to every open tab when the run ended, and the reply is in the
    // transcript that `chat.history` reads: there is nothing more to send.
    return {};
  }

  async stop(): Promise<void> {
    this.ctx?.setState({ state: "stopped" });
    this.ctx = undefined;
  }
}
