/**
 * Exec approvals that cannot hang and cannot be bypassed. A request is a row in the brain before
 * anyone is asked; it is answered once (console, CLI, or `/approve` from the owner of the same
 * chat), or at `askTimeoutSeconds` the fallback decides and is recorded. Every waiter ends: by an
 * answer, by its timer, by its run's signal, or by `stop()`. A run resumed after a restart asks
 * with the same run and call ids and gets the same row back: already answered, it resolves at
 * once; still pending, it waits for what is left of the time.
 */
import type { Logger } from "pino";
import type { Config } from "../config/schema.ts";
import type { ApprovalAnswer, ApprovalEventPayload, ApprovalView } from "../protocol/approvals.ts";
import type { OnebrainError } from "../shared/errors.ts";
import type { StoreHandle } from "../store/handle.ts";
import type { ApprovalRow } from "../store/rows.ts";
import { configAllows, tableAllows } from "./allowlist.ts";
import {
  answerApproval,
  approvalForCall,
  approvalView,
  BY_FALLBACK,
  BY_GATEWAY,
  closeApproval,
  getApproval,
  insertApproval,
  listApprovals,
  staleApprovals,
} from "./records.ts";
import type { ApprovalsPort, AskedCommand, AskOrigin, Decision } from "./types.ts";

/** The `approval` event for WebSocket clients. */
export type ApprovalEvent = { type: "approval" } & ApprovalEventPayload;

/** Timers, injectable so tests need not wait for a timeout. */
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

/** Real timers, unref'd: a pending approval never keeps the process alive by itself. */
const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms).unref(),
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface ApprovalServiceOptions {
  store: StoreHandle;
  /** `tools.exec` in force, read at each use (a reload applies to the next request). */
  config: () => Pick<Config["tools"]["exec"], "askFallback" | "askTimeoutSeconds" | "allowlist">;
  /** Events for WebSocket clients. */
  emit?: (e: ApprovalEvent) => void;
  /** Posts a request into the chat it came from; called on every ask, a repeated one included (make it idempotent by the id). */
  announce?: (approval: ApprovalView) => void;
  logger?: Logger;
  now?: () => number;
  timers?: Timers;
  /** For bare names on the config allowlist (PATH). */
  env?: NodeJS.ProcessEnv;
}

/** What an answer from inside someone else's transaction gives back: call `settle` once that write is durable. */
export type AnswerWithin = { ok: true; approval: ApprovalView; settle: () => void } | { ok: false; error: OnebrainError };

interface Waiter {
  resolve(d: Decision): void;
  /** Set when the waiter's run can be cancelled. */
  signal?: AbortSignal;
}

const STOPPING = "the gateway is stopping; the request stays open and is asked again when the run resumes";

/** The deny a tool gets, with the reason the model reads. */
function deny(approvalId: string, by: string, reason: string): Decision {
  return { decision: "deny", approvalId, by, reason };
}

/** What a closed row means to the tool that asked. */
export function decisionOf(r: ApprovalRow): Decision {
  const by = r.decided_by ?? BY_GATEWAY;
  if (r.state === "allow-once" || r.state === "allow-always") {
    if (r.executed_at !== null) return deny(r.id, by, `approval ${r.id} was already used: its command started at ${new Date(r.executed_at).toISOString()}`);
    return { decision: r.state, approvalId: r.id, by };
  }
  if (r.state === "deny") return deny(r.id, by, r.reason ?? `denied by ${by}`);
  return deny(r.id, by, r.reason ?? "the request expired");
}

/** Exec approvals for one brain. Satisfies the tool loop's port (`request`, `isAllowlisted`). */
export class ApprovalService implements ApprovalsPort {
  private readonly o: ApprovalServiceOptions;
  private readonly now: () => number;
  private readonly timers: Timers;
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly deadlines = new Map<string, unknown>();
  private stopping = false;
  private stopped = false;

  constructor(options: ApprovalServiceOptions) {
    this.o = options;
    this.now = options.now ?? Date.now;
    this.timers = options.timers ?? realTimers;
  }

  /**
   * Asks for `ask` on behalf of a tool call and resolves with the answer, or the fallback at
   * askTimeoutSeconds. Never rejects for a refusal: every way out is a Decision.
   */
  async request(ask: AskedCommand, origin: AskOrigin, signal?: AbortSignal): Promise<Decision> {
    if (this.stopped) return deny("", BY_GATEWAY, STOPPING);
    const now = this.now();
    const expiresAt = now + this.o.config().askTimeoutSeconds * 1000;
    const { row, created } = this.o.store.transaction(() => {
      const found = approvalForCall(this.o.store, origin.runId, origin.callId);
      return found ? { row: found, created: false } : { row: insertApproval(this.o.store, ask, origin, now, expiresAt), created: true };
    });
    if (row.state !== "pending") return decisionOf(row);
    if (row.expires_at <= now) return decisionOf(this.expire(row.id));
    if (signal?.aborted) return this.cancelled(row.id);
    if (created) {
      this.o.logger?.info({ approval: row.id, runId: origin.runId, sessionKey: origin.sessionKey, argv: ask.argv }, "exec approval requested");
      this.emit("requested", row);
    }
    this.announce(row);
    return this.wait(row, signal);
  }

  /** True when config or an "allow always" answer allows this resolved executable. */
  isAllowlisted(executable: string): boolean {
    return configAllows(this.o.config().allowlist, executable, this.o.env) || tableAllows(this.o.store, executable);
  }

  /** Answers a pending request (its own durable transaction) and wakes its waiter; throws APPROVAL_NOT_FOUND or APPROVAL_CLOSED. */
  decide(id: string, decision: ApprovalAnswer, by: string, reason?: string): ApprovalView {
    const r = this.answerWithin(id, decision, by, reason);
    if (!r.ok) throw r.error;
    r.settle();
    return r.approval;
  }

  /**
   * Answers inside the caller's transaction (the chat's `/approve` is stored with the message that
   * carries it). Nothing wakes until the caller calls `settle`, after its write is durable.
   */
  answerWithin(id: string, decision: ApprovalAnswer, by: string, reason?: string): AnswerWithin {
    const r = this.o.store.transaction(() => answerApproval(this.o.store, id, decision, by, reason ?? null, this.now()));
    if (!r.ok) return r;
    this.o.logger?.info({ approval: r.row.id, decision, by }, "exec approval answered");
    return { ok: true, approval: approvalView(r.row), settle: () => this.settle(r.row.id) };
  }

  /** One request as the protocol shows it, or null. */
  get(id: string): ApprovalView | null {
    const row = getApproval(this.o.store, id);
    return row ? approvalView(row) : null;
  }

  /** Requests newest first (pending ones whose time is up get their fallback first, so what is listed as pending can be answered). */
  list(o: { state?: ApprovalRow["state"]; limit?: number } = {}): ApprovalView[] {
    this.sweep(false);
    return listApprovals(this.o.store, o).map(approvalView);
  }

  /** The requests waiting for an answer, newest first. */
  pending(): ApprovalView[] {
    return this.list({ state: "pending", limit: 1000 });
  }

  /**
   * At start, before runs resume: a pending request whose run is gone or finished is closed
   * (nobody will execute it); one whose time is up gets its fallback. Those of runs that resume
   * stay pending: the run asks again and waits for what is left.
   */
  start(): { closed: number } {
    return { closed: this.sweep(true) };
  }

  /** From now on a cancelled run leaves its request pending (it is interrupted by the stop and resumes later). */
  beginStop(): void {
    this.stopping = true;
  }

  /** Ends every wait (deny, the request stays pending for the resumed run) and clears every timer. */
  stop(): void {
    this.stopping = true;
    this.stopped = true;
    // Deleting the entry being visited is safe while iterating a Map.
    for (const [id, ws] of this.waiters) {
      this.drop(id);
      for (const w of ws) w.resolve(deny(id, BY_GATEWAY, STOPPING));
    }
  }

  private wait(row: ApprovalRow, signal: AbortSignal | undefined): Promise<Decision> {
    return new Promise<Decision>((resolve) => {
      const w: Waiter = { resolve: () => {} };
      const onAbort = (): void => {
        this.remove(row.id, w);
        resolve(this.cancelled(row.id));
      };
      w.resolve = (d) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(d);
      };
      if (signal) w.signal = signal;
      const list = this.waiters.get(row.id);
      if (list) list.push(w);
      else this.waiters.set(row.id, [w]);
      if (!this.deadlines.has(row.id)) this.arm(row.id, row.expires_at);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  private arm(id: string, expiresAt: number): void {
    this.deadlines.set(
      id,
      this.timers.set(() => this.onDeadline(id, expiresAt), Math.max(0, expiresAt - this.now())),
    );
  }

  private onDeadline(id: string, expiresAt: number): void {
    this.deadlines.delete(id);
    if (this.stopped) return;
    // A timer may fire a little before the clock says the time is up: wait for the rest.
    if (this.now() < expiresAt) return this.arm(id, expiresAt);
    this.expire(id);
    this.settle(id);
  }

  /** Applies the fallback to a pending row (a closed one is left as it is); the row as it now is. */
  private expire(id: string): ApprovalRow {
    return this.o.store.transaction(() => {
      const r = getApproval(this.o.store, id)!;
      if (r.state !== "pending") return r;
      const outcome = this.fallback(r);
      this.o.logger?.warn({ approval: id, state: outcome.state, reason: outcome.reason }, "exec approval not answered in time: askFallback applied");
      return closeApproval(this.o.store, id, outcome, this.now())!;
    });
  }

  /** What askFallback makes of a request nobody answered. */
  private fallback(r: ApprovalRow): { state: "expired" | "allow-once"; by: string; reason: string } {
    const secs = Math.round((r.expires_at - r.created_at) / 1000);
    const mode = this.o.config().askFallback;
    if (mode === "deny") return { state: "expired", by: BY_FALLBACK, reason: `nobody answered within ${secs} s (askFallback deny)` };
    const exes = JSON.parse(r.executables) as string[];
    // Without executables there is nothing to check against the allowlist: the safe answer is no.
    const missing = exes.length ? exes.find((e) => !this.isAllowlisted(e)) : "(no executable named)";
    if (missing === undefined)
      return { state: "allow-once", by: BY_FALLBACK, reason: `nobody answered within ${secs} s; askFallback allowlist: every executable is on the allowlist` };
    return { state: "expired", by: BY_FALLBACK, reason: `nobody answered within ${secs} s (askFallback allowlist: ${missing} is not on the allowlist)` };
  }

  /** The run stopped waiting: deny; its request is closed, unless the gateway is stopping (the run resumes and asks again). */
  private cancelled(id: string): Decision {
    if (!this.stopping && !this.waiters.has(id)) {
      const row = this.o.store.transaction(() => closeApproval(this.o.store, id, { state: "expired", by: BY_GATEWAY, reason: "run cancelled" }, this.now()));
      if (row?.decided_by === BY_GATEWAY && row.reason === "run cancelled") this.emit("expired", row);
    }
    return deny(id, BY_GATEWAY, this.stopping ? STOPPING : "run cancelled");
  }

  /** A row was closed: every waiter gets what it means, the timer goes, clients are told. */
  private settle(id: string): void {
    const row = getApproval(this.o.store, id);
    if (!row || row.state === "pending") return;
    const ws = this.waiters.get(id) ?? [];
    this.drop(id);
    for (const w of ws) w.resolve(decisionOf(row));
    this.emit(row.state === "expired" || row.decided_by === BY_FALLBACK ? "expired" : "decided", row);
  }

  /**
   * Closes pending rows nobody here waits for whose time is up, and with `endedRuns` (at start)
   * those whose run no longer runs; returns how many. A run that ends while the gateway runs closes
   * its own request (cancel); one interrupted by a stop resumes and asks again.
   */
  private sweep(endedRuns: boolean): number {
    let n = 0;
    for (const r of staleApprovals(this.o.store, this.now(), endedRuns)) {
      if (this.waiters.has(r.id)) continue;
      const timeUp = r.expires_at <= this.now();
      if (timeUp) this.expire(r.id);
      else
        this.o.store.transaction(() =>
          closeApproval(this.o.store, r.id, { state: "expired", by: BY_GATEWAY, reason: "its run ended before anyone answered" }, this.now()),
        );
      n++;
      this.settle(r.id);
    }
    return n;
  }

  private remove(id: string, w: Waiter): void {
    const list = this.waiters.get(id)?.filter((x) => x !== w) ?? [];
    if (list.length) this.waiters.set(id, list);
    else this.drop(id);
  }

  private drop(id: string): void {
    this.waiters.delete(id);
    const t = this.deadlines.get(id);
    if (t !== undefined) this.timers.clear(t);
    this.deadlines.delete(id);
  }

  private announce(row: ApprovalRow): void {
    try {
      this.o.announce?.(approvalView(row));
    } catch (err) {
      this.o.logger?.warn({ err, approval: row.id }, "could not post the approval request into its chat");
    }
  }

  private emit(state: ApprovalEventPayload["state"], row: ApprovalRow): void {
    this.o.emit?.({ type: "approval", state, approval: approvalView(row) });
  }
}
