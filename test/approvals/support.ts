/**
 * Helpers for the approval tests: a real brain database with a conversation whose run is going
 * (approval rows reference their run), a clock and timers the test moves by hand, and an
 * approval service on them.
 */
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import pino from "pino";
import { ApprovalService, type ApprovalEvent, type Timers } from "../../src/approvals/service.ts";
import type { AskedCommand, AskOrigin } from "../../src/approvals/types.ts";
import type { ApprovalView } from "../../src/protocol/approvals.ts";
import { openStore, type Store } from "../../src/store/db.ts";
import { insertApproval } from "../../src/approvals/records.ts";
import { tmpDir, writeConfig } from "../helpers/gateway.ts";

/** Timers that fire only when the test says so. */
export class ManualTimers implements Timers {
  private next = 1;
  readonly armed = new Map<number, { fn: () => void; ms: number }>();
  set(fn: () => void, ms: number): unknown {
    const h = this.next++;
    this.armed.set(h, { fn, ms });
    return h;
  }
  clear(h: unknown): void {
    this.armed.delete(h as number);
  }
  /** Fires every armed timer once (those they arm anew wait for the next call). */
  fireAll(): void {
    const now = [...this.armed];
    this.armed.clear();
    for (const [, t] of now) t.fn();
  }
}

/** A session with a run in state `running` (what a tool call asks from), in a fresh or given database. */
export function brainWithRun(o: { file?: string; channel?: string; account?: string; peer?: string; runState?: string; now?: number } = {}): {
  store: Store;
  file: string;
  runId: number;
  sessionKey: string;
  inboundId: number;
} {
  const file = o.file ?? path.join(tmpDir(), "brain.db");
  const store = openStore(file);
  const channel = o.channel ?? "telegram";
  const account = o.account ?? "7000001";
  const peer = o.peer ?? "501";
  const now = o.now ?? Date.now();
  const sessionKey = `agent:main:${channel}:${account}:dm:${peer}`;
  const ids = store.transaction(() => {
    const inbound = store
      .prepare(
        `INSERT INTO inbound (channel, account, message_id, session_key, kind, peer, sender, reply_to, text, received_at, state)
         VALUES (?, ?, ?, ?, 'dm', ?, ?, ?, 'list my files', ?, 'running') RETURNING id`,
      )
      .get(channel, account, `m-${now}-${Math.random()}`, sessionKey, peer, peer, "41", now) as { id: number };
    const session = store
      .prepare("INSERT INTO sessions (session_key, agent_id, started_at, last_activity_at) VALUES (?, 'main', ?, ?) RETURNING id")
      .get(sessionKey, now, now) as { id: number };
    const run = store
      .prepare("INSERT INTO runs (inbound_id, session_id, state, started_at, epoch) VALUES (?, ?, ?, ?, 0) RETURNING id")
      .get(inbound.id, session.id, o.runState ?? "running", now) as { id: number };
    return { inboundId: inbound.id, runId: run.id };
  });
  return { store, file, sessionKey, ...ids };
}

/** The ask of `ls -la` with one env name. */
export const lsAsk = (over: Partial<AskedCommand> = {}): AskedCommand => ({
  argv: ["/usr/bin/ls", "-la", "my dir"],
  command: "ls -la 'my dir'",
  cwd: "/home/ada/workspace",
  envNames: ["LANG"],
  executables: ["/usr/bin/ls"],
  ...over,
});

/** The origin of call `callId` in the run of `b`. */
export function originOf(b: { runId: number; sessionKey: string }, callId = "toolu_1", where: Partial<AskOrigin> = {}): AskOrigin {
  return { runId: b.runId, callId, sessionKey: b.sessionKey, channel: "telegram", account: "7000001", peer: "501", ...where };
}

export interface ServiceRig {
  service: ApprovalService;
  timers: ManualTimers;
  clock: { now: number };
  events: ApprovalEvent[];
  announced: ApprovalView[];
  config: { askFallback: "deny" | "allowlist"; askTimeoutSeconds: number; allowlist: string[] };
}

/** An approval service on `store` with a hand-moved clock and timers. */
export function serviceOn(store: Store, config: Partial<ServiceRig["config"]> = {}): ServiceRig {
  const clock = { now: Date.now() };
  const timers = new ManualTimers();
  const events: ApprovalEvent[] = [];
  const announced: ApprovalView[] = [];
  const cfg = { askFallback: "deny" as const, askTimeoutSeconds: 120, allowlist: [] as string[], ...config };
  const service = new ApprovalService({
    store,
    config: () => cfg,
    emit: (e) => events.push(e),
    announce: (a) => announced.push(a),
    logger: pino({ level: "silent" }),
    now: () => clock.now,
    timers,
    env: { PATH: "" },
  });
  return { service, timers, clock, events, announced, config: cfg };
}

/** Lets pending promise callbacks run. */
export const tick = () => new Promise<void>((r) => setImmediate(r));

/** A stopped brain whose WebChat run was waiting on two exec approvals when it stopped. */
export function brainWithPendingApprovals(config: unknown = {}): { stateDir: string; ids: [string, string] } {
  const stateDir = path.join(tmpDir(), "state");
  writeConfig(stateDir, config);
  const b = brainWithRun({ file: path.join(stateDir, "brain.db"), channel: "webchat", account: "default", peer: "agent:main:main" });
  try {
    const now = Date.now();
    const where = { channel: "webchat", account: "default", peer: "agent:main:main" };
    const first = insertApproval(b.store, lsAsk(), originOf(b, "c1", where), now, now + 3_600_000);
    const second = insertApproval(
      b.store,
      lsAsk({ argv: ["/usr/bin/rm", "-rf", "build"], command: "rm -rf build", envNames: [], executables: ["/usr/bin/rm"] }),
      originOf(b, "c2", where),
      now + 1,
      now + 3_600_000,
    );
    return { stateDir, ids: [first.id, second.id] };
  } finally {
    b.store.close();
  }
}

/** An approval row's state, answerer and reason, read from brain.db read-only (a running gateway may hold it). */
export const approvalRow = (stateDir: string, id: string): Record<string, unknown> => {
  const db = new DatabaseSync(path.join(stateDir, "brain.db"), { readOnly: true });
  try {
    return { ...(db.prepare("SELECT state, decided_by, reason FROM approvals WHERE id = ?").get(id) as Record<string, unknown>) };
  } finally {
    db.close();
  }
};
