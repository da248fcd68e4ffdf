/**
 * The brain: the only place channels meet the agent. It turns durable inbound messages into
 * runs (one at a time per session, a global limit across sessions), streams deltas as events,
 * writes each reply to the outbox in the run's final transaction, and delivers the outbox with
 * fencing. After a crash or a stop, `start()` resumes interrupted runs from their journal
 * (resume.ts) and delivers what was pending: nothing is lost, no side effect runs twice.
 */
import type { Channel, InboundBatch } from "../channels/channel.ts";
import { approveCommands } from "./approve-command.ts";
import { ingestBatch, type IngestOutcome } from "./inbox.ts";
import { Delivery } from "./delivery.ts";
import { metrics } from "../metrics/instruments.ts";
import { conversationsInDoubt } from "./outbox.ts";
import { executeRun, type RunEnv } from "./execute.ts";
import type { BrainOptions } from "./ports.ts";
import { markReaped, orphanGroups, recoverRuns } from "./resume.ts";
import { claimNext, type ClaimedRun } from "./runs.ts";

export type { AgentPort, ApprovalsPort, BrainEvent, BrainOptions, BrainSettings, BrainToolPorts, ProcessGroupRecord } from "./ports.ts";

/** The exactly-once pipeline. */
export class Brain {
  private readonly o: BrainOptions;
  private readonly now: () => number;
  private readonly running = new Map<number, { sessionKey: string; abort: AbortController }>();
  private readonly busySessions = new Set<string>();
  private readonly channels = new Map<string, Channel>();
  private readonly delivery: Delivery;
  /** Runs recovered at start, waiting for a slot (they count against maxConcurrentRuns like new ones). */
  private readonly resumeQueue: ClaimedRun[] = [];
  private readonly env: RunEnv;
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
    this.env = {
      o: options,
      now: this.now,
      channel: (id, account) => this.channels.get(`${id}:${account}`),
      leaving: () => this.stopped || this.fenced,
      fence: () => this.fence(),
    };
  }

  /** Registers a channel for delivery (its id and account). */
  addChannel(channel: Channel): void {
    this.channels.set(`${channel.id}:${channel.account}`, channel);
  }

  /** Forgets a channel (stopped for good, an unlinked device): its replies wait in the outbox until it is back. */
  removeChannel(channel: Channel): void {
    if (this.channels.get(`${channel.id}:${channel.account}`) === channel) this.channels.delete(`${channel.id}:${channel.account}`);
  }

  /** The registered channel of a channel account, if any. */
  channel(id: string, account: string): Channel | undefined {
    return this.channels.get(`${id}:${account}`);
  }

  /** The channel accounts registered for delivery (where the `message` tool may send). */
  channelAccounts(): Array<{ id: string; account: string }> {
    return [...this.channels.values()].map((c) => ({ id: c.id, account: c.account }));
  }

  /**
   * Recovers after a crash or a stop (process groups left running are reaped, interrupted runs
   * resumed or, when they cannot be, answered with a notice), then starts pending runs and
   * deliveries. Nothing runs before this.
   */
  start(): { interrupted: number; resumed: number } {
    this.started = true;
    this.reapOrphans();
    const s = this.o.settings();
    const { resumed, ended } = recoverRuns(this.o.store, { epoch: this.o.epoch, now: this.now(), agentIds: s.agentIds, historyLimit: s.historyLimit });
    this.resumeQueue.push(...resumed);
    if (resumed.length) this.o.logger.info({ resumed: resumed.map((r) => r.runId) }, "resuming runs interrupted by a restart");
    if (ended) this.o.logger.warn({ interrupted: ended }, "answered interrupted runs that could not be resumed with a notice");
    const inDoubt = conversationsInDoubt(this.o.store).size;
    if (inDoubt)
      this.o.logger.warn({ inDoubt }, "reply parts were being sent when the gateway stopped: each is checked with its platform before it is sent again");
    this.kick();
    void this.deliver();
    return { interrupted: ended, resumed: resumed.length };
  }

  /** Process groups of exec calls a dead gateway left: reaped (when a reaper is wired), then marked ended. */
  private reapOrphans(): void {
    const groups = orphanGroups(this.o.store, this.o.epoch);
    if (groups.length === 0) return;
    const reap = this.o.reapProcessGroups;
    if (!reap) {
      this.o.logger.warn({ groups }, "process groups started by the previous gateway may still run; no reaper is wired");
      return;
    }
    void (async () => {
      try {
        await reap(groups.map(({ pid, pgid, startTime }) => ({ pid, pgid, startTime })));
        if (!this.stopped)
          markReaped(
            this.o.store,
            groups.map((g) => g.id),
            this.now(),
          );
        this.o.logger.info({ groups: groups.length }, "reaped process groups left by the previous gateway");
      } catch (err) {
        this.o.logger.error({ err }, "could not reap the process groups left by the previous gateway");
      }
    })();
  }

  /**
   * Makes a batch durable (dedupe + cursor in one transaction), then schedules work. The write
   * joins the store's group commit; the promise resolves once it is on disk, and only then may
   * the channel acknowledge the batch.
   */
  async ingest(channel: string, account: string, batch: InboundBatch): Promise<IngestOutcome> {
    const approve =
      this.o.chatApprovals && approveCommands({ store: this.o.store, approvals: this.o.chatApprovals, channel, account, epoch: this.o.epoch, now: this.now() });
    const write = () => ingestBatch(this.o.store, channel, account, batch, (m) => this.o.sessionKeyOf(channel, account, m), this.now(), approve?.command);
    // An urgent batch is in the WAL before this returns (a crash of this process cannot lose it).
    const { value: out, durable } = batch.urgent ? this.o.store.commitNow(write) : this.o.store.grouped(write);
    // Runs claimed now join the same group, and wait for it before they call the model.
    if (out.accepted) this.kick();
    await durable;
    // An `/approve` answered at ingest wakes its run only now that the answer is on disk.
    const answered = approve?.afterDurable() ?? [];
    for (const r of answered) this.o.emit({ type: "chat", state: "notice", runId: null, sessionKey: r.sessionKey, text: r.text });
    if (answered.length) void this.deliver();
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
      const resumed = this.resumeQueue.shift();
      // Its resumption was written in a transaction at start: already durable.
      if (resumed) {
        void this.execute(resumed, Promise.resolve(), s.timeoutSeconds);
        continue;
      }
      const opts = {
        defaultAgentId: s.defaultAgentId,
        historyLimit: s.historyLimit,
        policy: s.reset,
        epoch: this.o.epoch,
        now: this.now(),
        busy: this.busySessions,
      };
      const { value: run, durable } = this.o.store.grouped(() => claimNext(this.o.store, opts));
      if (!run) return;
      void this.execute(run, durable, s.timeoutSeconds);
    }
  }

  /** Runs one claimed message (execute.ts), holding its session and a slot meanwhile; then delivers and claims more. */
  private async execute(run: ClaimedRun, claimed: Promise<void>, timeoutSeconds: number): Promise<void> {
    const abort = new AbortController();
    this.running.set(run.runId, { sessionKey: run.sessionKey, abort });
    this.busySessions.add(run.sessionKey);
    try {
      await executeRun(this.env, run, claimed, abort, timeoutSeconds);
    } catch (err) {
      return this.storeFailed(err);
    } finally {
      this.running.delete(run.runId);
      this.busySessions.delete(run.sessionKey);
    }
    void this.deliver();
    this.kick();
  }

  /** Delivers pending replies in order; failures back off per reply and retry, bounded (delivery.ts). */
  async deliver(): Promise<void> {
    if (!this.started || this.stopped) return;
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

  /**
   * Stops taking work: waits up to `graceMs` for runs to finish, then aborts the rest, which
   * write nothing and stay 'running' for the next start to resume.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    this.delivery.stop();
    const deadline = Date.now() + graceMs;
    while (this.running.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const r of this.running.values()) r.abort.abort(new Error("gateway stopping"));
    while (this.running.size > 0) await new Promise((r) => setTimeout(r, 10));
  }
}
