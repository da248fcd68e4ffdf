/**
 * The console's one WebSocket to its gateway, as a state machine whose state is what the banner
 * shows. Protocol v1 (docs/protocol.md): challenge -> connect -> hello-ok, then req/res/event.
 * It always dials the page's own origin (`/ws?attempt=<fresh id>`), never a URL from the query
 * string or fragment. Everything it touches in the outside world (WebSocket, fetch, location,
 * clock, randomness) is passed in, so it runs unchanged in Node's test runner.
 */
import type { HelloOk } from "../../../src/protocol/frames.ts";
import { backoffDelay } from "./backoff.ts";
import { diagnoseCheck, diagnoseClose, type Diagnosis, type WireError } from "./diagnose.ts";
import { connectFrame, isReplaced, parseFrame, replacedDetail } from "./handshake.ts";
import { randomId } from "./ids.ts";
import { PendingRequests, RequestError } from "./requests.ts";
import { DEFAULT_LINK_OPTIONS, type LinkDeps, type LinkEvent, type LinkOptions, type LinkSnapshot, type SocketLike } from "./types.ts";
import { askWsCheck } from "./ws-check.ts";

export type { BannerState } from "./diagnose.ts";
export { RequestError };
export type { LinkDeps, LinkEvent, LinkOptions, LinkSnapshot, SocketLike } from "./types.ts";

type TimerName = "open" | "handshake" | "watchdog" | "notice";

/** A link that lasted this long resets the backoff; a shorter one does not (a gateway in a crash loop). */
const STABLE_MS = 10_000;
/** How long "Gateway replaced" stays before the banner says plain "Connected" again (Dismiss ends it sooner). */
export const REPLACED_NOTICE_MS = 8_000;

const defaultSchedule = (ms: number, fn: () => void): (() => void) => {
  const t = setTimeout(fn, ms);
  return () => clearTimeout(t);
};

/** The console's connection to the gateway; `start()` dials, `subscribe()` reports every state change. */
export class Connection {
  private readonly deps: Required<LinkDeps>;
  private readonly opts: Required<LinkOptions>;
  private snap: LinkSnapshot = {
    state: "connecting",
    detail: "",
    attempt: 0,
    nextRetryAt: null,
    manual: false,
    httpStatus: null,
    hello: null,
    epoch: null,
    generation: 0,
  };
  private readonly watchers = new Set<(s: LinkSnapshot) => void>();
  private readonly listeners = new Set<(e: LinkEvent) => void>();
  private readonly pending: PendingRequests;
  private secret: string | null = null;
  private ws: SocketLike | null = null;
  private opened = false;
  private hello: HelloOk | null = null;
  private connectId = "";
  private connectError: WireError | null = null;
  private shutdownReason: string | null = null;
  /** Incremented by every new attempt, so a late answer about an old one is ignored. */
  private seq = 0;
  private retries = 0;
  private everConnected = false;
  private lastInstanceId: string | null = null;
  private lastEpoch: number | null = null;
  private lastFrameAt = 0;
  /** When the current link completed its handshake. */
  private connectedAt = 0;
  private started = false;
  /** Cancel functions of the current attempt's timers. */
  private timers: Partial<Record<TimerName, () => void>> = {};
  private cancelRetry: (() => void) | null = null;

  constructor(deps: LinkDeps, opts: LinkOptions = {}) {
    this.deps = { now: () => Date.now(), schedule: defaultSchedule, random: Math.random, forgetSecret: () => {}, ...deps };
    this.pending = new PendingRequests(this.deps.schedule);
    this.opts = { ...DEFAULT_LINK_OPTIONS, ...opts };
  }

  /** The current state. */
  get snapshot(): LinkSnapshot {
    return this.snap;
  }

  /** Calls `fn` on every state change (not now); returns the unsubscribe function. */
  subscribe(fn: (s: LinkSnapshot) => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  /** Calls `fn` for every server event after the handshake; returns the unsubscribe function. */
  onEvent(fn: (e: LinkEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Dials for the first time. `secret` is the stored token or password, if any. */
  start(secret: string | null = null): void {
    if (this.started) return;
    this.started = true;
    this.secret = secret;
    this.open();
  }

  /** Closes the link for good (page unload, end of a test). */
  stop(): void {
    this.started = false;
    this.cancelRetry?.();
    this.seq++;
    this.teardown();
  }

  /** Uses a new token or password (the operator typed one) and dials again at once. */
  setSecret(secret: string | null): void {
    this.secret = secret;
    this.redial(true);
  }

  /** Dials now, skipping any wait (the retry button). Does nothing while a link is up or being set up. */
  retryNow(): void {
    this.redial(this.snap.manual);
  }

  /** `fresh`: the operator acted on a state that waits for them, so counting starts over. */
  private redial(fresh: boolean): void {
    if (!this.started || this.ws) return;
    this.cancelRetry?.();
    if (fresh) {
      this.retries = 0;
      this.update({ state: "connecting", detail: "", attempt: 0, manual: false, httpStatus: null });
    }
    this.open();
  }

  /** The operator has read the "replaced" notice: show plain "connected" again. */
  acknowledgeReplaced(): void {
    if (this.snap.state === "replaced") this.update({ state: "connected", detail: "" });
  }

  /** Sends a request once the handshake is done; resolves with the payload or rejects with a RequestError. */
  request<T = unknown>(method: string, params?: unknown, timeoutMs = this.opts.requestTimeoutMs): Promise<T> {
    if (!this.hello || !this.ws) return Promise.reject(new RequestError("LINK_DOWN", "Not connected to the gateway."));
    return this.send<T>(method, params, timeoutMs);
  }

  private send<T>(method: string, params: unknown, timeoutMs: number): Promise<T> {
    const ws = this.ws!;
    return this.pending.start<T>(method, params, timeoutMs, (frame) => ws.send(frame));
  }

  private update(patch: Partial<LinkSnapshot>): void {
    this.snap = { ...this.snap, ...patch };
    for (const w of this.watchers) w(this.snap);
  }

  private url(scheme: "ws" | "http", path: string): string {
    const secure = this.deps.location.protocol === "https:";
    return `${scheme}${secure ? "s" : ""}://${this.deps.location.host}${path}`;
  }

  private open(): void {
    this.cancelRetry = null;
    const seq = ++this.seq;
    const attemptId = randomId(22);
    this.opened = false;
    this.connectError = null;
    this.shutdownReason = null;
    this.update({ nextRetryAt: null });
    let ws: SocketLike;
    try {
      ws = new this.deps.WebSocket(this.url("ws", `/ws?attempt=${attemptId}`));
    } catch {
      void this.diagnoseBeforeOpen(seq, attemptId);
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (ws !== this.ws) return;
      this.opened = true;
      this.lastFrameAt = this.deps.now();
      this.timer("handshake", this.opts.handshakeTimeoutMs, () => this.fail(diagnoseClose(4002, "handshake timeout", this.connectError), false));
    };
    ws.onmessage = (ev: { data: unknown }) => ws === this.ws && this.onFrame(ev.data);
    ws.onclose = (ev: { code: number; reason: string }) => ws === this.ws && this.onClosed(seq, attemptId, ev.code, ev.reason);
    // An error is always followed by a close, which carries what little the browser tells us.
    ws.onerror = () => {};
    this.timer("open", this.opts.openTimeoutMs, () => {
      if (ws !== this.ws || this.opened) return;
      this.teardown();
      void this.diagnoseBeforeOpen(seq, attemptId);
    });
  }

  private timer(name: TimerName, ms: number, fn: () => void): void {
    this.timers[name]?.();
    this.timers[name] = this.deps.schedule(ms, fn);
  }

  private onFrame(data: unknown): void {
    this.lastFrameAt = this.deps.now();
    const frame = parseFrame(data);
    if (!frame) return;
    if (frame.type === "event") {
      if (frame.event === "connect.challenge" && !this.connectId) return this.sendConnect();
      if (frame.event === "shutdown") this.shutdownReason = (frame.payload as { reason?: string } | undefined)?.reason ?? "shutdown";
      if (this.hello) for (const l of this.listeners) l({ event: frame.event ?? "", payload: frame.payload });
      return;
    }
    if (frame.type !== "res" || typeof frame.id !== "string") return;
    if (frame.id === this.connectId) {
      if (frame.ok) void this.onHello(frame.payload as HelloOk);
      else this.connectError = frame.error ?? { code: "INTERNAL", message: "connect failed" };
      return;
    }
    this.pending.settle(frame as { id: string });
  }

  private sendConnect(): void {
    this.connectId = this.pending.id("connect-");
    this.ws!.send(connectFrame(this.connectId, this.secret, { version: this.opts.clientVersion, platform: this.opts.platform }));
  }

  private async onHello(hello: HelloOk): Promise<void> {
    const ws = this.ws;
    this.hello = hello;
    this.armWatchdog(Math.max(1, hello.policy?.tickIntervalMs ?? 30_000));
    let epoch: number | null = null;
    try {
      const status = await this.send<{ pipeline?: { epoch?: unknown } }>("status", undefined, this.opts.requestTimeoutMs);
      epoch = typeof status?.pipeline?.epoch === "number" ? status.pipeline.epoch : null;
    } catch {
      // A gateway without a status method (or a failing one) is still connected; only the epoch check is lost.
    }
    if (ws !== this.ws) return;
    // Only now is the handshake done (the status call was part of it).
    this.timers.handshake?.();
    this.timers.open?.();
    const now = { instanceId: hello.server?.instanceId ?? null, epoch };
    const replaced = isReplaced({ instanceId: this.lastInstanceId, epoch: this.lastEpoch }, now);
    this.lastInstanceId = now.instanceId;
    if (epoch !== null) this.lastEpoch = epoch;
    this.everConnected = true;
    this.connectedAt = this.deps.now();
    this.update({
      state: replaced ? "replaced" : "connected",
      detail: replaced ? replacedDetail(now) : "",
      attempt: 0,
      nextRetryAt: null,
      manual: false,
      httpStatus: null,
      hello,
      epoch,
      generation: this.snap.generation + 1,
    });
    if (replaced) this.timer("notice", REPLACED_NOTICE_MS, () => this.acknowledgeReplaced());
  }

  /** A link with no frame for 2.5 ticks is dead even if the socket says otherwise (a sleeping laptop, a dropped NAT entry). */
  private armWatchdog(tickMs: number): void {
    const limit = tickMs * 2.5;
    const check = () => {
      const idle = this.deps.now() - this.lastFrameAt;
      if (idle < limit) return this.timer("watchdog", limit - idle, check);
      this.fail(
        { state: "reconnecting", detail: `No word from the gateway for ${Math.round(idle / 1000)} s: the link was dead.`, retry: { kind: "backoff" } },
        true,
      );
    };
    this.timer("watchdog", limit, check);
  }

  private onClosed(seq: number, attemptId: string, code: number, reason: string): void {
    const opened = this.opened;
    const wasConnected = this.hello !== null;
    if (!opened) {
      this.teardown();
      void this.diagnoseBeforeOpen(seq, attemptId);
      return;
    }
    const diagnosis = diagnoseClose(code, reason, this.connectError);
    if (this.shutdownReason && diagnosis.state === "reconnecting") diagnosis.detail = `The gateway shut down (${this.shutdownReason}).`;
    this.fail(diagnosis, wasConnected);
  }

  /** Asks the gateway what it saw of an attempt that never opened: the browser itself says nothing. */
  private async diagnoseBeforeOpen(seq: number, attemptId: string): Promise<void> {
    const answer = await askWsCheck(this.deps.fetch, this.url("http", `/api/ws-check?attempt=${attemptId}`), this.opts.checkTimeoutMs, this.deps.schedule);
    // The operator may have retried, or the page stopped, while we asked.
    if (seq !== this.seq || !this.started) return;
    this.fail(diagnoseCheck(answer), false);
  }

  /** Ends the current attempt or link and shows `d`: either schedules the next attempt or waits for the operator. */
  private fail(d: Diagnosis, wasConnected: boolean): void {
    this.teardown();
    if (!this.started) return;
    if (d.state === "auth-failed" && this.secret !== null) {
      // Refused: kept, it would be sent again by every reload and by the Retry button.
      this.secret = null;
      this.deps.forgetSecret();
    }
    if (d.retry.kind === "manual") {
      this.update({ state: d.state, detail: d.detail, manual: true, nextRetryAt: null, httpStatus: d.httpStatus ?? null, hello: null });
      return;
    }
    // A link that was up for a while and dropped starts the count at attempt 1; a failed attempt,
    // or a link that dies right after its handshake (a crash loop), adds one.
    const stable = wasConnected && this.deps.now() - this.connectedAt >= STABLE_MS;
    this.retries = stable ? 1 : this.retries + 1;
    const delay = Math.max(backoffDelay(this.retries, this.deps.random, this.opts.backoff), d.retry.minDelayMs ?? 0);
    // "Nothing answered" right after a drop is the gateway restarting: that is still "reconnecting".
    const state = d.transient && this.everConnected ? "reconnecting" : d.state;
    this.update({
      state,
      detail: d.detail,
      attempt: this.retries,
      nextRetryAt: this.deps.now() + delay,
      manual: false,
      httpStatus: d.httpStatus ?? null,
      hello: null,
    });
    const seq = this.seq;
    this.cancelRetry = this.deps.schedule(delay, () => seq === this.seq && this.started && this.open());
  }

  /** Forgets the current socket (its late events are ignored), its timers and its pending requests. */
  private teardown(): void {
    const ws = this.ws;
    this.ws = null;
    this.hello = null;
    this.connectId = "";
    for (const cancel of Object.values(this.timers)) cancel();
    this.timers = {};
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try {
        ws.close();
      } catch {
        // Already closed or never opened: nothing to do.
      }
    }
    this.pending.failAll();
  }
}
