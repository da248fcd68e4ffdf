/**
 * Child process of the chat benches: WebChat clients that drive `chat.send` at a gateway and
 * time each message from its send to its `final` event. It runs in its own process so that
 * client CPU never counts as the gateway's, and the bench can watch the gateway meanwhile.
 *
 * Every `chat` event goes to every client, so events are read on the first connection only.
 * A session runs one message at a time, in arrival order, and each session is sent on one
 * connection, so a session's finals come back in the order its messages were sent: matching
 * is a FIFO per session key.
 *
 * Usage (forked, with an IPC channel): chat-clients.ts <url> [connections]
 * Sends {type:"ready"}; answers {cmd:"run", spec} with {type:"mark"} at each answered-count
 * mark, {type:"progress"} every 5 s, then {type:"result"}; {cmd:"close"} exits.
 */
import { connectGateway, type GatewayConnection } from "../src/client/gateway-client.ts";

/** Open loop: `rate` msg/s for warm-up + measure. Closed loop: `window` messages in flight. */
export type LoadSpec = { tag: string; sessions: number; warmupMs: number } & (
  | { mode: "rate"; rate: number; measureMs: number }
  | { mode: "window"; window: number; measureMs?: number; messages?: number; marks?: number[] }
);

export interface RunResult {
  type: "result";
  sent: number;
  /** Finals (and error replies) for measured messages; warm-up ones are not counted. */
  answered: number;
  /** Replies whose state was error or aborted (counted in answered too). */
  errorReplies: number;
  /** chat.send requests that failed (never ingested). */
  sendErrors: number;
  /** Measured messages still unanswered after the drain deadline. */
  unanswered: number;
  firstError: string | null;
  latenciesMs: number[];
  /** First measured send to last measured answer. */
  measuredSpanMs: number;
  /** Open loop: how late the client sent (scheduled -> sent), p99 and max. */
  sendLagP99Ms: number;
  sendLagMaxMs: number;
  clientCpuMs: number;
}

export type ChildMessage = { type: "ready" } | { type: "mark"; answered: number } | { type: "progress"; sent: number; answered: number } | RunResult;

const [url = "", connArg = "1"] = process.argv.slice(2);
const connCount = Number(connArg);
if (!url.startsWith("ws://127.0.0.1:") || !Number.isInteger(connCount) || connCount < 1 || !process.send) {
  process.stderr.write("usage (forked with IPC): chat-clients.ts ws://127.0.0.1:PORT [CONNECTIONS]\n");
  process.exit(2);
}
const send = (msg: ChildMessage) => process.send!(msg);
const now = () => performance.now();

const conns: GatewayConnection[] = [];
for (let i = 0; i < connCount; i++) conns.push(await connectGateway({ url, timeoutMs: 10_000, clientId: `bench-chat-${i}`, mode: "webchat" }));

interface Pending {
  t: number;
  measured: boolean;
}

async function run(spec: LoadSpec): Promise<RunResult> {
  const queues = new Map<string, Pending[]>();
  const keys = Array.from({ length: spec.sessions }, (_, s) => `agent:main:bench-${spec.tag}-${s}`);
  for (const k of keys) queues.set(k, []);
  const latencies: number[] = [];
  const lags: number[] = [];
  const marks = spec.mode === "window" ? [...(spec.marks ?? [])].sort((a, b) => a - b) : [];
  let sent = 0;
  let answeredAll = 0;
  let answered = 0;
  let errorReplies = 0;
  let sendErrors = 0;
  let firstError: string | null = null;
  let outstanding = 0;
  let firstMeasuredSend = Infinity;
  let lastMeasuredAnswer = 0;
  let sendingDone = false;
  let wake: () => void = () => {};
  const cpu0 = process.cpuUsage();

  const sendOne = (measured: boolean): void => {
    const i = sent++;
    const s = i % spec.sessions;
    const key = keys[s]!;
    const entry: Pending = { t: now(), measured };
    if (measured && entry.t < firstMeasuredSend) firstMeasuredSend = entry.t;
    queues.get(key)!.push(entry);
    outstanding++;
    conns[s % conns.length]!.request("chat.send", { text: `ping ${i}`, idempotencyKey: `${spec.tag}-${i}`, sessionKey: key }, 30_000).catch((err: Error) => {
      sendErrors++;
      firstError ??= `chat.send: ${err.message}`;
      const q = queues.get(key)!;
      const at = q.indexOf(entry);
      if (at >= 0) {
        q.splice(at, 1);
        outstanding--;
      }
      wake();
    });
  };

  const onEvent = (e: { event: string; payload?: unknown }) => {
    if (e.event !== "chat") return;
    const p = e.payload as { state: string; sessionKey: string; text?: string };
    if (p.state === "delta") return;
    const entry = queues.get(p.sessionKey)?.shift();
    if (!entry) return;
    const t = now();
    outstanding--;
    answeredAll++;
    if (p.state !== "final") {
      errorReplies++;
      firstError ??= `${p.state}: ${p.text ?? ""}`;
    }
    if (entry.measured) {
      answered++;
      latencies.push(t - entry.t);
      lastMeasuredAnswer = t;
    }
    while (marks.length && answeredAll >= marks[0]!) send({ type: "mark", answered: marks.shift()! });
    wake();
  };
  listeners.add(onEvent);
  const progressTimer = setInterval(() => send({ type: "progress", sent, answered: answeredAll }), 5000);

  try {
    const t0 = now();
    if (spec.mode === "rate") {
      const interval = 1000 / spec.rate;
      const total = Math.round(((spec.warmupMs + spec.measureMs) * spec.rate) / 1000);
      await new Promise<void>((resolve) => {
        const tick = () => {
          const elapsed = now() - t0;
          while (sent < total && sent * interval <= elapsed) {
            const scheduled = sent * interval;
            lags.push(now() - t0 - scheduled);
            sendOne(scheduled >= spec.warmupMs);
          }
          if (sent < total) setTimeout(tick, Math.max(0, t0 + sent * interval - now()));
          else resolve();
        };
        tick();
      });
    } else {
      const budget = spec.messages ?? Infinity;
      let measuredSent = 0;
      let measureStart = spec.warmupMs > 0 ? Infinity : t0;
      for (;;) {
        if (measureStart === Infinity && now() - t0 >= spec.warmupMs) measureStart = now();
        const measuring = measureStart !== Infinity;
        const timeUp = measuring && spec.measureMs !== undefined && now() - measureStart >= spec.measureMs;
        if (timeUp || measuredSent >= budget) break;
        while (outstanding < spec.window && measuredSent < budget) {
          sendOne(measuring);
          if (measuring) measuredSent++;
        }
        // Wake on the next answer, or in time to notice the warm-up or measurement ending.
        await new Promise<void>((r) => {
          const timer = setTimeout(r, 50);
          wake = () => (clearTimeout(timer), r());
        });
      }
    }
    sendingDone = true;
    const deadline = now() + 30_000;
    while (outstanding > 0 && now() < deadline) await new Promise<void>((r) => ((wake = r), setTimeout(r, 100)));
  } finally {
    listeners.delete(onEvent);
    clearInterval(progressTimer);
  }
  const sortedLags = lags.sort((a, b) => a - b);
  const cpu = process.cpuUsage(cpu0);
  let unanswered = 0;
  for (const q of queues.values()) unanswered += q.filter((e) => e.measured).length;
  return {
    type: "result",
    sent,
    answered,
    errorReplies,
    sendErrors,
    unanswered: sendingDone ? unanswered : -1,
    firstError,
    latenciesMs: latencies,
    measuredSpanMs: lastMeasuredAnswer > firstMeasuredSend ? lastMeasuredAnswer - firstMeasuredSend : 0,
    sendLagP99Ms: sortedLags.length ? sortedLags[Math.ceil(0.99 * sortedLags.length) - 1]! : 0,
    sendLagMaxMs: sortedLags.length ? sortedLags[sortedLags.length - 1]! : 0,
    clientCpuMs: (cpu.user + cpu.system) / 1000,
  };
}

const listeners = new Set<(e: { event: string; payload?: unknown }) => void>();
conns[0]!.onEvent((e) => {
  for (const l of listeners) l(e);
});
for (const c of conns)
  void c.closed.then(({ code, reason }) => {
    process.stderr.write(`chat-clients: connection closed (${code} ${reason})\n`);
    process.exit(1);
  });

process.on("message", (msg: { cmd?: string; spec?: LoadSpec }) => {
  if (msg.cmd === "run" && msg.spec) void run(msg.spec).then(send);
  else if (msg.cmd === "close") {
    for (const c of conns) c.ws.terminate();
    process.exit(0);
  }
});
process.on("disconnect", () => process.exit(0));
send({ type: "ready" });
