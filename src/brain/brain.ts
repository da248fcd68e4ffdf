/**
 * The brain: the only place channels meet the agent. It turns durable inbound messages into
 * runs (one at a time per session, a global limit across sessions), streams deltas as events,
 * writes each reply to the outbox in the run's final transaction, and delivers the outbox with
 * fencing. After a crash, `start()` answers interrupted runs with a notice and delivers what
 * was pending: nothing is lost, nothing runs twice.
 */
import type { Logger } from "pino";
import type { Channel, InboundBatch, InboundMessage } from "../channels/channel.ts";
import type { ResetPolicy } from "../sessions/reset.ts";
import type { StoreHandle } from "../store/handle.ts";
import { approveCommands, type ChatApprovals } from "./approve-command.ts";
import { ingestBatch, type IngestOutcome } from "./inbox.ts";
import { Delivery } from "./delivery.ts";
import { metrics } from "../metrics/instruments.ts";
import { conversationsInDoubt } from "./outbox.ts";
import { claimNext, finishRun, recoverInterrupted, type ClaimedRun, type RunOutcome } from "./runs.ts";

/** What the brain needs from the agent (src/agent/ implements it over the model providers). */
export interface AgentPort {
  /** Null when a model is configured; otherwise the sentence telling the user what to set. */
  notConfigured(): string | null;
  reply(req: {
    sessionKey: string;
    history: Array<{ role: "user" | "assistant"; content: string }>;
    signal: AbortSignal;
    onDelta: (text: string) => void;
  }): Promise<{ text: string; model: string }>;
}

/** Events for WebSocket clients: every tab sees the same stream. */
export type BrainEvent =
  | { type: "chat"; state: "delta"; runId: number; sessionKey: string; delta: string }
  | { type: "chat"; state: "final"; runId: number; sessionKey: string; text: string; model: string | null }
  | { type: "chat"; state: "error" | "aborted"; runId: number; sessionKey: string; text: string }
  | { type: "fenced"; epoch: number }
  | { type: "store-failed"; error: Error };

export interface BrainOptions {
  store: StoreHandle;
  /** The epoch this process got when it took the brain lock. */
  epoch: number;
  agent: AgentPort;
  logger: Logger;
  emit: (event: BrainEvent) => void;
  settings: () => { agentId: string; historyLimit: number; reset: ResetPolicy; timeoutSeconds: number; maxConcurrentRuns: number };
  /** Routes a message to its session key. */
  sessionKeyOf: (channel: string, account: string, m: InboundMessage) => string;
  now?: () => number;
  maxDeliveryAttempts?: number;
  /** Answers `/approve` typed in a chat at ingest (src/brain/approve-command.ts); without it, `/approve` is an ordinary message. */
  chatApprovals?: ChatApprovals;
}

export const INTERRUPTED_NOTICE = "I was restarted while answering this message, so it was not answered. Please send it again.";

function errorReply(err: unknown, timeoutSeconds: number, timedOut: boolean): string {
  if (timedOut) return `I could not answer within ${timeoutSeconds} s. Please try again.`;
  const e = err as { code?: string; details?: { httpStatus?: number; userReply?: unknown } };
  // The agent words model failures itself (a refused key, an unknown model: what it is and the fix).
  if (typeof e.details?.userReply === "string") return e.details.userReply;
  const status = e.details?.httpStatus ? ` (HTTP ${e.details.httpStatus})` : "";
  return `The model did not answer${status}. Please try again in a moment.`;
}

/** The exactly-once pipeline. */
export class Brain {
  private readonly o: BrainOptions;
  private readonly now: () => number;
  private readonly running = new Map<number, { sessionKey: string; abort: AbortController }>();
  private readonly busySessions = new Set<string>();
  private readonly channels = new Map<string, Channel>();
  private readonly delivery: Delivery;
  private started = false;
  private stopped = false;
  private fenced = false;

  constructor(options: BrainOptions) {
    this.o = options;
    this.now = options.now ?? Date.now;
    this.delivery = new Delivery({
      store: options.store,
      epoch: options.epoch,
      logger: options.logger,
      now: this.now,
      maxAttempts: options.maxDeliveryAttempts ?? 8,
      channel: (id, account) => this.channels.get(`${id}:${account}`),
      onFenced: () => this.fence(),
      active: () => !this.stopped && !this.fenced,
    });
  }

  /** Registers a channel for delivery (its id and account). */
  addChannel(channel: Channel): void {
    this.channels.set(`${channel.id}:${channel.account}`, channel);
  }

  /** Recovers after a crash, then starts pending runs and deliveries. Nothing runs before this. */
  start(): { interrupted: number } {
    this.started = true;
    const interrupted = recoverInterrupted(this.o.store, INTERRUPTED_NOTICE, this.o.epoch, this.now());
    if (interrupted) this.o.logger.warn({ interrupted }, "answered runs interrupted by a crash with a notice");
    const inDoubt = conversationsInDoubt(this.o.store).size;
    if (inDoubt)
      this.o.logger.warn({ inDoubt }, "reply parts were being sent when the gateway stopped: each is checked with its platform before it is sent again");
    this.kick();
    void this.deliver();
    return { interrupted };
  }

  /**
   * Makes a batch durable (dedupe + cursor in one transaction), then schedules work. The write
   * joins the store's group commit; the promise resolves once it is on disk, and only then may
   * the channel acknowledge the batch.
   */
  async ingest(channel: string, account: string, batch: InboundBatch): Promise<IngestOutcome> {
    const approve =
      this.o.chatApprovals && approveCommands({ store: this.o.store, approvals: this.o.chatApprovals, channel, account, epoch: this.o.epoch, now: this.now() });
    const { value: out, durable } = this.o.store.grouped(() =>
      ingestBatch(this.o.store, channel, account, batch, (m) => this.o.sessionKeyOf(channel, account, m), this.now(), approve?.command),
    );
    // Runs claimed now join the same group, and wait for it before they call the model.
    if (out.accepted) this.kick();
    await durable;
    // An `/approve` answered at ingest wakes its run only now that the answer is on disk.
    if (approve?.afterDurable()) void this.deliver();
    metrics.inbound.inc({ channel }, out.accepted);
    metrics.duplicates.inc({ channel }, out.duplicates);
    if (out.duplicates) this.o.logger.info({ channel, account, duplicates: out.duplicateIds }, "dropped duplicate inbound message(s)");
    return out;
  }

  /** Aborts a run by id, or the run of a session; true when one was running. */
  abort(target: { runId?: number; sessionKey?: string }): boolean {
    for (const [runId, r] of this.running) {
      if (runId === target.runId || r.sessionKey === target.sessionKey) {
        r.abort.abort(new Error("aborted"));
        return true;
      }
    }
    return false;
  }

  /** Runs in flight now. */
  activeRuns(): Array<{ runId: number; sessionKey: string }> {
    return [...this.running].map(([runId, r]) => ({ runId, sessionKey: r.sessionKey }));
  }

  /** Starts as many runs as the limits allow. */
  kick(): void {
    // Before start(), recovery has not run: a run claimed now would be taken for a crashed one.
    if (!this.started || this.stopped || this.fenced) return;
    const s = this.o.settings();
    while (this.running.size < s.maxConcurrentRuns) {
      const opts = { agentId: s.agentId, historyLimit: s.historyLimit, policy: s.reset, epoch: this.o.epoch, now: this.now(), busy: this.busySessions };
      const { value: run, durable } = this.o.store.grouped(() => claimNext(this.o.store, opts));
      if (!run) return;
      void this.execute(run, durable, s.timeoutSeconds);
    }
  }

  /** Runs one claimed message: waits for the claim to be on disk, thinks, then writes the outcome and its reply. */
  private async execute(run: ClaimedRun, claimed: Promise<void>, timeoutSeconds: number): Promise<void> {
    const abort = new AbortController();
    this.running.set(run.runId, { sessionKey: run.sessionKey, abort });
    this.busySessions.add(run.sessionKey);
    const emit = this.o.emit;
    const channel = this.channels.get(`${run.channel}:${run.account}`);
    let typing = false;
    try {
      // The model is called only once the claim is durable: after a crash this message is
      // then 'running' (answered with a notice), never run a second time.
      await claimed;
      typing = channel?.typing !== undefined;
      channel?.typing?.(run.peer, true);
      let outcome: RunOutcome;
      try {
        outcome = await this.think(run, abort, timeoutSeconds);
      } catch (err) {
        this.o.logger.error({ err, runId: run.runId }, "run failed unexpectedly");
        outcome = { kind: "error", text: "Something went wrong on my side. Please try again.", error: (err as Error).message };
      }
      await this.o.store.grouped(() => finishRun(this.o.store, run, outcome, this.o.epoch, this.now())).durable;
      metrics.runs.inc({ outcome: outcome.kind === "notice" ? (outcome.state === "done" ? "notice" : outcome.state) : outcome.kind });
      if (outcome.kind === "reply")
        emit({ type: "chat", state: "final", runId: run.runId, sessionKey: run.sessionKey, text: outcome.text, model: outcome.model });
      else if (outcome.kind === "notice" && outcome.state === "done")
        emit({ type: "chat", state: "final", runId: run.runId, sessionKey: run.sessionKey, text: outcome.text, model: null });
      else emit({ type: "chat", state: outcome.kind === "error" ? "error" : "aborted", runId: run.runId, sessionKey: run.sessionKey, text: outcome.text });
      // A stop-interrupted reply is delivered by the next start (the gateway is going away).
    } catch (err) {
      return this.storeFailed(err);
    } finally {
      if (typing) channel?.typing?.(run.peer, false);
      this.running.delete(run.runId);
      this.busySessions.delete(run.sessionKey);
    }
    void this.deliver();
    this.kick();
  }

  private async think(run: ClaimedRun, abort: AbortController, timeoutSeconds: number): Promise<RunOutcome> {
    if (run.command) return { kind: "notice", text: "Started a new session.", state: "done" };
    const missing = this.o.agent.notConfigured();
    if (missing) return { kind: "notice", text: missing, state: "done" };
    // A timer cleared when the run ends, not AbortSignal.timeout(): that one stays alive (with
    // everything the run's closures hold) for the whole timeout, so at hundreds of messages a
    // second the heap grew by rate x timeout.
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort(new DOMException(`run timed out after ${timeoutSeconds} s`, "TimeoutError"));
    }, timeoutSeconds * 1000);
    try {
      const r = await this.o.agent.reply({
        sessionKey: run.sessionKey,
        history: run.history,
        signal: abort.signal,
        onDelta: (delta) => this.o.emit({ type: "chat", state: "delta", runId: run.runId, sessionKey: run.sessionKey, delta }),
      });
      return { kind: "reply", text: r.text, model: r.model };
    } catch (err) {
      if (!timedOut && abort.signal.aborted && this.stopped) return { kind: "notice", text: INTERRUPTED_NOTICE, state: "interrupted" };
      if (!timedOut && abort.signal.aborted) return { kind: "notice", text: "Stopped.", state: "aborted" };
      this.o.logger.warn({ err, runId: run.runId, timedOut }, "run ended without an answer");
      return { kind: "error", text: errorReply(err, timeoutSeconds, timedOut), error: (err as Error).message };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Delivers pending replies in order; failures back off per reply and retry, bounded (delivery.ts). */
  async deliver(): Promise<void> {
    if (!this.started) return;
    await this.delivery.run();
  }

  private fence(): void {
    if (this.fenced) return;
    this.fenced = true;
    this.o.logger.fatal({ epoch: this.o.epoch, current: this.o.store.epoch() }, "fenced: another process took this brain; no more deliveries from this one");
    for (const r of this.running.values()) r.abort.abort(new Error("fenced"));
    this.o.emit({ type: "fenced", epoch: this.o.epoch });
  }

  /**
   * A group commit failed (disk full, I/O error) and was rolled back: what this process holds in
   * memory no longer matches the disk. It stops working and says so; a restart recovers from
   * the disk, where every acknowledged message and written reply is.
   */
  private storeFailed(err: unknown): void {
    if (this.fenced || this.stopped) return;
    this.fenced = true;
    this.o.logger.fatal({ err }, "a write to the brain's database failed; this gateway stops working and exits");
    for (const r of this.running.values()) r.abort.abort(new Error("store failed"));
    this.o.emit({ type: "store-failed", error: err as Error });
  }

  /** Stops taking work: aborts runs after `graceMs`, waits for them to write their outcome. */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    this.delivery.stop();
    const deadline = Date.now() + graceMs;
    while (this.running.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const r of this.running.values()) r.abort.abort(new Error("gateway stopping"));
    while (this.running.size > 0) await new Promise((r) => setTimeout(r, 10));
  }
}
