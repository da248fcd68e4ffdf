/**
 * Importing another brain's sessions and transcripts into this brain's database. Everything is
 * inserted with new ids (the two databases' ids overlap), in one transaction of the caller's.
 *
 * What comes along: sessions, their transcript (messages), their runs, and the inbound rows
 * those point at (foreign keys). Unfinished work of the old brain is imported as finished and is
 * never run here: a run left running becomes `interrupted`, its message `failed`. Queued
 * messages nobody answered and undelivered replies stay behind (they are counted): a reply to a
 * conversation weeks old would surprise more than it helps.
 */
import type { StoreHandle } from "../store/handle.ts";
import type { InboundRow, MessageRow, RunRow, SessionRow } from "../store/rows.ts";

/** Counts of what an import did. */
export interface SessionImport {
  sessions: {
    /** Imported (including those imported as ended). */
    imported: number;
    /** Live in the other brain, imported as ended: this brain has a live session under the same key. */
    endedOnImport: number;
    /** Present here already (same key and start time) and left as they are. */
    alreadyHere: number;
    /** Present here already and replaced by the other's copy (force). */
    replaced: number;
  };
  messages: number;
  runs: number;
  inbound: {
    imported: number;
    /** The same channel message (channel, account, message id) was already here: reused. */
    alreadyHere: number;
  };
  /** Unfinished work imported as finished. */
  unfinished: { runsInterrupted: number; inboundFailed: number };
  /** Left behind in the other brain. */
  leftBehind: { unansweredMessages: number; undeliveredReplies: number };
  cursors: { imported: number; alreadyHere: number; replaced: number };
}

export interface ImportOptions {
  /** Replace sessions (and channel cursors) this brain already has. */
  force: boolean;
  /** Stamp for runs that were left running. */
  now: number;
}

function emptyImport(): SessionImport {
  return {
    sessions: { imported: 0, endedOnImport: 0, alreadyHere: 0, replaced: 0 },
    messages: 0,
    runs: 0,
    inbound: { imported: 0, alreadyHere: 0 },
    unfinished: { runsInterrupted: 0, inboundFailed: 0 },
    leftBehind: { unansweredMessages: 0, undeliveredReplies: 0 },
    cursors: { imported: 0, alreadyHere: 0, replaced: 0 },
  };
}

/** Removes a session of this brain with its transcript and runs (its inbound rows stay: they are the dedup record). */
function deleteSession(target: StoreHandle, id: number): void {
  target.prepare("DELETE FROM messages WHERE session_id = ?").run(id);
  target.prepare("DELETE FROM runs WHERE session_id = ?").run(id);
  target.prepare("DELETE FROM sessions WHERE id = ?").run(id);
}

/**
 * Copies `source`'s sessions into `target`. Call inside a transaction of `target`: a failure
 * part-way must leave nothing behind. `source` is only read.
 */
export function importSessions(target: StoreHandle, source: StoreHandle, opts: ImportOptions): SessionImport {
  const r = emptyImport();
  const inboundMap = new Map<number, number>();

  const mapInbound = (oldId: number): number => {
    const known = inboundMap.get(oldId);
    if (known !== undefined) return known;
    const row = source.prepare("SELECT * FROM inbound WHERE id = ?").get(oldId) as InboundRow | undefined;
    if (!row) throw new Error(`inbound row ${oldId} is referenced but missing in the other brain's database`);
    const existing = target
      .prepare("SELECT id FROM inbound WHERE channel = ? AND account = ? AND message_id = ?")
      .get(row.channel, row.account, row.message_id) as { id: number } | undefined;
    let id: number;
    if (existing) {
      id = existing.id;
      r.inbound.alreadyHere++;
    } else {
      const unfinished = row.state === "pending" || row.state === "running";
      if (unfinished) r.unfinished.inboundFailed++;
      id = (
        target
          .prepare(
            `INSERT INTO inbound (channel, account, message_id, session_key, kind, peer, sender, reply_to, text, received_at, state)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
          )
          .get(
            row.channel,
            row.account,
            row.message_id,
            row.session_key,
            row.kind,
            row.peer,
            row.sender,
            row.reply_to,
            row.text,
            row.received_at,
            unfinished ? "failed" : row.state,
          ) as { id: number }
      ).id;
      r.inbound.imported++;
    }
    inboundMap.set(oldId, id);
    return id;
  };

  const sessions = source.prepare("SELECT * FROM sessions ORDER BY id").all() as unknown as SessionRow[];
  for (const s of sessions) {
    const present = target.prepare("SELECT id FROM sessions WHERE session_key = ? AND started_at = ? ORDER BY id LIMIT 1").get(s.session_key, s.started_at) as
      | { id: number }
      | undefined;
    if (present) {
      if (!opts.force) {
        r.sessions.alreadyHere++;
        continue;
      }
      deleteSession(target, present.id);
      r.sessions.replaced++;
    }
    let endedAt = s.ended_at;
    let endedReason = s.ended_reason;
    if (endedAt === null) {
      // One live session per key (a unique index says so): this brain's live one stays live.
      const live = target.prepare("SELECT id FROM sessions WHERE session_key = ? AND ended_at IS NULL").get(s.session_key);
      if (live) {
        endedAt = s.last_activity_at;
        endedReason = "new";
        r.sessions.endedOnImport++;
      }
    }
    const sessionId = (
      target
        .prepare(
          `INSERT INTO sessions (session_key, agent_id, channel, account, kind, peer, started_at, last_activity_at, ended_at, ended_reason, message_count)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
        )
        .get(s.session_key, s.agent_id, s.channel, s.account, s.kind, s.peer, s.started_at, s.last_activity_at, endedAt, endedReason, s.message_count) as {
        id: number;
      }
    ).id;
    r.sessions.imported++;

    const runMap = new Map<number, number>();
    for (const run of source.prepare("SELECT * FROM runs WHERE session_id = ? ORDER BY id").iterate(s.id) as Iterable<RunRow>) {
      const running = run.state === "running";
      if (running) r.unfinished.runsInterrupted++;
      const id = (
        target
          .prepare(
            `INSERT INTO runs (inbound_id, session_id, state, model, started_at, ended_at, error, epoch)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
          )
          .get(
            mapInbound(run.inbound_id),
            sessionId,
            running ? "interrupted" : run.state,
            run.model,
            run.started_at,
            run.ended_at ?? (running ? opts.now : null),
            run.error,
            run.epoch,
          ) as { id: number }
      ).id;
      runMap.set(run.id, id);
      r.runs++;
    }

    const insertMessage = target.prepare("INSERT INTO messages (session_id, role, content, created_at, inbound_id, run_id) VALUES (?, ?, ?, ?, ?, ?)");
    for (const m of source.prepare("SELECT * FROM messages WHERE session_id = ? ORDER BY id").iterate(s.id) as Iterable<MessageRow>) {
      insertMessage.run(
        sessionId,
        m.role,
        m.content,
        m.created_at,
        m.inbound_id === null ? null : mapInbound(m.inbound_id),
        m.run_id === null ? null : (runMap.get(m.run_id) ?? null),
      );
      r.messages++;
    }
  }

  r.leftBehind.unansweredMessages = (source.prepare("SELECT count(*) AS n FROM inbound WHERE state = 'pending'").get() as { n: number }).n;
  r.leftBehind.undeliveredReplies = (source.prepare("SELECT count(*) AS n FROM outbox WHERE state = 'pending'").get() as { n: number }).n;

  // A channel account this brain has never read resumes where the old brain stopped, instead of
  // reading the platform's backlog again.
  for (const c of source.prepare("SELECT channel, account, cursor, updated_at FROM channel_cursors ORDER BY channel, account").all() as Array<{
    channel: string;
    account: string;
    cursor: string;
    updated_at: number;
  }>) {
    const here = target.prepare("SELECT 1 FROM channel_cursors WHERE channel = ? AND account = ?").get(c.channel, c.account);
    if (here && !opts.force) {
      r.cursors.alreadyHere++;
      continue;
    }
    target
      .prepare(
        "INSERT INTO channel_cursors (channel, account, cursor, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (channel, account) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
      )
      .run(c.channel, c.account, c.cursor, c.updated_at);
    if (here) r.cursors.replaced++;
    else r.cursors.imported++;
  }
  return r;
}
