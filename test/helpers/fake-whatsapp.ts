/**
 * WhatsApp's side, for gateway processes: the server that fake-whatsapp-library.ts (loaded in the
 * gateway through ONEBRAIN_WHATSAPP_LIBRARY) talks to. WhatsApp's own wire is end-to-end
 * encrypted and cannot be faked; this one carries Baileys' shapes (see the library's header).
 * It keeps what WhatsApp keeps, with its awkward corners:
 * - linking: an unlinked session gets a QR code (a new one every `qrEveryMs`); `scan(number)` (or
 *   a pairing code typed with `enterCode`) links it: new creds, then a close with 515, and the
 *   fresh session opens as the linked device;
 * - one session per linked device: a second one replaces the first (440);
 * - a message stays queued for a device until its delivery receipt comes; one not receipted when
 *   the session dies is delivered again at the next connect (as `append`, offline);
 * - trouble on demand: `disconnect(number, status)`, `unlinkFromPhone`, `failSends`, `undecryptable`.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";

export interface WaSent {
  account: string;
  jid: string;
  text: string;
  id: string;
  quotedId: string | null;
  at: number;
}

interface Session {
  ws: WebSocket;
  account: string | null;
  /** The linked device's JID (`<number>:<device>@s.whatsapp.net`): what a logout voids. */
  device: string | null;
  open: boolean;
  qrTimer?: NodeJS.Timeout;
}

interface Queued {
  id: string;
  message: Record<string, unknown>;
}

export class FakeWhatsApp {
  readonly sent: WaSent[] = [];
  readonly presences: Array<{ account: string; jid: string; state: string }> = [];
  readonly reads: Array<{ account: string; id: string }> = [];
  /** Delivery receipts, in order, with when they arrived (ms). */
  readonly receipts: Array<{ account: string; id: string; at: number }> = [];
  /** Every QR code shown, and every pairing code given. */
  readonly qrs: string[] = [];
  readonly codes: Array<{ phone: string; code: string }> = [];
  qrEveryMs = 20_000;
  /** Called as each send is recorded (the bench times replies by it). */
  onSend: ((m: WaSent) => void) | undefined;
  private readonly server = http.createServer((_req, res) => res.writeHead(426).end());
  private readonly wss = new WebSocketServer({ server: this.server });
  private readonly sessions = new Set<Session>();
  private readonly queues = new Map<string, Queued[]>();
  /** Devices whose keys are void (unlinked on the phone, or logged out): they get 401. A new link is a new device. */
  private readonly loggedOut = new Set<string>();
  private readonly sendFailures = new Map<string, Array<{ status: number; message: string }>>();
  private readonly lostAnswers = new Map<string, number>();
  private seq = 0;
  private device = 2;

  constructor() {
    this.wss.on("connection", (ws) => this.connection(ws));
  }

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The env a gateway needs to use this server through the fake library. */
  env(): Record<string, string> {
    return { ONEBRAIN_WHATSAPP_LIBRARY: new URL("./fake-whatsapp-library.ts", import.meta.url).pathname, FAKE_WHATSAPP_URL: this.url };
  }

  /** True while a session of `account` is open. */
  online(account: string): boolean {
    return [...this.sessions].some((s) => s.open && s.account === account);
  }

  /** The phone scans the newest QR code: the device is linked to `account`. */
  scan(account: string, name = "Owner"): void {
    const s = [...this.sessions].reverse().find((x) => x.account === null && !x.open);
    if (!s) throw new Error("no session shows a QR code");
    this.link(s, account, name);
  }

  /** The code `phone` was given is typed on that phone: the device is linked to it. */
  enterCode(code: string, name = "Owner"): void {
    const given = this.codes.find((c) => c.code === code);
    const s = [...this.sessions].reverse().find((x) => x.account === null && !x.open);
    if (!given || !s) throw new Error(`no session waits for the code ${code}`);
    this.link(s, given.phone, name);
  }

  /** A message from `from` (a JID) to `account`'s number; returns its id. Delivered now if a session is open, else when one opens. */
  userSays(account: string, from: string, text: string, extra: Record<string, unknown> = {}): string {
    const id = `3A${(++this.seq).toString(16).toUpperCase().padStart(18, "0")}`;
    this.queue(account, {
      key: { remoteJid: from, fromMe: false, id },
      message: { conversation: text },
      messageTimestamp: Math.floor(Date.now() / 1000),
      pushName: "User",
      ...extra,
    });
    return id;
  }

  /** The owner types in the self-chat ("Message yourself") on the phone: our device gets it as from us. */
  ownerSays(account: string, text: string): string {
    const id = `3A${(++this.seq).toString(16).toUpperCase().padStart(18, "0")}`;
    this.queue(account, {
      key: { remoteJid: `${account}@s.whatsapp.net`, fromMe: true, id },
      message: { conversation: text },
      messageTimestamp: Math.floor(Date.now() / 1000),
    });
    return id;
  }

  /** WhatsApp hands the device a message it sent itself (another of the number's devices relays it, a resync): from us, with its own id. */
  relay(sent: WaSent): void {
    this.queue(sent.account, {
      key: { remoteJid: sent.jid, fromMe: true, id: sent.id },
      message: { conversation: sent.text },
      messageTimestamp: Math.floor(sent.at / 1000),
    });
  }

  /** A message the device cannot decrypt (Baileys emits a CIPHERTEXT stub with the reason). */
  undecryptable(account: string, from: string, reason = "Bad MAC"): string {
    const id = `3A${(++this.seq).toString(16).toUpperCase().padStart(18, "0")}`;
    this.queue(account, {
      key: { remoteJid: from, fromMe: false, id },
      messageStubType: 2,
      messageStubParameters: [reason],
      messageTimestamp: Math.floor(Date.now() / 1000),
    });
    return id;
  }

  /** Closes `account`'s open sessions with a DisconnectReason (undefined: the connection just drops). */
  disconnect(account: string, status?: number, message = "closed"): void {
    for (const s of this.sessions) if (s.account === account) this.end(s, status, message);
  }

  /** The owner removes the device on the phone (Linked devices): its session ends with 401, and its keys are void. */
  unlinkFromPhone(account: string): void {
    for (const s of this.sessions) if (s.account === account && s.device) this.loggedOut.add(s.device);
    this.disconnect(account, 401, "Connection Failure");
  }

  /** The next `n` sends of `account` fail with `status` (429 rate-overlimit, 500, ...). */
  failSends(account: string, status: number, message: string, n = 1): void {
    const list = this.sendFailures.get(account) ?? [];
    for (let i = 0; i < n; i++) list.push({ status, message });
    this.sendFailures.set(account, list);
  }

  /** The next `n` sends of `account` are carried out, but the connection drops before their answer leaves. */
  loseAnswers(account: string, n = 1): void {
    this.lostAnswers.set(account, (this.lostAnswers.get(account) ?? 0) + n);
  }

  /** Messages still waiting for their delivery receipt. */
  pending(account: string): number {
    return this.queues.get(account)?.length ?? 0;
  }

  async stop(): Promise<void> {
    for (const s of this.sessions) this.end(s, undefined, "server stopped");
    await new Promise<void>((r) => this.wss.close(() => r()));
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private queue(account: string, message: Record<string, unknown> & { key: { id: string; [k: string]: unknown } }): void {
    const q = this.queues.get(account) ?? [];
    q.push({ id: message.key.id, message });
    this.queues.set(account, q);
    for (const s of this.sessions) if (s.open && s.account === account) this.push(s, { op: "messages", type: "notify", messages: [message] });
  }

  private push(s: Session, frame: Record<string, unknown>): void {
    if (s.ws.readyState === s.ws.OPEN) s.ws.send(JSON.stringify(frame));
  }

  private end(s: Session, status: number | undefined, message: string): void {
    clearInterval(s.qrTimer);
    s.open = false;
    this.sessions.delete(s);
    if (status !== undefined) this.push(s, { op: "connection", update: { connection: "close", status, message } });
    s.ws.close();
  }

  private link(s: Session, account: string, name: string): void {
    clearInterval(s.qrTimer);
    const device = this.device++;
    this.push(s, { op: "creds", patch: { me: { id: `${account}:${device}@s.whatsapp.net`, lid: `9${account}:${device}@lid`, name }, registered: true } });
    // WhatsApp restarts the session once the phone accepted; the next one opens as the linked device.
    this.end(s, 515, "Stream Errored (restart required)");
  }

  private connection(ws: WebSocket): void {
    const s: Session = { ws, account: null, device: null, open: false };
    this.sessions.add(s);
    ws.on("close", () => {
      clearInterval(s.qrTimer);
      s.open = false;
      this.sessions.delete(s);
    });
    ws.on("message", (data) => this.frame(s, JSON.parse((data as Buffer).toString()) as Record<string, any>));
  }

  private frame(s: Session, f: Record<string, any>): void {
    const reply = (r: Record<string, unknown>) => this.push(s, { op: "result", rid: f.rid, ...r });
    if (f.op === "open") {
      const me = f.me as { id: string } | null;
      if (!me) {
        const show = () => {
          const qr = `2@${(++this.seq).toString(36)},fakeNoiseKey=,fakeIdentityKey=,fakeAdvSecret=`;
          this.qrs.push(qr);
          this.push(s, { op: "connection", update: { qr } });
        };
        show();
        s.qrTimer = setInterval(show, this.qrEveryMs);
        return;
      }
      const account = me.id.split("@")[0]!.split(":")[0]!;
      if (this.loggedOut.has(me.id)) return this.end(s, 401, "Connection Failure");
      // One session per device: the older one is replaced.
      for (const other of this.sessions) if (other !== s && other.account === account && other.open) this.end(other, 440, "Stream Errored (conflict)");
      s.account = account;
      s.device = me.id;
      s.open = true;
      this.push(s, { op: "connection", update: { connection: "open" } });
      const waiting = this.queues.get(account) ?? [];
      if (waiting.length) this.push(s, { op: "messages", type: "append", messages: waiting.map((q) => q.message) });
      return;
    }
    if (f.op === "pairingCode") {
      const code = Math.random().toString(36).slice(2, 10).toUpperCase().padEnd(8, "X");
      this.codes.push({ phone: String(f.phone), code });
      clearInterval(s.qrTimer);
      return reply({ ok: true, code });
    }
    if (!s.open || !s.account) return f.rid ? reply({ ok: false, status: 428, message: "Connection Closed" }) : undefined;
    const account = s.account;
    if (f.op === "receipt") {
      const ids = new Set(f.ids as string[]);
      const now = Date.now();
      for (const id of ids) this.receipts.push({ account, id, at: now });
      this.queues.set(
        account,
        (this.queues.get(account) ?? []).filter((q) => !ids.has(q.id)),
      );
    } else if (f.op === "send") {
      const fail = this.sendFailures.get(account)?.shift();
      if (fail) return reply({ ok: false, ...fail });
      const sent: WaSent = { account, jid: f.jid, text: f.text, id: f.id, quotedId: f.quotedId, at: Date.now() };
      this.sent.push(sent);
      this.onSend?.(sent);
      const lose = this.lostAnswers.get(account) ?? 0;
      if (lose > 0) {
        this.lostAnswers.set(account, lose - 1);
        return this.end(s, undefined, "lost");
      }
      reply({ ok: true, id: f.id });
    } else if (f.op === "presence") this.presences.push({ account, jid: f.jid, state: f.state });
    else if (f.op === "read") for (const k of f.keys as Array<{ id: string }>) this.reads.push({ account, id: k.id });
    else if (f.op === "logout") {
      if (s.device) this.loggedOut.add(s.device);
      reply({ ok: true });
      this.end(s, 401, "Intentional Logout");
    }
  }
}
