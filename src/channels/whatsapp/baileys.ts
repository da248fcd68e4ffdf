/**
 * The one file that touches Baileys (@whiskeysockets/baileys, pinned; unofficial: docs/whatsapp.md).
 * Everything else in the WhatsApp channel speaks the small interface below, so a later Baileys or
 * the official Cloud API replaces this file alone. Baileys is imported lazily (it costs ~350 ms and
 * ~60 MiB): a gateway without WhatsApp never loads it.
 *
 * The shapes kept here are Baileys' own (WAMessage, its key, connection.update, the Boom status of a
 * disconnect), narrowed to the fields the channel reads, so the tests can hand the channel the very
 * objects Baileys emits.
 */
import type { Agent } from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ReceiptGate } from "./receipt-gate.ts";
import type { Logger } from "pino";

/** A message's key as Baileys gives it: the chat, whether we sent it, its id, and in groups who wrote it. */
export interface WaKey {
  remoteJid?: string | null;
  remoteJidAlt?: string | null;
  fromMe?: boolean | null;
  id?: string | null;
  participant?: string | null;
  participantAlt?: string | null;
}

/** The part of Baileys' WAMessage (proto.IWebMessageInfo) the channel reads. */
export interface WaMessage {
  key: WaKey;
  message?: WaContent | null;
  messageTimestamp?: number | { toNumber(): number } | null;
  pushName?: string | null;
  messageStubType?: number | null;
  messageStubParameters?: string[] | null;
  status?: number | null;
  broadcast?: boolean | null;
}

/** The message content kinds that carry text (proto.IMessage). */
export interface WaContent {
  conversation?: string | null;
  extendedTextMessage?: { text?: string | null; contextInfo?: WaContext | null } | null;
  imageMessage?: { caption?: string | null; contextInfo?: WaContext | null } | null;
  videoMessage?: { caption?: string | null; contextInfo?: WaContext | null } | null;
  documentMessage?: { caption?: string | null; fileName?: string | null; contextInfo?: WaContext | null } | null;
  ephemeralMessage?: { message?: WaContent | null } | null;
  viewOnceMessage?: { message?: WaContent | null } | null;
  viewOnceMessageV2?: { message?: WaContent | null } | null;
  documentWithCaptionMessage?: { message?: WaContent | null } | null;
  editedMessage?: { message?: WaContent | null } | null;
  protocolMessage?: { type?: number | null } | null;
  reactionMessage?: unknown;
  [other: string]: unknown;
}

/** Mentions and the quoted message of a reply. */
export interface WaContext {
  mentionedJid?: string[] | null;
  stanzaId?: string | null;
  participant?: string | null;
}

/** Baileys' connection.update, narrowed. */
export interface WaConnectionUpdate {
  connection?: "open" | "connecting" | "close";
  lastDisconnect?: { error: Error | undefined; date: Date };
  qr?: string;
  isNewLogin?: boolean;
  receivedPendingNotifications?: boolean;
}

/** The auth state Baileys reads and writes (AuthenticationState): creds and a key store. */
export interface WaAuthState {
  creds: Record<string, unknown> & { me?: { id: string; lid?: string; name?: string } | null; registered?: boolean };
  keys: {
    get(type: string, ids: string[]): Promise<Record<string, unknown>>;
    /** A value of null deletes the key. */
    set(data: Record<string, Record<string, unknown>>): Promise<void>;
  };
}

/** A connected (or connecting) WhatsApp Web session. */
export interface WaSocket {
  onConnection(fn: (u: WaConnectionUpdate) => void): void;
  onCreds(fn: () => void): void;
  onMessages(fn: (batch: { messages: WaMessage[]; type: "notify" | "append" }) => void): void;
  onMessageUpdates(fn: (updates: Array<{ key: WaKey; update: Partial<WaMessage> }>) => void): void;
  /** Sends text with the id given (so it is known, and recorded, before it leaves); resolves when WhatsApp's server took it. */
  sendText(jid: string, text: string, o: { id: string; quoted?: WaMessage | null }): Promise<{ id: string }>;
  presence(jid: string, state: "composing" | "paused"): Promise<void>;
  markRead(keys: WaKey[]): Promise<void>;
  /** An 8-character code to type on the phone (Linked devices > Link with phone number) instead of scanning the QR. */
  requestPairingCode(phoneDigits: string): Promise<string>;
  logout(): Promise<void>;
  /**
   * The messages with these ids are stored (or were not for the agent): their delivery receipts
   * may go (receipt-gate.ts). Until then the session's outgoing frames wait, so a crash before the
   * commit leaves the messages unreceipted, and WhatsApp delivers them again.
   */
  settled(ids: readonly string[]): void;
  end(): void;
}

/** What the channel needs from the library besides a socket. */
export interface WaLibrary {
  open(o: { auth: WaAuthState; logger: Logger; agent?: Agent; getMessage: (key: WaKey) => Promise<WaContent | undefined> }): WaSocket;
  /** JSON with Buffers (the auth files' encoding). */
  bufferJson: { replacer: (key: string, value: unknown) => unknown; reviver: (key: string, value: unknown) => unknown };
  /** Fresh credentials for a device not linked yet. */
  initCreds(): WaAuthState["creds"];
  /** A key value as read from disk, revived to the class Baileys expects (app-state sync keys are protobufs). */
  reviveKey(type: string, value: unknown): unknown;
}

/** Baileys' DisconnectReason codes (the Boom status of `lastDisconnect.error`). */
export const DISCONNECT = {
  loggedOut: 401,
  forbidden: 403,
  timedOut: 408,
  multideviceMismatch: 411,
  connectionClosed: 428,
  connectionReplaced: 440,
  badSession: 500,
  unavailableService: 503,
  restartRequired: 515,
} as const;

/** proto.WebMessageInfo.Status.SERVER_ACK: WhatsApp's server has a message we sent (later: delivered, read). */
export const STATUS_SERVER_ACK = 2;

/** proto.WebMessageInfo.StubType.CIPHERTEXT: a message Baileys could not decrypt (its parameters say why, e.g. "Bad MAC"). */
export const STUB_CIPHERTEXT = 2;

/** The status code of a disconnect's error (a Boom's `output.statusCode`), if it has one. */
export function disconnectStatus(err: unknown): number | undefined {
  const e = err as { output?: { statusCode?: unknown }; statusCode?: unknown } | undefined;
  const code = e?.output?.statusCode ?? e?.statusCode;
  return typeof code === "number" ? code : undefined;
}

/** The user part of a JID: `4915123456789` of `4915123456789:12@s.whatsapp.net`, `1203...` of a group. */
export function jidUser(jid: string): string {
  const at = jid.indexOf("@");
  const user = at < 0 ? jid : jid.slice(0, at);
  const colon = user.indexOf(":");
  return colon < 0 ? user : user.slice(0, colon);
}

/** The JID's server: `s.whatsapp.net` (a phone number), `lid` (a hidden id), `g.us` (a group), `broadcast`, ... */
export function jidServer(jid: string): string {
  const at = jid.indexOf("@");
  return at < 0 ? "" : jid.slice(at + 1);
}

/** A person's JID without its device (`4915…@s.whatsapp.net`), as Baileys' jidNormalizedUser does for users. */
export function normalUser(jid: string): string {
  const server = jidServer(jid);
  return `${jidUser(jid)}@${server === "c.us" ? "s.whatsapp.net" : server}`;
}

export const isGroupJid = (jid: string) => jidServer(jid) === "g.us";

/** Ends a session that may have closed already. */
export function endQuietly(sock: WaSocket | null | undefined): void {
  try {
    sock?.end();
  } catch {
    // Already closed.
  }
}

/**
 * The environment variable naming an ES module to use instead of Baileys: a replacement adapter
 * (another Baileys, the Cloud API), or the tests' stand-in. The module exports `library(env)`,
 * which resolves to a WaLibrary. Unset: Baileys.
 */
export const LIBRARY_ENV = "ONEBRAIN_WHATSAPP_LIBRARY";

/** The library behind the adapter: the module LIBRARY_ENV names, else Baileys. */
export async function loadLibrary(env: NodeJS.ProcessEnv = process.env): Promise<WaLibrary> {
  const alt = env[LIBRARY_ENV];
  if (!alt) return loadBaileys();
  const mod = (await import(alt.startsWith("file:") ? alt : pathToFileURL(path.resolve(alt)).href)) as { library?: unknown };
  if (typeof mod.library !== "function") throw new Error(`${LIBRARY_ENV}=${alt} exports no library(env) function`);
  return (await (mod.library as (env: NodeJS.ProcessEnv) => Promise<WaLibrary>)(env)) satisfies WaLibrary;
}

/** The part of Baileys' WebSocketClient the gate uses: its frames as events, and the `ws` socket under it. */
export interface GatedClient {
  on(event: "frame", fn: (frame: { tag?: string; attrs?: Record<string, string> }) => void): void;
  socket: { send(data: unknown, cb?: (err?: Error) => void): void } | null;
}

/**
 * Puts a ReceiptGate between Baileys and its socket: each `message` stanza is marked as it arrives
 * (the `frame` event comes before Baileys' own handlers), and every write waits behind the marked
 * messages. A held write's callback is answered at once, so Baileys goes on to emit the message
 * (which it does only after its receipt "went"); the bytes follow, in order, once the channel settled it.
 */
export function gateFrames(client: GatedClient): ReceiptGate {
  const gate = new ReceiptGate();
  client.on("frame", (frame) => {
    const id = frame.tag === "message" ? frame.attrs?.id : undefined;
    if (id) gate.arrived(id);
  });
  const raw = client.socket;
  if (!raw) return gate;
  const send = raw.send.bind(raw);
  raw.send = (data, cb) => {
    let answered = false;
    const r = gate.send(() => send(data, answered ? undefined : cb));
    if (r === "now") return;
    // Held: Baileys' await goes on now (a write failing later shows as the socket's close); after a close: failed.
    answered = true;
    queueMicrotask(() => cb?.(r === "closed" ? new Error("Connection Closed") : undefined));
  };
  return gate;
}

let loaded: Promise<WaLibrary> | undefined;

/** Loads Baileys once and wraps it. */
export function loadBaileys(): Promise<WaLibrary> {
  loaded ??= import("@whiskeysockets/baileys").then((b): WaLibrary => {
    const make = (b.makeWASocket ?? (b as unknown as { default: typeof b.makeWASocket }).default) as typeof b.makeWASocket;
    return {
      bufferJson: b.BufferJSON as WaLibrary["bufferJson"],
      initCreds: () => b.initAuthCreds() as unknown as WaAuthState["creds"],
      reviveKey: (type, value) => (type === "app-state-sync-key" && value ? b.proto.Message.AppStateSyncKeyData.fromObject(value as object) : value),
      open(o) {
        const sock = make({
          auth: { creds: o.auth.creds as never, keys: b.makeCacheableSignalKeyStore(o.auth.keys as never, o.logger as never) },
          logger: o.logger as never,
          browser: b.Browsers.ubuntu("onebrain"),
          markOnlineOnConnect: false,
          syncFullHistory: false,
          shouldSyncHistoryMessage: () => false,
          getMessage: (key) => o.getMessage(key as WaKey) as never,
          ...(o.agent ? { agent: o.agent as never, fetchAgent: o.agent as never } : {}),
        });
        const gate = gateFrames(sock.ws as unknown as GatedClient);
        sock.ev.on("connection.update", (u) => {
          if (u.connection === "close") gate.close();
        });
        return {
          onConnection: (fn) => sock.ev.on("connection.update", (u) => fn(u as WaConnectionUpdate)),
          onCreds: (fn) => sock.ev.on("creds.update", () => fn()),
          onMessages: (fn) => sock.ev.on("messages.upsert", (m) => fn(m as never)),
          onMessageUpdates: (fn) => sock.ev.on("messages.update", (u) => fn(u as never)),
          async sendText(jid, text, s) {
            const sent = await sock.sendMessage(jid, { text }, { messageId: s.id, ...(s.quoted ? { quoted: s.quoted as never } : {}) });
            return { id: sent?.key.id ?? s.id };
          },
          presence: (jid, state) => sock.sendPresenceUpdate(state, jid),
          markRead: (keys) => sock.readMessages(keys as never),
          requestPairingCode: (digits) => sock.requestPairingCode(digits),
          logout: () => sock.logout(),
          settled: (ids) => gate.settle(ids),
          end: () => {
            gate.close();
            void sock.end(undefined);
          },
        };
      },
    };
  });
  return loaded;
}
