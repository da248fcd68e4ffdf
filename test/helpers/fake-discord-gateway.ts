/**
 * The fake Discord's Gateway (fake-discord.ts): JSON-encoded WebSocket frames {op, d, s, t}.
 * HELLO on connect; op 1 answered by op 11; IDENTIFY checks the token (close 4004), the intents
 * (4013 unknown bits, 4014 privileged ones not switched on) and the identify rate (one per
 * `identifyIntervalMs`, max_concurrency 1: a faster one gets op 9 d:false, the socket stays open).
 * An IDENTIFY with no session start left does what Discord's docs say: every session ends and the
 * token is reset (sockets closed 4004).
 * A session outlives its socket for `resumeWindowMs`; dispatches meant for it meanwhile are kept,
 * and RESUME replays every dispatch after the client's seq, then RESUMED. One socket per session:
 * a RESUME on a session whose old socket is still open ends the old one. A socket that sends no
 * heartbeat within 1.5 heartbeat intervals is closed with 4009 and its session ends (Discord's
 * "session timed out": the client must identify anew). Private to the fake Discord.
 */
import type { WebSocket } from "ws";

/** One dispatch as sent: {op:0, t, s, d}. */
export interface Dispatch {
  t: string;
  s: number;
  d: unknown;
}

/** A Gateway session: its dispatch log (for replay), its socket if any, and when it expires. */
export interface Session {
  id: string;
  intents: number;
  seq: number;
  log: Dispatch[];
  /** The highest seq written to a socket. */
  sent: number;
  socket: WebSocket | null;
  /** While socketless: when it stops being resumable. */
  expiresAt: number;
}

/** What the Gateway asks of the fake around it. */
export interface GatewayHost {
  token(): string;
  allowMessageContent(): boolean;
  heartbeatIntervalMs: number;
  resumeWindowMs: number;
  identifyIntervalMs: number;
  /** Spends one session start; false when none remained (the host then resets the token, as Discord does). */
  spendSessionStart(): boolean;
  ready(session: Session): unknown;
  /** Dispatches to send right after READY (GUILD_CREATE per guild). */
  afterReady(session: Session): Array<{ t: string; d: unknown }>;
  newSessionId(): string;
  /** A dispatch went out on a socket. */
  written(x: Dispatch): void;
}

/** Every intent bit Discord knows (0-21, 24, 25); others close with 4013. */
const KNOWN_INTENTS = ((1 << 22) - 1) | (1 << 24) | (1 << 25);
/** GUILD_MEMBERS, GUILD_PRESENCES: never switched on in the fake. */
const PRIVILEGED_OFF = (1 << 1) | (1 << 8);
/** MESSAGE_CONTENT: privileged, on when the fake says so. */
export const MESSAGE_CONTENT = 1 << 15;

/** Closes a socket with a Discord close code; null: no session came of the frame. */
function shut(ws: WebSocket, code: number, reason: string): null {
  ws.close(code, reason);
  return null;
}

/** The Gateway: live sockets, sessions, counters and the knobs tests turn. */
export class Gateway {
  readonly sessions = new Map<string, Session>();
  /** What happened to sockets and sessions, newest last (at most 200 lines): failing tests print it. */
  readonly trace: string[] = [];
  note(line: string): void {
    this.trace.push(`${new Date().toISOString().slice(11, 23)} ${line}`);
    if (this.trace.length > 200) this.trace.shift();
  }
  readonly sockets = new Set<WebSocket>();
  identifies = 0;
  resumes = 0;
  maxLiveSessions = 0;
  #refuseResumes = 0;
  #zombie = false;
  #lastIdentify = -Infinity;
  readonly #host: GatewayHost;

  constructor(host: GatewayHost) {
    this.#host = host;
  }

  /** Sessions with an open socket. */
  get liveSessions(): number {
    return [...this.sessions.values()].filter((s) => s.socket !== null).length;
  }

  /** A new socket: HELLO, then frames until it closes. */
  connect(ws: WebSocket): void {
    this.sockets.add(ws);
    let session: Session | null = null;
    let lastBeat = Date.now();
    const interval = this.#host.heartbeatIntervalMs;
    const watch = setInterval(() => {
      if (Date.now() - lastBeat <= interval * 1.5) return;
      if (session) this.sessions.delete(session.id);
      this.note(`no heartbeat: session ${session?.id ?? "-"} ended, socket closed 4009`);
      session = null;
      ws.close(4009, "Session timed out");
    }, interval / 2);
    watch.unref();
    const send = (frame: unknown) => ws.readyState === ws.OPEN && ws.send(JSON.stringify(frame));
    ws.on("close", (code) => {
      clearInterval(watch);
      this.note(`socket closed ${code}${session ? ` (session ${session.id}${session.socket === ws ? "" : ", not its socket"})` : ""}`);
      this.sockets.delete(ws);
      // Discord ends the session when the client closes with 1000 or 1001; other closes leave it resumable.
      if (session && session.socket === ws && (code === 1000 || code === 1001)) this.sessions.delete(session.id);
      else if (session && session.socket === ws) {
        session.socket = null;
        session.expiresAt = Date.now() + this.#host.resumeWindowMs;
      }
    });
    ws.on("error", () => {});
    send({ op: 10, d: { heartbeat_interval: interval, _trace: ["fake-discord"] }, s: null, t: null });
    ws.on("message", (raw) => {
      let f: { op?: number; d?: any };
      try {
        f = JSON.parse((raw as Buffer).toString());
      } catch {
        return shut(ws, 4002, "Error while decoding payload.");
      }
      switch (f.op) {
        case 1:
          lastBeat = Date.now();
          if (!this.#zombie) send({ op: 11, d: null, s: null, t: null });
          return;
        case 2:
          return void (session = this.#identify(ws, f.d, session) ?? session);
        case 6:
          return void (session = this.#resume(ws, f.d, session) ?? session);
        case 3:
        case 8:
          return;
        default:
          return shut(ws, 4001, "Unknown opcode.");
      }
    });
  }

  #identify(ws: WebSocket, d: any, current: Session | null): Session | null {
    if (current) return shut(ws, 4005, "Already authenticated.");
    if (d?.token !== this.#host.token()) return shut(ws, 4004, "Authentication failed.");
    const intents = Number(d.intents);
    if (!Number.isInteger(intents) || (intents & ~KNOWN_INTENTS) !== 0) return shut(ws, 4013, "Invalid intent(s).");
    if (intents & PRIVILEGED_OFF || (intents & MESSAGE_CONTENT && !this.#host.allowMessageContent())) return shut(ws, 4014, "Disallowed intent(s).");
    const now = Date.now();
    if (now - this.#lastIdentify < this.#host.identifyIntervalMs) {
      ws.send(JSON.stringify({ op: 9, d: false, s: null, t: null }));
      return null;
    }
    if (!this.#host.spendSessionStart()) return shut(ws, 4004, "Authentication failed.");
    this.#lastIdentify = now;
    this.identifies++;
    this.note("IDENTIFY: new session");
    const s: Session = { id: this.#host.newSessionId(), intents, seq: 0, log: [], sent: 0, socket: ws, expiresAt: Infinity };
    this.sessions.set(s.id, s);
    this.maxLiveSessions = Math.max(this.maxLiveSessions, this.liveSessions);
    this.#push(s, "READY", this.#host.ready(s));
    for (const x of this.#host.afterReady(s)) this.#push(s, x.t, x.d);
    return s;
  }

  #resume(ws: WebSocket, d: any, current: Session | null): Session | null {
    if (current) return shut(ws, 4005, "Already authenticated.");
    if (d?.token !== this.#host.token()) return shut(ws, 4004, "Authentication failed.");
    this.expire();
    const s = this.sessions.get(String(d.session_id));
    this.note(`RESUME ${d?.session_id} at seq ${d?.seq}: ${s ? `held (seq ${s.seq})` : "unknown session"}`);
    if (this.#refuseResumes > 0 || !s) {
      if (this.#refuseResumes > 0) this.#refuseResumes--;
      if (s) this.sessions.delete(s.id);
      ws.send(JSON.stringify({ op: 9, d: false, s: null, t: null }));
      return null;
    }
    const seq = Number(d.seq ?? 0);
    if (seq > s.seq) return shut(ws, 4007, "Invalid seq.");
    if (s.socket && s.socket !== ws) s.socket.terminate();
    s.socket = ws;
    s.expiresAt = Infinity;
    this.resumes++;
    this.maxLiveSessions = Math.max(this.maxLiveSessions, this.liveSessions);
    for (const x of s.log) if (x.s > seq) this.#write(s, x);
    this.#push(s, "RESUMED", null);
    return s;
  }

  /** Drops sessions whose resume window passed. */
  expire(): void {
    const now = Date.now();
    for (const s of this.sessions.values()) if (!s.socket && s.expiresAt < now) this.sessions.delete(s.id);
  }

  #push(s: Session, t: string, d: unknown): void {
    const x: Dispatch = { t, s: ++s.seq, d };
    // READY and RESUMED belong to their connection: a later RESUME replays the events, not them.
    if (t !== "READY" && t !== "RESUMED") s.log.push(x);
    if (s.socket) this.#write(s, x);
  }

  #write(s: Session, x: Dispatch): void {
    if (!s.socket || s.socket.readyState !== s.socket.OPEN) return;
    s.socket.send(JSON.stringify({ op: 0, t: x.t, s: x.s, d: x.d }));
    s.sent = Math.max(s.sent, x.s);
    this.#host.written(x);
  }

  /** Dispatches an event to every session (live or resumable) for which `shape` returns a payload. */
  dispatch(t: string, shape: (s: Session) => unknown): void {
    this.expire();
    for (const s of this.sessions.values()) {
      const d = shape(s);
      if (d !== undefined) this.#push(s, t, d);
    }
  }

  /** Resets every live socket without a close frame. */
  dropSockets(): void {
    for (const ws of this.sockets) ws.terminate();
  }

  /** Sends op 7 RECONNECT on every live socket. */
  sendReconnect(): void {
    for (const ws of this.sockets) if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ op: 7, d: null, s: null, t: null }));
  }

  /** Sends op 9 on every session's socket; not resumable: the sessions end. */
  invalidateSessions(resumable: boolean): void {
    for (const s of this.sessions.values()) {
      if (s.socket && s.socket.readyState === s.socket.OPEN) s.socket.send(JSON.stringify({ op: 9, d: resumable, s: null, t: null }));
      if (!resumable) this.sessions.delete(s.id);
    }
  }

  /** The next `n` RESUMEs get op 9 d:false. */
  refuseResumes(n: number): void {
    this.#refuseResumes += n;
  }

  /** Stops (or restarts) answering heartbeats; the connection stays open. */
  zombie(on: boolean): void {
    this.#zombie = on;
  }

  /** Closes every socket with `code` (e.g. 4004 after a token reset). */
  closeAll(code: number, reason: string): void {
    for (const ws of this.sockets) ws.close(code, reason);
  }

  /** Dispatches written to no socket yet, over sessions still resumable. */
  undelivered(): number {
    this.expire();
    let n = 0;
    for (const s of this.sessions.values()) n += s.seq - s.sent;
    return n;
  }
}
