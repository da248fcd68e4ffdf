/**
 * The getUpdates offset, and what a batch means against it. Normally every update has an id at
 * or above the offset (the next one to ask for), and updates below it are redeliveries of what
 * was confirmed already: dropped.
 *
 * Update ids can also restart lower: Telegram picks the next id at random after a week without
 * updates, and another Bot API server (`apiRoot`) has a sequence of its own. The server then
 * ignores our offset (above its newest id + 10) and serves its queue from the start, so the same
 * updates, all below the offset, come back at every poll: dropping them would leave the bot deaf
 * and polling as fast as the server answers. A batch entirely below the offset twice in a row is
 * such a restart: the offset is re-based to just above that batch, and the batch is taken. A
 * redelivery of confirmed updates comes once, so it is never taken for a restart; and nothing is
 * answered twice either way, because a message's dedupe key is its chat and message id
 * (`messageKey`), which a new update-id sequence does not change.
 */
import type { Update } from "grammy/types";

/** What one batch means. */
export type BatchVerdict =
  /** Updates to take, and the offset after them. */
  | { kind: "take"; updates: Update[]; next: number; restartedFrom?: number }
  /** Nothing new: an empty batch, or updates below the offset not (yet) seen as a restart. */
  | { kind: "nothing-new"; stale: number };

/** The dedupe key of a Telegram message: its chat and message id (stable whatever update carries it). */
export function messageKey(chatId: number, messageId: number): string {
  return `${chatId}:${messageId}`;
}

/** The offset of one poller, and the run of batches it got that were entirely below it. */
export class UpdateOffset {
  /** The next update_id to ask for (the committed cursor); null: none yet. */
  value: number | null;
  private staleRun = 0;

  constructor(value: number | null) {
    this.value = value;
  }

  /** Sorts a batch against the offset (it does not move it: `commit` does, once the batch is stored). */
  judge(updates: readonly Update[]): BatchVerdict {
    if (!updates.length) return ((this.staleRun = 0), { kind: "nothing-new", stale: 0 });
    const offset = this.value ?? 0;
    const next = (list: readonly Update[]) => Math.max(...list.map((u) => u.update_id + 1));
    const fresh = updates.filter((u) => u.update_id >= offset);
    if (fresh.length) {
      this.staleRun = 0;
      return { kind: "take", updates: fresh, next: Math.max(offset, next(fresh)) };
    }
    // Twice the same picture: the server does not honour our offset; its sequence restarted lower.
    if (++this.staleRun < 2) return { kind: "nothing-new", stale: updates.length };
    this.staleRun = 0;
    return { kind: "take", updates: [...updates], next: next(updates), restartedFrom: offset };
  }

  /** The batch is stored: its offset is the one to confirm it with. */
  commit(next: number): void {
    this.value = next;
  }

  /** Takes an offset handed over with the credential lease when it is ahead of ours; true when it was. */
  adopt(handedOver: number | null): boolean {
    if (handedOver === null || handedOver <= (this.value ?? 0)) return false;
    this.value = handedOver;
    return true;
  }
}

/** What the channel's state says once update ids restarted below the offset. */
export function restartNote(from: number, to: number, at: Date): string {
  return `update ids restarted below the saved offset at ${at.toISOString()} (another Bot API server, or a new random sequence after a week without updates): re-based from ${from} to ${to}`;
}
