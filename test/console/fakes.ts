/**
 * A fake clock and a scripted WebSocket for the console's connection tests that need exact
 * control of time and of what the "server" says (close codes, silence, late answers).
 */
import type { LinkDeps, SocketLike } from "../../console/src/link/connection.ts";

/** Timers that run only when the test advances time. */
export class FakeClock {
  t = 1_000_000;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private ids = 0;

  now = (): number => this.t;

  schedule = (ms: number, fn: () => void): (() => void) => {
    const id = ++this.ids;
    this.timers.push({ at: this.t + ms, fn, id });
    return () => void (this.timers = this.timers.filter((x) => x.id !== id));
  };

  /** Moves time forward, running every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }
}

/** One scripted socket; the test plays the server. */
export class FakeSocket implements SocketLike {
  onopen: ((ev: any) => unknown) | null = null;
  onmessage: ((ev: any) => unknown) | null = null;
  onclose: ((ev: any) => unknown) | null = null;
  onerror: ((ev: any) => unknown) | null = null;
  readonly sent: any[] = [];
  closedByClient = false;
  readonly url: string;
  constructor(url: string) {
    this.url = url;
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(): void {
    this.closedByClient = true;
  }
  /** The server side: */
  open(): void {
    this.onopen?.({});
  }
  receive(frame: unknown): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  closeWith(code: number, reason = ""): void {
    this.onclose?.({ code, reason });
  }
  /** Runs challenge -> connect -> hello-ok, and answers the status call with `epoch`. */
  handshake(instanceId = "inst-1", epoch = 1, tickIntervalMs = 30_000): void {
    this.open();
    this.receive({ type: "event", event: "connect.challenge", payload: { nonce: "n", ts: 0 }, seq: 0 });
    const connect = this.sent.find((f) => f.method === "connect");
    this.receive({
      type: "res",
      id: connect.id,
      ok: true,
      payload: {
        type: "hello-ok",
        protocol: 1,
        server: { version: "t", connId: "c", instanceId, host: "default" },
        features: { methods: [], events: [] },
        snapshot: { uptimeMs: 0, stateDir: "/s", profile: null },
        policy: { maxPayload: 1, maxBufferedBytes: 1, tickIntervalMs },
      },
    });
  }
  answerStatus(epoch: number): void {
    const req = this.sent.findLast((f) => f.method === "status");
    this.receive({ type: "res", id: req.id, ok: true, payload: { pipeline: { epoch } } });
  }
}

/** Deps for a Connection whose sockets are FakeSockets and whose /api/ws-check answer the test sets. */
export function fakeDeps(clock: FakeClock, location = { protocol: "http:", host: "gw.test:8080" }) {
  const sockets: FakeSocket[] = [];
  const checks: string[] = [];
  let check: () => Promise<{ status: number; text(): Promise<string> }> = () => Promise.reject(new TypeError("fetch failed"));
  let gate: Promise<void> = Promise.resolve();
  const deps: LinkDeps = {
    WebSocket: class extends FakeSocket {
      constructor(url: string) {
        super(url);
        sockets.push(this);
      }
    },
    fetch: async (url) => {
      checks.push(url);
      await gate;
      return check();
    },
    location,
    now: clock.now,
    schedule: clock.schedule,
    random: () => 0,
  };
  return {
    deps,
    sockets,
    checks,
    /** Sets what /api/ws-check answers from now on. */
    answerCheck: (status: number, body: unknown) => {
      check = () => Promise.resolve({ status, text: () => Promise.resolve(typeof body === "string" ? body : JSON.stringify(body)) });
    },
    /** Holds every /api/ws-check answer back until the returned function is called. */
    holdChecks: (): (() => void) => {
      let release!: () => void;
      gate = new Promise<void>((r) => (release = r));
      return release;
    },
    last: () => sockets[sockets.length - 1]!,
  };
}

/** Lets pending promise callbacks run. */
export const flush = () => new Promise<void>((r) => setImmediate(r));
