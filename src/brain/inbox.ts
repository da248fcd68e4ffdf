/**
 * Ingest: a channel's batch becomes durable in ONE transaction: every new message as a pending
 * inbound row, duplicates (same channel, account and message id) dropped by the UNIQUE
 * constraint, and the channel cursor advanced. Only after this commits may the channel
 * acknowledge the batch to its platform.
 */
import type { InboundBatch, InboundMessage, IngestResult } from "../channels/channel.ts";
import type { StoreHandle } from "../store/handle.ts";

export interface IngestOutcome extends IngestResult {
  /** Ids of the new inbound rows, in arrival order. */
  ids: number[];
  /** Message ids that were already known (dropped). */
  duplicateIds: string[];
}

/**
 * A message answered at ingest instead of by a run (`/approve`), inside the ingest transaction:
 * true when the hook handled it (it marks the row answered and writes the reply itself).
 */
export type IngestCommand = (m: InboundMessage, inboundId: number) => boolean;

/** Stores a batch durably; `sessionKeyOf` routes each message to its session; `command` may answer a new message at once. */
export function ingestBatch(
  store: StoreHandle,
  channel: string,
  account: string,
  batch: InboundBatch,
  sessionKeyOf: (m: InboundMessage) => string,
  now: number,
  command?: IngestCommand,
): IngestOutcome {
  return store.transaction(() => {
    const insert = store.prepare(
      `INSERT INTO inbound (channel, account, message_id, session_key, kind, peer, sender, reply_to, text, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel, account, message_id) DO NOTHING RETURNING id`,
    );
    const ids: number[] = [];
    const duplicateIds: string[] = [];
    for (const m of batch.messages) {
      const row = insert.get(channel, account, m.messageId, sessionKeyOf(m), m.kind, m.peer, m.sender, m.replyTo ?? null, m.text, now) as
        | { id: number }
        | undefined;
      if (row) {
        ids.push(row.id);
        command?.(m, row.id);
      } else duplicateIds.push(m.messageId);
    }
    if (batch.cursor !== undefined) {
      store
        .prepare(
          `INSERT INTO channel_cursors (channel, account, cursor, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (channel, account) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at`,
        )
        .run(channel, account, batch.cursor, now);
    }
    return { accepted: ids.length, duplicates: duplicateIds.length, ids, duplicateIds };
  });
}

/** The committed cursor of a channel account, or null. */
export function channelCursor(store: StoreHandle, channel: string, account: string): string | null {
  const row = store.prepare("SELECT cursor FROM channel_cursors WHERE channel = ? AND account = ?").get(channel, account) as { cursor: string } | undefined;
  return row?.cursor ?? null;
}

/** The session key a stored inbound message was routed to; throws if there is no such message. */
export function inboundSessionKey(store: StoreHandle, channel: string, account: string, messageId: string): string {
  const row = store.prepare("SELECT session_key FROM inbound WHERE channel = ? AND account = ? AND message_id = ?").get(channel, account, messageId) as
    | { session_key: string }
    | undefined;
  if (!row) throw new Error(`no inbound message ${messageId} on ${channel}:${account}`);
  return row.session_key;
}
