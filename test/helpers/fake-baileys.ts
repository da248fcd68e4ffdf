/**
 * A stand-in for Baileys behind the WhatsApp adapter (src/channels/whatsapp/baileys.ts, WaLibrary).
 * WhatsApp's wire is end-to-end encrypted: no local server can speak it. So the tests meet the
 * channel at the adapter's boundary, with Baileys' own shapes: messages are proto.WebMessageInfo
 * built by the library, disconnects carry a Boom whose `output.statusCode` is a DisconnectReason,
 * and the auth codec (BufferJSON, initAuthCreds, app-state keys) is Baileys' real one.
 */
import { Boom } from "@hapi/boom";
import { BufferJSON, initAuthCreds, proto } from "@whiskeysockets/baileys";
import type { WaAuthState, WaConnectionUpdate, WaKey, WaLibrary, WaMessage, WaSocket } from "../../src/channels/whatsapp/baileys.ts";

export interface Sent {
  jid: string;
  text: string;
  id: string;
  quotedId: string | null;
}

type Listener<T> = (v: T) => void;

/** The event listeners of a session, as Baileys' `sock.ev` keeps them. */
export class WaListeners {
  protected readonly on = {
    conn: [] as Listener<WaConnectionUpdate>[],
    creds: [] as Listener<void>[],
    msgs: [] as Listener<{ messages: WaMessage[]; type: "notify" | "append" }>[],
    upd: [] as Listener<Array<{ key: WaKey; update: Partial<WaMessage> }>>[],
  };
  onConnection(fn: Listener<WaConnectionUpdate>): void {
    this.on.conn.push(fn);
  }
  onCreds(fn: () => void): void {
    this.on.creds.push(fn);
  }
  onMessages(fn: Listener<{ messages: WaMessage[]; type: "notify" | "append" }>): void {
    this.on.msgs.push(fn);
  }
  onMessageUpdates(fn: Listener<Array<{ key: WaKey; update: Partial<WaMessage> }>>): void {
    this.on.upd.push(fn);
  }
  /** WhatsApp's server acknowledged our message (Baileys emits `messages.update` with status SERVER_ACK). */
  protected serverAck(jid: string, id: string): void {
    for (const f of this.on.upd) f([{ key: { remoteJid: jid, fromMe: true, id }, update: { status: 2 } }]);
  }
}

/** One fake session: what the channel sent, and the events the test makes WhatsApp emit. */
export class FakeSocket extends WaListeners implements WaSocket {
  readonly sent: Sent[] = [];
  readonly presences: Array<{ jid: string; state: string }> = [];
  readonly reads: WaKey[] = [];
  /** Ids the channel said are stored (or not for it): their receipts may go. */
  readonly settledIds: string[] = [];
  ended = false;
  /** The next sends throw this (a Boom with a status, or a plain error), one each. */
  failSends: Error[] = [];
  /** The next `n` sends reach the server (which acknowledges them), but the connection drops before the send returns. */
  loseAfterAck = 0;
  readonly auth: WaAuthState;

  constructor(auth: WaAuthState) {
    super();
    this.auth = auth;
  }

  async sendText(jid: string, text: string, o: { id: string; quoted?: WaMessage | null }): Promise<{ id: string }> {
    const fail = this.failSends.shift();
    if (fail) throw fail;
    this.sent.push({ jid, text, id: o.id, quotedId: o.quoted?.key.id ?? null });
    if (this.loseAfterAck > 0) {
      this.loseAfterAck--;
      this.serverAck(jid, o.id);
      throw new Boom("Connection Closed", { statusCode: 428 });
    }
    // Baileys emits our own message back at once (emitOwnEvents), as an append from us.
    const echo = proto.WebMessageInfo.fromObject({ key: { remoteJid: jid, fromMe: true, id: o.id }, message: { conversation: text }, messageTimestamp: 1 });
    queueMicrotask(() => this.emitMessages([echo as unknown as WaMessage], "append"));
    return { id: o.id };
  }
  async presence(jid: string, state: "composing" | "paused"): Promise<void> {
    this.presences.push({ jid, state });
  }
  async markRead(keys: WaKey[]): Promise<void> {
    this.reads.push(...keys);
  }
  async requestPairingCode(): Promise<string> {
    return "ABCD1234";
  }
  async logout(): Promise<void> {
    this.close(401, "logged out");
  }
  settled(ids: readonly string[]): void {
    this.settledIds.push(...ids);
  }
  end(): void {
    this.ended = true;
  }

  /** WhatsApp accepts the session. */
  connect(): void {
    for (const f of this.on.conn) f({ connection: "open" });
  }
  /** WhatsApp closes the session with a DisconnectReason (undefined: a network error without one). */
  close(status: number | undefined, message = "closed"): void {
    const error = status === undefined ? new Error(message) : new Boom(message, { statusCode: status });
    for (const f of this.on.conn) f({ connection: "close", lastDisconnect: { error, date: new Date() } });
  }
  qr(): void {
    for (const f of this.on.conn) f({ qr: "2@fakeqr" });
  }
  emitMessages(messages: WaMessage[], type: "notify" | "append" = "notify"): void {
    for (const f of this.on.msgs) f({ messages, type });
  }
  /** Baileys changed the creds (a new pre-key id, a sync): the channel must save them. */
  changeCreds(patch: Record<string, unknown>): void {
    Object.assign(this.auth.creds, patch);
    for (const f of this.on.creds) f();
  }
}

/** The fake library: every `open` makes a FakeSocket, kept in `sockets`. */
export class FakeBaileys implements WaLibrary {
  readonly sockets: FakeSocket[] = [];
  readonly bufferJson = BufferJSON as WaLibrary["bufferJson"];
  initCreds(): WaAuthState["creds"] {
    return initAuthCreds() as unknown as WaAuthState["creds"];
  }
  reviveKey(type: string, value: unknown): unknown {
    return type === "app-state-sync-key" && value ? proto.Message.AppStateSyncKeyData.fromObject(value as object) : value;
  }
  open(o: { auth: WaAuthState }): WaSocket {
    const s = new FakeSocket(o.auth);
    this.sockets.push(s);
    return s;
  }
  /** The newest session. */
  get last(): FakeSocket {
    return this.sockets.at(-1)!;
  }
}

/** A message from `from` as Baileys emits it. */
export function waText(from: string, id: string, text: string, extra: Record<string, unknown> = {}): WaMessage {
  return proto.WebMessageInfo.fromObject({
    key: { remoteJid: from, fromMe: false, id },
    message: { conversation: text },
    messageTimestamp: 1765000000,
    ...extra,
  }) as unknown as WaMessage;
}
