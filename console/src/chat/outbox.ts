/**
 * Outgoing chat messages until the gateway acknowledges them. Each message gets one
 * idempotency key when it is typed, and keeps it: a send that got no answer (the link dropped,
 * or the answer timed out) is sent again with the same key after the next reconnect, so the
 * gateway stores it once and answers it once however many times it arrives.
 */
import { randomId } from "../link/ids.ts";

export type OutgoingStatus = "sending" | "waiting" | "accepted" | "failed";

export interface Outgoing {
  key: string;
  text: string;
  sessionKey: string | undefined;
  status: OutgoingStatus;
  /** Why it failed, for "failed". */
  error?: string;
}

/** What `chat.send` is given; returns the acknowledgement or throws an error with a `code`. */
export type SendFn = (params: { text: string; idempotencyKey: string; sessionKey?: string }) => Promise<unknown>;

// Errors after which the message may or may not have been stored: only a resend with the same key can tell.
const UNKNOWN_FATE = new Set(["LINK_DOWN", "TIMEOUT", "SHUTTING_DOWN", "INTERNAL"]);

/** Sends chat messages with stable idempotency keys and resends the unacknowledged ones on reconnect. */
export class ChatOutbox {
  private readonly items = new Map<string, Outgoing>();
  private readonly watchers = new Set<(m: Outgoing) => void>();
  private readonly send: SendFn;
  private readonly newKey: () => string;

  constructor(send: SendFn, newKey: () => string = () => `console-${randomId(22)}`) {
    this.send = send;
    this.newKey = newKey;
  }

  /** Calls `fn` with a copy of a message every time its status changes; returns the unsubscribe function. */
  subscribe(fn: (m: Outgoing) => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  /** Sends a new message under a fresh key; returns the key. */
  submit(text: string, sessionKey?: string): string {
    const m: Outgoing = { key: this.newKey(), text, sessionKey, status: "sending" };
    this.items.set(m.key, m);
    void this.attempt(m);
    return m.key;
  }

  /** Sends every message still waiting for an acknowledgement again, each under its own key (call on reconnect). */
  resendWaiting(): void {
    for (const m of this.items.values()) if (m.status === "waiting") void this.attempt(m);
  }

  /** Messages not yet acknowledged, oldest first. */
  unacknowledged(): Outgoing[] {
    return [...this.items.values()].filter((m) => m.status === "sending" || m.status === "waiting");
  }

  private async attempt(m: Outgoing): Promise<void> {
    this.set(m, { status: "sending" });
    try {
      await this.send({ text: m.text, idempotencyKey: m.key, ...(m.sessionKey ? { sessionKey: m.sessionKey } : {}) });
      this.set(m, { status: "accepted" });
      // Acknowledged messages live on in the transcript; the outbox need not keep them.
      this.items.delete(m.key);
    } catch (err) {
      const code = (err as { code?: string }).code ?? "";
      if (UNKNOWN_FATE.has(code)) this.set(m, { status: "waiting" });
      else {
        this.set(m, { status: "failed", error: (err as Error).message });
        this.items.delete(m.key);
      }
    }
  }

  private set(m: Outgoing, patch: Partial<Outgoing>): void {
    Object.assign(m, patch);
    for (const w of this.watchers) w({ ...m });
  }
}
