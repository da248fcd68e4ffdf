/**
 * The stand-in for Baileys inside a gateway process (ONEBRAIN_WHATSAPP_LIBRARY names this file;
 * FAKE_WHATSAPP_URL the FakeWhatsApp server of fake-whatsapp.ts in the test process). It is the
 * WhatsApp adapter's interface (src/channels/whatsapp/baileys.ts) over a JSON WebSocket, and
 * behaves as Baileys does where it matters to the channel:
 * - messages are proto.WebMessageInfo built by Baileys' own proto; a disconnect carries a Boom
 *   whose status is a DisconnectReason; the creds are Baileys' initAuthCreds, changed in place;
 * - each message's Signal session is written to the key store before anything else (decryption
 *   does that), then the delivery receipt is sent, then `messages.upsert` is emitted, as Baileys
 *   does; and, as the real adapter does (receipt-gate.ts), every frame written after a message
 *   arrived waits until the channel settled it, so the receipt leaves only after the commit;
 * - our own sends are emitted back at once as `append` from us (Baileys' emitOwnEvents).
 * Wire (JSON text frames): from us `open {me}`, `receipt {ids}`, `send {rid, jid, text, id,
 * quotedId}`, `presence`, `read {keys}`, `pairingCode {rid, phone}`, `logout {rid}`; from the
 * server `connection {update}`, `creds {patch}`, `messages {type, messages}`, `result {rid, ...}`.
 */
import crypto from "node:crypto";
import { Boom } from "@hapi/boom";
import { BufferJSON, initAuthCreds, proto } from "@whiskeysockets/baileys";
import WebSocket from "ws";
import type { WaAuthState, WaKey, WaLibrary, WaMessage, WaSocket } from "../../src/channels/whatsapp/baileys.ts";
import { ReceiptGate } from "../../src/channels/whatsapp/receipt-gate.ts";
import { WaListeners } from "./fake-baileys.ts";
type Result = { ok: true; id?: string; code?: string } | { ok: false; status?: number; message: string };

class RemoteSocket extends WaListeners implements WaSocket {
  private readonly ws: WebSocket;
  private readonly waiting = new Map<string, (r: Result) => void>();
  private closed = false;
  private readonly auth: WaAuthState;
  // One message batch at a time, in order (Baileys' message mutex).
  private chain: Promise<void> = Promise.resolve();
  private readonly gate = new ReceiptGate();

  constructor(url: string, auth: WaAuthState) {
    super();
    this.auth = auth;
    this.ws = new WebSocket(url);
    this.ws.on("open", () => this.ws.send(JSON.stringify({ op: "open", me: auth.creds.me ?? null })));
    this.ws.on("message", (data) => this.frame(JSON.parse((data as Buffer).toString()) as Record<string, any>));
    this.ws.on("error", () => {});
    this.ws.on("close", () => this.closeWith(undefined, "Connection Closed"));
  }

  async sendText(jid: string, text: string, o: { id: string; quoted?: WaMessage | null }): Promise<{ id: string }> {
    const r = await this.call({ op: "send", jid, text, id: o.id, quotedId: o.quoted?.key.id ?? null });
    if (!r.ok) throw r.status ? new Boom(r.message, { statusCode: r.status }) : new Error(r.message);
    this.serverAck(jid, o.id);
    const echo = proto.WebMessageInfo.fromObject({
      key: { remoteJid: jid, fromMe: true, id: o.id },
      message: { conversation: text },
      messageTimestamp: Math.floor(Date.now() / 1000),
    });
    queueMicrotask(() => this.emit([echo as unknown as WaMessage], "append"));
    return { id: o.id };
  }
  async presence(jid: string, state: "composing" | "paused"): Promise<void> {
    this.post({ op: "presence", jid, state });
  }
  async markRead(keys: WaKey[]): Promise<void> {
    this.post({ op: "read", keys });
  }
  async requestPairingCode(phone: string): Promise<string> {
    const r = await this.call({ op: "pairingCode", phone });
    if (!r.ok || !r.code) throw new Boom(r.ok ? "no code" : r.message, { statusCode: r.ok ? 500 : (r.status ?? 500) });
    return r.code;
  }
  async logout(): Promise<void> {
    const r = await this.call({ op: "logout" });
    if (!r.ok) throw new Boom(r.message, { statusCode: r.status ?? 500 });
  }
  settled(ids: readonly string[]): void {
    this.gate.settle(ids);
  }
  end(): void {
    this.closeWith(undefined, "Connection Closed");
  }

  private post(frame: Record<string, unknown>): void {
    this.gate.send(() => {
      if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
    });
  }

  private call(frame: Record<string, unknown>): Promise<Result> {
    if (this.closed || this.ws.readyState !== WebSocket.OPEN) return Promise.reject(new Boom("Connection Closed", { statusCode: 428 }));
    const rid = crypto.randomUUID();
    return new Promise((resolve) => {
      this.waiting.set(rid, resolve);
      this.post({ ...frame, rid });
    });
  }

  private emit(messages: WaMessage[], type: "notify" | "append"): void {
    for (const f of this.on.msgs) f({ messages, type });
  }

  private closeWith(status: number | undefined, message: string): void {
    if (this.closed) return;
    this.closed = true;
    this.gate.close();
    for (const [rid, resolve] of this.waiting) {
      this.waiting.delete(rid);
      resolve({ ok: false, status: 428, message: "Connection Closed" });
    }
    try {
      this.ws.close();
    } catch {
      // Not open yet.
    }
    const error = status === undefined ? new Boom(message, { statusCode: 428 }) : new Boom(message, { statusCode: status });
    for (const f of this.on.conn) f({ connection: "close", lastDisconnect: { error, date: new Date() } });
  }

  private frame(f: Record<string, any>): void {
    if (this.closed) return;
    if (f.op === "result") {
      const resolve = this.waiting.get(f.rid);
      this.waiting.delete(f.rid);
      return resolve?.(f as Result);
    }
    if (f.op === "creds") {
      Object.assign(this.auth.creds, f.patch);
      for (const fn of this.on.creds) fn();
      return;
    }
    if (f.op === "connection") {
      const u = f.update as { connection?: "open" | "close"; qr?: string; status?: number; message?: string };
      if (u.connection === "close") return this.closeWith(u.status, u.message ?? "closed");
      for (const fn of this.on.conn) fn(u.qr ? { qr: u.qr } : { connection: u.connection! });
      return;
    }
    if (f.op === "messages") {
      // Marked as the stanzas arrive, before anything is done with them (the adapter's `frame` hook).
      for (const m of f.messages as Array<{ key?: { id?: string } }>) if (m.key?.id) this.gate.arrived(m.key.id);
      this.chain = this.chain.then(() => this.receive(f.messages as Array<Record<string, any>>, f.type));
    }
  }

  /** What Baileys does with a received message, in its order: session keys, receipt, upsert. */
  private async receive(raw: Array<Record<string, any>>, type: "notify" | "append"): Promise<void> {
    if (this.closed) return;
    const sessions: Record<string, unknown> = {};
    for (const m of raw) sessions[String(m.key?.participant ?? m.key?.remoteJid)] = { ratchet: crypto.randomBytes(64), counter: Date.now() };
    await this.auth.keys.set({ session: sessions });
    if (this.closed) return;
    this.post({ op: "receipt", ids: raw.map((m) => m.key?.id) });
    await Promise.resolve();
    this.emit(
      raw.map((m) => proto.WebMessageInfo.fromObject(m) as unknown as WaMessage),
      type,
    );
  }
}

/** The library the gateway loads (src/channels/whatsapp/baileys.ts, loadLibrary). */
export async function library(env: NodeJS.ProcessEnv): Promise<WaLibrary> {
  const url = env.FAKE_WHATSAPP_URL;
  if (!url) throw new Error("FAKE_WHATSAPP_URL is not set: the fake WhatsApp library needs its server");
  return {
    bufferJson: BufferJSON as WaLibrary["bufferJson"],
    initCreds: () => initAuthCreds() as unknown as WaAuthState["creds"],
    reviveKey: (type, value) => (type === "app-state-sync-key" && value ? proto.Message.AppStateSyncKeyData.fromObject(value as object) : value),
    open: (o) => new RemoteSocket(url, o.auth),
  };
}
